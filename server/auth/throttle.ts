import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { loginFailures } from './throttle.table.js';

/** Free attempts before backoff starts: per account few, per address more (a family shares one router). */
const FREE = { user: 5, ip: 20 } as const;
const FIRST_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;
/** A day without failures forgives the earlier ones. */
const FORGET_AFTER_MS = 86_400_000;

export type ThrottleKey = `user:${string}` | `ip:${string}`;

/** Sign-in backoff per account and per address: after the free attempts, each failure doubles the wait. */
export class LoginThrottle {
  constructor(private readonly db: Db) {}

  /** Seconds until the next attempt is allowed for any of the keys, or 0. */
  retryAfter(keys: ThrottleKey[], now = new Date()): number {
    const rows = this.db.select().from(loginFailures).where(inArray(loginFailures.key, keys)).all();
    const until = Math.max(0, ...rows.map((r) => r.lockedUntil?.getTime() ?? 0));
    return Math.max(0, Math.ceil((until - now.getTime()) / 1000));
  }

  fail(keys: ThrottleKey[], now = new Date()): void {
    this.db.transaction((tx) => {
      for (const key of keys) {
        const row = tx.select().from(loginFailures).where(eq(loginFailures.key, key)).get();
        const stale = row && now.getTime() - row.lastFailureAt.getTime() > FORGET_AFTER_MS;
        const failures = (row && !stale ? row.failures : 0) + 1;
        const over = failures - FREE[key.startsWith('user:') ? 'user' : 'ip'];
        const lockedUntil = over > 0 ? new Date(now.getTime() + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (over - 1))) : null;
        tx.insert(loginFailures)
          .values({ key, failures, lastFailureAt: now, lockedUntil })
          .onConflictDoUpdate({ target: loginFailures.key, set: { failures, lastFailureAt: now, lockedUntil } })
          .run();
      }
    });
  }

  /** A success clears the account's count; the address keeps its count so one good password does not reset a spray. */
  succeed(userKey: ThrottleKey): void {
    this.db.delete(loginFailures).where(eq(loginFailures.key, userKey)).run();
  }
}
