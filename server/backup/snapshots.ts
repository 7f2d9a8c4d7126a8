import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/client.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { Keyring } from '../vault/keyring.js';

export type SnapshotReason = 'daily' | 'pre-migration' | 'manual';
const SUFFIX = '.db.hbl';

export interface Snapshot {
  file: string;
  reason: SnapshotReason;
  takenAt: Date;
  bytes: number;
}

/**
 * A consistent copy of the database (VACUUM INTO, safe while the server writes), sealed in the vault
 * format under snapshots/, so `heirloom decrypt` or a restore can open it with nothing but the key.
 * Keeps the newest `keep` of each reason.
 */
export async function takeSnapshot(deps: { db: Db; store: BlobStore; keyring: Keyring; dataDir: string }, reason: SnapshotReason, keep = 7): Promise<Snapshot> {
  const dir = path.join(deps.dataDir, 'snapshots');
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const takenAt = new Date();
  // The plain copy sits in tmp/ (wiped at boot) only while it is sealed.
  const plain = path.join(deps.store.tmpDir, `${process.pid}-snapshot-${takenAt.getTime()}.db`);
  try {
    deps.db.$client.prepare('VACUUM INTO ?').run(plain);
    const { tmpPath } = await deps.store.writeTemp(deps.keyring, createReadStream(plain, { highWaterMark: 1 << 20 }));
    const file = path.join(dir, `${takenAt.toISOString().replace(/[:.]/g, '-')}-${reason}${SUFFIX}`);
    await rename(tmpPath, file);
    const handle = await open(dir, 'r');
    await handle.sync().finally(() => handle.close());
    await prune(dir, reason, keep);
    return { file, reason, takenAt, bytes: (await stat(file)).size };
  } finally {
    await rm(plain, { force: true });
  }
}

export async function listSnapshots(dataDir: string): Promise<Snapshot[]> {
  const dir = path.join(dataDir, 'snapshots');
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Snapshot[] = [];
  for (const name of names.filter((n) => n.endsWith(SUFFIX)).sort().reverse()) {
    const match = /^(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)-(daily|pre-migration|manual)\.db\.hbl$/.exec(name);
    if (!match) continue;
    const iso = match[1]!.replace(/T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z/, 'T$1:$2:$3.$4Z');
    out.push({ file: path.join(dir, name), reason: match[2] as SnapshotReason, takenAt: new Date(iso), bytes: (await stat(path.join(dir, name))).size });
  }
  return out;
}

async function prune(dir: string, reason: SnapshotReason, keep: number): Promise<void> {
  const mine = (await listSnapshots(path.dirname(dir))).filter((s) => s.reason === reason);
  for (const old of mine.slice(keep)) await rm(old.file, { force: true });
}
