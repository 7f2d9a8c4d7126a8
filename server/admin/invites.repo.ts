import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { invites, type Invite } from '../users/invites.table.js';
import { users } from '../users/users.table.js';

export type OpenInvite = Invite & { createdByName: string };

export function insertInvite(db: Db, row: typeof invites.$inferInsert): Invite {
  return db.insert(invites).values(row).returning().get();
}

export function findInviteByHash(db: Db, tokenHash: string): Invite | undefined {
  return db.select().from(invites).where(eq(invites.tokenHash, tokenHash)).get();
}

/** Neither used, revoked nor expired. */
const isOpen = (now: Date) => and(isNull(invites.usedAt), isNull(invites.revokedAt), gt(invites.expiresAt, now));

export function listOpenInvites(db: Db, now: Date): OpenInvite[] {
  return db
    .select({ invite: invites, createdByName: users.username })
    .from(invites)
    .innerJoin(users, eq(users.id, invites.createdBy))
    .where(isOpen(now))
    .orderBy(asc(invites.expiresAt))
    .all()
    .map((r) => ({ ...r.invite, createdByName: r.createdByName }));
}

/** Returns the revoked invite, or undefined when there is no such open invite. */
export function revokeInvite(db: Db, id: number, now: Date): Invite | undefined {
  return db.update(invites).set({ revokedAt: now }).where(and(eq(invites.id, id), isOpen(now))).returning().get();
}

/** Marks an open invite used in one statement, so of two concurrent claims exactly one succeeds. */
export function claimInvite(db: Db, id: number, now: Date): boolean {
  return db.update(invites).set({ usedAt: now }).where(and(eq(invites.id, id), isOpen(now))).run().changes === 1;
}

export function recordInviteUser(db: Db, id: number, userId: number): void {
  db.update(invites).set({ usedBy: userId }).where(eq(invites.id, id)).run();
}

/** Gives back a claim whose account could not be created (name taken, password too short). */
export function releaseInvite(db: Db, id: number): void {
  db.update(invites).set({ usedAt: null }).where(and(eq(invites.id, id), isNull(invites.usedBy))).run();
}
