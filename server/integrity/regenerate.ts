import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/client.js';
import type { AssetOfBlob } from '../library/assets.repo.js';
import { detectType, SNIFF_BYTES } from '../media/detect.js';
import { makePreviews } from '../media/previews.js';
import { withScratch } from '../media/scratch.js';
import type { BlobStore } from '../vault/blob-store.js';
import { replaceBlobRow } from '../vault/blobs.repo.js';
import type { Keyring } from '../vault/keyring.js';

/**
 * Makes a damaged thumbnail or preview again from the item's original, under the same blob id, so
 * nothing that points at it changes. Throws when the original itself cannot be read.
 */
export async function regenerateDerived(deps: { db: Db; store: BlobStore; keyring: Keyring }, asset: AssetOfBlob, blobId: string): Promise<void> {
  const { db, store, keyring } = deps;
  const original = await store.open(asset.originalBlobId, keyring);
  let bytes: Buffer;
  try {
    bytes = await original.readAll();
  } finally {
    await original.close();
  }
  const type = await detectType(bytes.subarray(0, SNIFF_BYTES));
  const previews = await withScratch(async (scratch) => {
    // ffmpeg reads videos from a file; the scratch dir is on tmpfs, never the data disk.
    if (type.kind !== 'video') return makePreviews({ buffer: bytes }, type);
    const file = path.join(await scratch(), `original.${type.ext}`);
    await writeFile(file, bytes, { mode: 0o600 });
    return makePreviews({ path: file }, type);
  });
  const derived = blobId === asset.thumbBlobId ? previews.thumb : previews.preview;
  const { tmpPath, sealed } = await store.writeTemp(keyring, derived, blobId);
  await store.commit(tmpPath, blobId);
  replaceBlobRow(db, sealed);
}
