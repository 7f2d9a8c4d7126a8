import { asc, count, eq } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { users, type User } from './users.table.js';

export function findUserByName(db: Db | Tx, username: string): User | undefined {
  return db.select().from(users).where(eq(users.username, username)).get();
}

export function findUserById(db: Db, id: number): User | undefined {
  return db.select().from(users).where(eq(users.id, id)).get();
}

export function insertUser(db: Db | Tx, user: typeof users.$inferInsert): User {
  return db.insert(users).values(user).returning().get();
}

export function updateUser(db: Db, id: number, changes: Partial<typeof users.$inferInsert>): void {
  db.update(users).set(changes).where(eq(users.id, id)).run();
}

export function countUsers(db: Db | Tx): number {
  return db.select({ n: count() }).from(users).get()!.n;
}

export function listUsers(db: Db): User[] {
  return db.select().from(users).orderBy(asc(users.username)).all();
}
