import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db, Tx } from './client.js';

/**
 * A query built and prepared once per database, for the ones every request or stored file runs: otherwise
 * drizzle builds the SQL again and SQLite parses it again on each call, which costs more than running it.
 * Values go in as `sql.placeholder()`s. A database and its transactions share one prepared statement.
 */
export function preparedPerDb<Q, D extends Db | Tx = Db>(build: (db: D) => Q): (db: D) => Q {
  const prepared = new WeakMap<object, Q>();
  return (db) => {
    const key = connectionOf(db);
    let query = prepared.get(key);
    if (!query) {
      query = build(db);
      prepared.set(key, query);
    }
    return query;
  };
}

/**
 * An INSERT of exactly these columns, prepared once per database; columns not listed get their defaults.
 * Values are converted as drizzle converts them (a Date to its stored number, JSON to text); a listed
 * column given null or undefined is stored as NULL, its default does not apply. Returns the new rowid.
 */
export function preparedInsert<T extends SQLiteTable, K extends keyof T['$inferInsert'] & string>(table: T, keys: readonly K[]) {
  const columns = getTableColumns(table);
  // Wrapped in sql`` so drizzle passes our already-converted value through instead of converting it again.
  const values = Object.fromEntries(keys.map((k): [string, SQL] => [k, sql`${sql.placeholder(k)}`]));
  const statement = preparedPerDb((db: Db | Tx) => db.insert(table).values(values as never).prepare());
  return (db: Db | Tx, row: Pick<T['$inferInsert'], K>): number => {
    const params: Record<string, unknown> = {};
    for (const k of keys) {
      const value: unknown = row[k];
      params[k] = value === null || value === undefined ? null : columns[k]!.mapToDriverValue(value);
    }
    return Number(statement(db).run(params).lastInsertRowid);
  };
}

/** drizzle's session: one per database connection, shared by every transaction on it. */
function connectionOf(db: Db | Tx): object {
  return (db as unknown as { session: object }).session;
}
