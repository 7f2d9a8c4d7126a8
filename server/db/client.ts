import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** Opens the database with the pragmas a single-process appliance on a small disk wants. */
export function openDb(file: string): Db {
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: once an upload is acknowledged, its row survives a power cut (the phone may delete its copy).
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('temp_store = MEMORY');
  sqlite.pragma('cache_size = -16000');
  // Gathers the statistics the planner needs (search and memories pick their indexes by them); cheap when fresh.
  // Best effort: a damaged page must not stop the open, since the integrity check is what reports it.
  try {
    sqlite.pragma('optimize = 0x10002');
  } catch {}
  return drizzle({ client: sqlite, schema });
}

/** A transaction handle: repo functions that may run inside one take `Db | Tx`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
