import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.js';
import { openDb, type Db } from './db/client.js';
import { migrateDb } from './db/migrate.js';
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
  close(): Promise<void>;
}

export async function openContext(config: Config, log: Logger): Promise<Context> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o750 });
  const db = openDb(path.join(config.dataDir, 'heirloom.db'));
  try {
    const { applied } = migrateDb(db);
    if (applied > 0) log.info({ applied }, 'database migrated');
    const keyring = await unlockVault(config, db, log);
    const store = new BlobStore(config.dataDir);
    await store.init();
    await removeOrphanedBlobs(db, store, log);
    await removeStaleScratch();
    return {
      config,
      log,
      db,
      keyring,
      store,
      ingest: new IngestService({ db, store, keyring, log }),
      async close() {
        await closeMedia();
        db.$client.close();
      },
    };
  } catch (err) {
    db.$client.close();
    throw err;
  }
}
