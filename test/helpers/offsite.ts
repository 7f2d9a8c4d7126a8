import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { openDb, type Db } from '../../server/db/client.js';
import { videoWorkWaiting } from '../../server/library/transcode.repo.js';
import { openRemote } from '../../server/replication/open-remote.js';
import { blobKey } from '../../server/replication/replica-layout.js';
import { restoreFromRemote } from '../../server/replication/restore.js';
import { parseTargetUrl } from '../../server/replication/target-url.js';
import { findBlob } from '../../server/vault/blobs.repo.js';
import type { TestVault } from './context.js';

/**
 * Replicates the vault to a directory target with previews and one without, asserts that only the
 * first holds the web copy `copy` (and the lean one holds `original`), restores a data dir from the
 * lean one, asserts the copy is dropped there and video work is waiting, and hands its database to `check`.
 */
export async function expectWebCopyOffsite(v: TestVault, dir: string, copy: string, original: string, check: (restored: Db) => void): Promise<void> {
  const lean = path.join(dir, 'lean');
  const full = path.join(dir, 'full');
  await mkdir(lean);
  await mkdir(full);
  await v.ctx.background.targets.add({ name: 'lean', url: lean, options: { includePreviews: false } });
  await v.ctx.background.targets.add({ name: 'full', url: full });
  await v.ctx.background.replication.sync('lean');
  await v.ctx.background.replication.sync('full');
  const holds = async (root: string, blobId: string) => (await openRemote(parseTargetUrl(root), {}, {})).head(blobKey(blobId));
  expect(await holds(full, copy)).toBeTruthy();
  expect(await holds(lean, copy)).toBeFalsy();
  expect(await holds(lean, original)).toBeTruthy();

  const restored = path.join(dir, 'restored');
  const result = await restoreFromRemote(await openRemote(parseTargetUrl(lean), {}, {}), v.ctx.keyring, restored);
  expect(result.missingOriginals).toEqual([]);
  expect(result.toRegenerate).not.toContain(copy);
  expect(result.transcodesDropped).toBeGreaterThanOrEqual(1);
  const db = openDb(path.join(restored, 'heirloom.db'));
  try {
    check(db);
    expect(findBlob(db, copy)).toBeUndefined();
    expect(videoWorkWaiting(db)).toBe(true);
  } finally {
    db.$client.close();
  }
}
