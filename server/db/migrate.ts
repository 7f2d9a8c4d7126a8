import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { UserError } from '../errors.js';
import { migrationsDir as migrationsFolder } from '../paths.js';
import type { Db } from './client.js';

/**
 * How many migrations wait, and whether the database is brand new (nothing to protect before
 * migrating). Refuses a database that a newer Heirloom already migrated.
 */
export function migrationStatus(db: Db): { pending: number; fresh: boolean } {
  const known = readMigrationFiles({ migrationsFolder });
  const newestKnown = Math.max(0, ...known.map((m) => m.folderMillis));
  const client = db.$client;
  const hasTable = client.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  const applied = hasTable
    ? (client.prepare('SELECT count(*) AS n, max(created_at) AS newest FROM __drizzle_migrations').get() as { n: number; newest: number | null })
    : { n: 0, newest: null };
  if (applied.newest !== null && applied.newest > newestKnown) {
    throw new UserError(
      'This database was created or upgraded by a newer version of Heirloom. Run that version (or newer); downgrading would lose data.',
      'schema-newer',
    );
  }
  return { pending: known.length - applied.n, fresh: applied.n === 0 };
}

/** Applies pending migrations (after the same refusal as migrationStatus). */
export function migrateDb(db: Db): { applied: number } {
  const { pending } = migrationStatus(db);
  migrate(db, { migrationsFolder });
  return { applied: pending };
}
