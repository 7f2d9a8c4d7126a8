import { asc, count, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { users, type User } from './users.table.js';

export function findUserByName(db: Db | Tx, username: string): User | undefined {
  return db.select().from(users).where(eq(users.username, username)).get();
}

const userById = preparedPerDb((db) => db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare());

/** Asked for every signed-in request (after its session or API token). */
export function findUserById(db: Db, id: number): User | undefined {
  return userById(db).get({ id });
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
