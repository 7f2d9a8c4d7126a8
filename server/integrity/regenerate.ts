import type { Db } from '../db/client.js';
import type { AssetOfBlob } from '../library/assets.repo.js';
import { detectType, SNIFF_BYTES } from '../media/detect.js';
import { makePreviews, type Previews } from '../media/previews.js';
import type { BlobStore } from '../vault/blob-store.js';
import { serveBlob } from '../vault/blob-url.js';
import { replaceBlobRow } from '../vault/blobs.repo.js';
import type { Keyring } from '../vault/keyring.js';
import { readHead, type OpenBlob } from '../vault/reader.js';

/**
 * Makes a damaged thumbnail or preview again from the item's original, under the same blob id, so
 * nothing that points at it changes. Throws when the original itself cannot be read.
 */
export async function regenerateDerived(deps: { db: Db; store: BlobStore; keyring: Keyring }, asset: AssetOfBlob, blobId: string): Promise<void> {
  const { db, store, keyring } = deps;
  const previews = await previewsOf(await store.open(asset.originalBlobId, keyring));
  const derived = blobId === asset.thumbBlobId ? previews.thumb : previews.preview;
  const { tmpPath, sealed } = await store.writeTemp(keyring, derived, blobId);
  await store.commit(tmpPath, blobId);
  replaceBlobRow(db, sealed);
}

/** Previews of an open original, which is closed after: a video is read by ffmpeg through a decrypting loopback URL, never a plaintext copy. */
async function previewsOf(original: OpenBlob): Promise<Previews> {
  let head: Buffer;
  try {
    head = await readHead(original, SNIFF_BYTES);
  } catch (err) {
    await original.close();
    throw err;
  }
  const type = await detectType(head);
  if (type.kind === 'video') {
    const lent = await serveBlob(original);
    try {
      return await makePreviews({ url: lent.url }, type);
    } finally {
      await lent.close();
    }
  }
  let bytes: Buffer;
  try {
    bytes = await original.readAll();
  } finally {
    await original.close();
  }
  return makePreviews({ buffer: bytes }, type);
}
