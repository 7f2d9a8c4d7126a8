import type { Readable } from 'node:stream';
import busboy from 'busboy';
import pLimit from 'p-limit';
import { authorize } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import { diskFull, UserError } from '../errors.js';
import { formatBytes } from '../format-bytes.js';
import type { Logger } from '../log.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { SealedBlob } from '../vault/encrypt.js';
import type { Keyring } from '../vault/keyring.js';
import { diskSpace } from './disk-space.js';
import type { IngestOutcome, IngestService } from './ingest.service.js';

/**
 * Limits on one upload, counted on the stream as the bytes arrive (a Content-Length header is only an
 * early hint). Mutable so that a test, or a deployment, can lower them.
 */
export const uploadLimits = {
  /** Largest file one request may carry: 20 GB, well above a long 4K video. */
  maxFileBytes: 20 * 1000 ** 3,
  /** Room for the multipart framing and the few small fields around the file. */
  overheadBytes: 64 * 1024,
  /** Free space the data disk must keep beyond the file's encrypted blob (its previews, the database, other writers). */
  reserveBytes: 256 * 1024 * 1024,
};

/** Field names a request may carry besides the file; anything else is refused. */
const FIELDS = new Set(['lastModified', 'relativePath', '_csrf']);

export type UploadStatus = 'imported' | 'duplicate';

export interface UploadResult {
  status: UploadStatus;
  assetId: number;
  flag?: 'undecodable' | 'unsupported';
  name: string;
  message: string;
}

/** Why an upload was refused, with the HTTP status that says so and a message for the person uploading. */
export class UploadError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 507,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export interface UploadRequest {
  /** The request headers, lower-case names (content-type carries the multipart boundary). */
  headers: Record<string, string | undefined>;
  /** The raw request body, read once, as it arrives: taken only after the access and type checks passed. */
  body: () => Readable;
}

interface Received {
  tmpPath: string;
  sealed: SealedBlob;
  name: string;
  lastModified?: Date;
  relativePath?: string;
}

/** Stored files kept this many ingests at a time, however many uploads arrive at once: each may hold a file in memory. */
const ingestSlots = pLimit(2);

/**
 * One file per request: multipart parsed as it streams (busboy), the file hashed and encrypted as it arrives into
 * a temp blob in the data disk's tmp/ (wiped at boot), so no plaintext ever reaches the disk, then handed to
 * ingest, which commits or discards that blob. A request that breaks off leaves no file and no row.
 */
export class UploadService {
  constructor(
    private readonly deps: {
      ingest: IngestService;
      store: BlobStore;
      keyring: Keyring;
      log: Logger;
    },
  ) {}

  /** The largest file a person may send, for the page to check before it starts. */
  get maxFileBytes(): number {
    return uploadLimits.maxFileBytes;
  }

  async upload(actor: Actor | undefined, req: UploadRequest): Promise<UploadResult> {
    authorize(actor, { do: 'add-items' });
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\s*;/i.test(type)) {
      throw new UploadError(415, 'Send the file as multipart/form-data, one file per request, in a field named "file".');
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > uploadLimits.maxFileBytes + uploadLimits.overheadBytes) {
      throw new UploadError(413, tooLarge(declared));
    }
    if (Number.isFinite(declared) && declared > 0) await this.checkSpace(declared);

    const received = await this.receive(req.headers, req.body());
    const { tmpPath, sealed, name, lastModified, relativePath } = received;
    const outcome = await ingestSlots(() =>
      this.deps.ingest.ingestSealed({ ownerId: actor.user.id, tmpPath, sealed, originalName: name, sourcePath: relativePath, fileMtime: lastModified }),
    ).catch((err: unknown) => {
      if (!(err instanceof UserError)) throw err;
      throw new UploadError(err.code === 'disk-full' ? 507 : 400, err.message);
    });
    this.deps.log.info({ userId: actor.user.id, assetId: outcome.assetId, status: outcome.status, bytes: sealed.plainSize }, 'upload stored');
    return describe(outcome, name);
  }

  /** Refuses early, with a clear message, a file the data disk has no room for. */
  private async checkSpace(bytes: number): Promise<void> {
    const free = (await diskSpace(this.deps.store.tmpDir))?.freeBytes;
    if (free === undefined) return;
    if (free < bytes + uploadLimits.reserveBytes) {
      throw new UploadError(507, `The server's data disk has ${formatBytes(free)} free, not enough to store this ${formatBytes(bytes)} file. Free some space, then try again.`);
    }
  }

  /** Seals the one file part into tmp/ as it streams. Resolves only when every byte arrived and was sealed; otherwise nothing is left behind. */
  private receive(headers: UploadRequest['headers'], body: Readable): Promise<Received> {
    const { store, keyring } = this.deps;
    return new Promise<Received>((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({
          headers: headers as Record<string, string>,
          // Browsers send file names as raw UTF-8 in the quoted filename parameter.
          defParamCharset: 'utf8',
          preservePath: false,
          limits: { fileSize: uploadLimits.maxFileBytes, files: 1, fields: FIELDS.size, fieldSize: 2048, parts: FIELDS.size + 1, headerPairs: 20 },
        });
      } catch (err) {
        reject(new UploadError(400, `This is not a readable multipart upload (${(err as Error).message}).`));
        return;
      }
      const fields: Record<string, string> = {};
      let written: Promise<{ tmpPath: string; sealed: SealedBlob; name: string }> | undefined;
      let failed = false;
      let done = false;

      const fail = (err: unknown) => {
        // Once the whole file is in, nothing that happens to the connection may touch it: ingest reads it next.
        if (failed || done) return;
        failed = true;
        // Stop parsing, but keep reading and dropping what the client still sends so that it can read the
        // answer (the server closes the connection after a bounded drain).
        body.unpipe(bb);
        body.resume();
        bb.removeAllListeners('file');
        // Ends the file part, if one is open, so its sealing settles (a failed one leaves no temp blob).
        bb.destroy();
        const reason = err instanceof UploadError ? err : (diskFull(err) ?? err);
        const settle = () => reject(reason instanceof UserError && reason.code === 'disk-full' ? new UploadError(507, reason.message) : reason);
        // A temp blob sealed from a cut-short part goes before the answer, so no caller ever sees it lying about.
        (written ?? Promise.resolve(undefined))
          .then((w) => w && store.discard(w.tmpPath), () => {})
          .then(settle, settle);
      };

      bb.on('file', (field, stream, info) => {
        if (field !== 'file' || written) {
          stream.resume();
          fail(new UploadError(400, 'Send exactly one file per request, in a field named "file".'));
          return;
        }
        const name = cleanName(info.filename);
        stream.on('limit', () => fail(new UploadError(413, tooLarge())));
        written = store.writeTemp(keyring, stream).then((w) => ({ ...w, name }));
        written.catch(fail);
      });
      bb.on('field', (name, value, info) => {
        if (!FIELDS.has(name) || info.valueTruncated) return fail(new UploadError(400, `The upload carried an unexpected or oversized field "${name.slice(0, 40)}".`));
        fields[name] = value;
      });
      bb.on('filesLimit', () => fail(new UploadError(400, 'Send exactly one file per request.')));
      bb.on('fieldsLimit', () => fail(new UploadError(400, 'The upload carried too many fields.')));
      bb.on('partsLimit', () => fail(new UploadError(400, 'The upload carried too many parts.')));
      bb.on('error', (err: Error) => fail(new UploadError(400, `The upload broke off before the whole file arrived (${err.message}). Nothing was stored.`)));
      bb.on('close', () => {
        if (failed) return;
        if (!written) return fail(new UploadError(400, 'No file arrived: send it in a field named "file".'));
        written.then(
          ({ tmpPath, sealed, name }) => {
            if (failed) return;
            if (sealed.plainSize === 0) return fail(new UploadError(400, `${name} is empty (0 bytes): there is nothing to keep.`));
            done = true;
            resolve({ tmpPath, sealed, name, lastModified: parseTime(fields.lastModified), relativePath: cleanRelativePath(fields.relativePath) });
          },
          () => {},
        );
      });
      // A client that disconnects errors the body stream (or ends it early, which busboy reports as an error).
      body.on('error', (err: Error) => fail(new UploadError(400, `The connection was lost before the whole file arrived (${err.message}). Nothing was stored.`)));
      body.pipe(bb);
    });
  }
}

function describe(outcome: IngestOutcome, name: string): UploadResult {
  if (outcome.status === 'duplicate') {
    return { status: 'duplicate', assetId: outcome.assetId, name, message: `${name} is already in your library, so it was not stored twice.` };
  }
  if (outcome.flag) {
    return {
      status: 'imported',
      assetId: outcome.assetId,
      flag: outcome.flag.code,
      name,
      message: `${name} was kept as it is, but flagged because Heirloom cannot show it: ${outcome.flag.reason}.`,
    };
  }
  if (outcome.livePhotoMotion) return { status: 'imported', assetId: outcome.assetId, name, message: `${name} is stored as the motion of its Live Photo.` };
  return { status: 'imported', assetId: outcome.assetId, name, message: `${name} is stored.` };
}

function tooLarge(bytes?: number): string {
  const size = bytes === undefined ? 'This file is' : `This upload is ${formatBytes(bytes)},`;
  return `${size} larger than the ${formatBytes(uploadLimits.maxFileBytes)} a single upload may be. Nothing was stored.`;
}


/** A file name as the person named it, minus anything that could not be a name (control characters, folders). */
export function cleanName(raw: string | undefined): string {
  const base = (raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').split(/[\\/]/).pop()!.trim().slice(0, 255);
  return base === '' || base === '.' || base === '..' ? 'upload' : base;
}

/** The folder path a browser reports for a file picked inside a folder: kept for the record only, never used as a path. */
function cleanRelativePath(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const parts = raw
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .split(/[\\/]+/)
    .filter((p) => p !== '' && p !== '.' && p !== '..');
  return parts.length > 1 ? parts.join('/').slice(0, 1024) : undefined;
}

/** The file's own modification time (File.lastModified, ms since 1970), when plausible: ingest falls back to it for the date taken. */
function parseTime(raw: string | undefined): Date | undefined {
  if (!raw || !/^\d{1,15}$/.test(raw)) return undefined;
  const ms = Number(raw);
  return ms > 0 && ms < Date.now() + 86_400_000 ? new Date(ms) : undefined;
}
