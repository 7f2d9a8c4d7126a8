import { and, desc, eq, lt, ne, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { users, type User } from '../users/users.table.js';
import { sessions, type Session } from './sessions.table.js';

export function insertSession(db: Db, row: typeof sessions.$inferInsert): Session {
  return db.insert(sessions).values(row).returning().get();
}

export function findSessionByHash(db: Db, tokenHash: string): { session: Session; user: User } | undefined {
  return db.select({ session: sessions, user: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.tokenHash, tokenHash)).get();
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

export function listUserSessions(db: Db, userId: number): Session[] {
  return db.select().from(sessions).where(and(eq(sessions.userId, userId), eq(sessions.stage, 'full'))).orderBy(desc(sessions.lastSeenAt)).all();
}

export function findUserSession(db: Db, userId: number, id: number): Session | undefined {
  return db.select().from(sessions).where(and(eq(sessions.userId, userId), eq(sessions.id, id))).get();
}

export function deleteExpiredSessions(db: Db, now: Date, idleSince: Date): number {
  return db.delete(sessions).where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, idleSince))).run().changes;
}
