import { count, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { users, type User } from './users.table.js';

export function findUserByName(db: Db, username: string): User | undefined {
  return db.select().from(users).where(eq(users.username, username)).get();
}

export function insertUser(db: Db, user: typeof users.$inferInsert): User {
  return db.insert(users).values(user).returning().get();
}

export function countUsers(db: Db): number {
  return db.select({ n: count() }).from(users).get()!.n;
}
