import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../server/db/client.js';
import { migrateDb } from '../server/db/migrate.js';
import { createLogger } from '../server/log.js';
import { ReplicationService } from '../server/replication/replicate.service.js';
import { TargetService } from '../server/replication/targets.service.js';
import { BlobStore } from '../server/vault/blob-store.js';
import { blobRow, insertBlobs } from '../server/vault/blobs.repo.js';
import type { BlobKind } from '../server/vault/blobs.table.js';
import { Keyring } from '../server/vault/keyring.js';
import { startSshd } from '../test/helpers/sshd.js';
import { row, timed } from './measure.js';

/** About 200 MB in a photo library's mix: per photo a ~3 MB original, a ~200 KB preview, a ~20 KB thumbnail. */
const PHOTOS = Number(process.env.BENCH_REPLICATION_PHOTOS ?? 60);
const ROUNDS = 2;

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}

/**
 * `heirloom replicate` to an SFTP server (Debian's OpenSSH on loopback) against `rclone copy` of the
 * same blob files to the same server, in the same run. rclone's remote hash check is off, so its
 * figure is the transfer alone; Heirloom's includes its own work (the local checksum of every blob
 * before it is sent, the ledger, the database snapshot and the manifest).
 */
export async function benchReplication(): Promise<void> {
  const missing = [['/usr/sbin/sshd', 'openssh-server'], ['/usr/bin/rclone', 'rclone']].filter(([file]) => !existsSync(file!)).map(([, pkg]) => pkg);
  if (missing.length > 0) {
    console.log(`Replication: skipped, install ${missing.join(' and ')} (see .ci/env)`);
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-replication-'));
  const sshd = await startSshd();
  const db = openDb(path.join(dir, 'heirloom.db'));
  try {
    migrateDb(db);
    const keyring = Keyring.generate();
    const store = new BlobStore(dir);
    await store.init();
    let bytes = 0;
    let files = 0;
    const add = async (kind: BlobKind, size: number) => {
      // Written through the store as ingest does, without the media work: random bytes stand in for photos.
      const { tmpPath, sealed } = await store.writeTemp(keyring, randomBytes(size));
      await store.commit(tmpPath, sealed.blobId);
      insertBlobs(db, [blobRow(sealed, kind)]);
      bytes += sealed.cipherSize;
      files++;
    };
    for (let i = 0; i < PHOTOS; i++) {
      await add('original', randomInt(2_000_000, 4_400_000));
      await add('preview', randomInt(150_000, 260_000));
      await add('thumb', randomInt(12_000, 30_000));
    }

    const targets = new TargetService({ db, keyring });
    const replication = new ReplicationService({ db, store, keyring, log: createLogger('silent'), targets });
    const privateKey = await readFile(sshd.privateKeyPath, 'utf8');
    const rcloneEnv = {
      ...process.env,
      RCLONE_CONFIG_BENCH_TYPE: 'sftp',
      RCLONE_CONFIG_BENCH_HOST: '127.0.0.1',
      RCLONE_CONFIG_BENCH_PORT: String(sshd.port),
      RCLONE_CONFIG_BENCH_USER: sshd.user,
      RCLONE_CONFIG_BENCH_KEY_FILE: sshd.privateKeyPath,
      RCLONE_CONFIG_BENCH_DISABLE_HASHCHECK: 'true',
    };

    // Alternate the two, each into a fresh directory, so drift in machine load hits both alike; keep each one's best.
    let heirloom = Infinity;
    let rclone = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      const ours = path.join(sshd.root, `heirloom-${round}`);
      await mkdir(ours);
      await targets.add({ name: `bench-${round}`, url: sshd.url(ours), credentials: { privateKey } });
      heirloom = Math.min(heirloom, await timed(() => replication.sync(`bench-${round}`)));
      const theirs = path.join(sshd.root, `rclone-${round}`);
      rclone = Math.min(rclone, await timed(() => run('rclone', ['--config', '/dev/null', 'copy', store.blobsDir, `bench:${theirs}`], rcloneEnv)));
      await rm(ours, { recursive: true, force: true });
      await rm(theirs, { recursive: true, force: true });
    }

    const mbps = (s: number) => `${(bytes / 1e6 / s).toFixed(0)} MB/s`;
    console.log(`Replication, ${files} blobs (${(bytes / 1e6).toFixed(0)} MB) to OpenSSH on loopback`);
    row('replicate vs rclone copy (SFTP)', mbps(heirloom), `${mbps(rclone)} rclone`, rclone / heirloom, '>= 0.90');
  } finally {
    db.$client.close();
    await sshd.close();
    await rm(dir, { recursive: true, force: true });
  }
}
