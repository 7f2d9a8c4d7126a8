import { and, desc, eq, lt, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { findUserById } from '../users/users.repo.js';
import type { User } from '../users/users.table.js';
import { sessions, type Session } from './sessions.table.js';

export function insertSession(db: Db, row: typeof sessions.$inferInsert): Session {
  return db.insert(sessions).values(row).returning().get();
}

const sessionByHash = preparedPerDb((db) => db.select().from(sessions).where(eq(sessions.tokenHash, sql.placeholder('tokenHash'))).prepare());

/** Asked on every request: two lookups by key, each a few microseconds, where SQLite took far longer over the join. */
export function findSessionByHash(db: Db, tokenHash: string): { session: Session; user: User } | undefined {
  const session = sessionByHash(db).get({ tokenHash });
  const user = session && findUserById(db, session.userId);
  return user && { session: session!, user };
}

export function touchSession(db: Db, id: number, at: Date, ip: string): void {
  db.update(sessions).set({ lastSeenAt: at, ip }).where(eq(sessions.id, id)).run();
}

export function deleteSession(db: Db, id: number): void {
  db.delete(sessions).where(eq(sessions.id, id)).run();
}

/** Returns how many were removed; one session may be kept (the one asking). */
export function deleteUserSessions(db: Db, userId: number, exceptId?: number): number {
  const where = exceptId === undefined ? eq(sessions.userId, userId) : and(eq(sessions.userId, userId), ne(sessions.id, exceptId));
  return db.delete(sessions).where(where).run().changes;
}

/** Every session on the server but the one asking; returns how many were removed. */
export function deleteAllSessionsBut(db: Db, keepId: number): number {
  return db.delete(sessions).where(ne(sessions.id, keepId)).run().changes;
}

export function listUserSessions(db: Db, userId: number): Session[] {
  return db.select().from(sessions).where(and(eq(sessions.userId, userId), eq(sessions.stage, 'full'))).orderBy(desc(sessions.lastSeenAt)).all();
}

export function findUserSession(db: Db, userId: number, id: number): Session | undefined {
  return db.select().from(sessions).where(and(eq(sessions.userId, userId), eq(sessions.id, id))).get();
}

export function deleteExpiredSessions(db: Db, now: Date, idleSince: Date): number {
  return db.delete(sessions).where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, idleSince))).run().changes;
}
