import type { Db } from './client.js';

/**
 * A query built and prepared once per database, for the ones every request runs: otherwise drizzle
 * builds the SQL again and SQLite parses it again on each call, which costs more than running it.
 * Values go in as `sql.placeholder()`s.
 */
export function preparedPerDb<Q>(build: (db: Db) => Q): (db: Db) => Q {
  const prepared = new WeakMap<Db, Q>();
  return (db) => {
    let query = prepared.get(db);
    if (!query) {
      query = build(db);
      prepared.set(db, query);
    }
    return query;
  };
}
