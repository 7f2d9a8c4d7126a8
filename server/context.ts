import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.js';
import { openDb, type Db } from './db/client.js';
import { migrateDb, migrationStatus } from './db/migrate.js';
import { takeSnapshot } from './backup/snapshots.js';
import { Background } from './jobs/background.js';
import { IngestService } from './library/ingest.service.js';
import type { Logger } from './log.js';
import { closeMedia } from './media/previews.js';
import { removeStaleScratch } from './media/scratch.js';
import { BlobStore } from './vault/blob-store.js';
import type { Keyring } from './vault/keyring.js';
import { removeOrphanedBlobs } from './vault/staging.js';
import { unlockVault } from './vault/unlock.js';

/** Everything a process that reads or writes the vault needs, opened in the order boot requires. */
export interface Context {
  config: Config;
  log: Logger;
  db: Db;
  keyring: Keyring;
  store: BlobStore;
  ingest: IngestService;
  /** Job queue, workers and schedules: created here, started only by the server. */
  background: Background;
  close(): Promise<void>;
}

export async function openContext(config: Config, log: Logger): Promise<Context> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o750 });
  const db = openDb(path.join(config.dataDir, 'heirloom.db'));
  try {
    const store = new BlobStore(config.dataDir);
    await store.init();
    const { pending, fresh } = migrationStatus(db);
    // An existing database is unlocked (its first migration made the tables that needs) and copied before it changes.
    if (fresh) migrateDb(db);
    const keyring = await unlockVault(config, db, log);
    if (!fresh && pending > 0) {
      const snapshot = await takeSnapshot({ db, store, keyring, dataDir: config.dataDir }, 'pre-migration');
      migrateDb(db);
      log.info({ applied: pending, snapshot: snapshot.file }, 'database migrated; the previous version is kept as a snapshot');
    }
    await removeOrphanedBlobs(db, store, log);
    await removeStaleScratch();
    const background = new Background({ config, db, store, keyring, log });
    return {
      config,
      log,
      db,
      keyring,
      store,
      ingest: new IngestService({ db, store, keyring, log, onStored: (item) => background.storedSomething(item) }),
      background,
      async close() {
        await background.stop();
        await closeMedia();
        db.$client.close();
      },
    };
  } catch (err) {
    db.$client.close();
    throw err;
  }
}
