import type { Readable } from 'node:stream';
import type { RangedBody } from '../http/ranged-response.js';
import type { Logger } from '../log.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { Keyring } from '../vault/keyring.js';

/**
 * Opens a stored blob for sending: its exact plaintext size, and a reader for all of it or an inclusive byte
 * range (decrypting only the chunks the range touches). Reading closes the blob when the stream closes;
 * without a read, the caller closes it.
 */
export async function openBlobBody(deps: { store: BlobStore; keyring: Keyring; log: Logger }, blobId: string): Promise<RangedBody> {
  const blob = await deps.store.open(blobId, deps.keyring);
  const { log } = deps;
  const close = () => blob.close().catch((err: unknown) => log.warn({ err, blobId }, 'could not close a blob after sending it'));
  return {
    size: blob.plainSize,
    close,
    read(range) {
      let stream: Readable;
      try {
        stream = blob.createReadStream(range);
      } catch (err) {
        void close();
        throw err;
      }
      stream.once('close', () => void close());
      stream.once('error', (err) => log.error({ err, blobId }, 'a file broke off while streaming'));
      return stream;
    },
  };
}
