import type { Db, Tx } from './client.js';

/**
 * A query built and prepared once per database, for the ones every request runs: otherwise drizzle
 * builds the SQL again and SQLite parses it again on each call, which costs more than running it.
 * Values go in as `sql.placeholder()`s. Given a transaction, it is prepared once for that transaction.
 */
export function preparedPerDb<Q, D extends Db | Tx = Db>(build: (db: D) => Q): (db: D) => Q {
  const prepared = new WeakMap<D, Q>();
  return (db) => {
    let query = prepared.get(db);
    if (!query) {
      query = build(db);
      prepared.set(db, query);
    }
    return query;
  };
}
