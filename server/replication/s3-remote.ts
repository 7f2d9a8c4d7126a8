import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UserError } from '../errors.js';
import { type PutOptions, type Remote, type RemoteObject, fromSource, SourceError } from './remote.js';

export interface S3Options {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Above this size uploads go in 16 MiB parts, so a dropped connection costs one part, not the file. */
const PART_SIZE = 16 * 1024 * 1024;

/** An S3-compatible bucket: AWS, Backblaze B2, Wasabi, MinIO, Garage. */
export class S3Remote implements Remote {
  private readonly client: S3Client;

  constructor(private readonly opts: S3Options) {
    this.client = new S3Client({
      endpoint: opts.endpoint,
      region: opts.region ?? 'us-east-1',
      forcePathStyle: opts.pathStyle ?? Boolean(opts.endpoint),
      credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
      // Only AWS accepts the SDK's default CRC32 trailers; B2, Garage, MinIO versions and others reject or ignore them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  private key(key: string): string {
    return this.opts.prefix ? `${this.opts.prefix}/${key}` : key;
  }

  async connect(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.opts.bucket })).catch((err: unknown) => {
      throw friendly(err, this.opts);
    });
  }

  async put(key: string, file: string, size: number, opts: PutOptions = {}): Promise<void> {
    const { signal } = opts;
    // A small file is checked in memory; a large one as it streams, failing before its end so the multipart upload is never completed.
    const body = size > PART_SIZE ? undefined : await fromSource(file, readFile(file), signal);
    if (body && opts.sha256 && createHash('sha256').update(body).digest('hex') !== opts.sha256) throw new SourceError(file);
    const streamed = body ? undefined : checkedStream(file, opts.sha256);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.opts.bucket, Key: this.key(key), Body: body ?? streamed!.stream, ContentLength: body ? size : undefined },
      partSize: PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // The listener above only hears an abort still to come.
      signal?.throwIfAborted();
      await upload.done();
    } catch (err) {
      // The SDK may report its own follow-up failure (aborting the multipart upload) instead of the stream's.
      const refused = streamed?.failure();
      throw refused ?? friendly(err, this.opts);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async head(key: string): Promise<RemoteObject | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) }));
      return { key, size: res.ContentLength ?? 0 };
    } catch (err) {
      if (err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NotFound' || err.name === 'NoSuchKey')) return undefined;
      throw friendly(err, this.opts);
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<Readable> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) }), { abortSignal: signal });
      return res.Body as Readable;
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)) {
        throw new UserError(`The target has no ${key}.`, 'target-missing-object', { cause: err });
      }
      throw friendly(err, this.opts);
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) })).catch((err: unknown) => {
      throw friendly(err, this.opts);
    });
  }

  async *list(prefix: string): AsyncIterable<RemoteObject> {
    let token: string | undefined;
    const strip = this.opts.prefix ? this.opts.prefix.length + 1 : 0;
    do {
      const res = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: this.key(prefix), ContinuationToken: token }))
        .catch((err: unknown) => {
          throw friendly(err, this.opts);
        });
      for (const o of res.Contents ?? []) yield { key: o.Key!.slice(strip), size: o.Size ?? 0 };
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** The SDK's errors, as something the admin can act on. */
function friendly(err: unknown, opts: S3Options): Error {
  const where = `${opts.endpoint ?? 'AWS S3'} bucket ${opts.bucket}`;
  const code = (err as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EAI_AGAIN') {
    return new Error(`Cannot reach ${where} (${code}). Is it online?`, { cause: err });
  }
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    // A HEAD answer has no body, so the SDK can only call it 'Unknown': the status says more.
    const what = err.name && err.name !== 'Unknown' ? err.name : `HTTP ${status}`;
    if (err.name === 'RequestTimeTooSkewed') {
      return new UserError(`${where} refused the request time: this machine's clock is more than 15 minutes off. Set the clock right (NTP) and try again.`, 'target-clock', { cause: err });
    }
    if (status === 403 || ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied'].includes(err.name)) {
      return new UserError(`${where} refused the credentials (${what}). Check the access key and secret.`, 'target-credentials', { cause: err });
    }
    if (err.name === 'NoSuchBucket' || status === 404) return new UserError(`${where} does not exist.`, 'target-missing', { cause: err });
    if (err.name === 'EntityTooLarge' || err.name === 'QuotaExceeded' || status === 507) return new UserError(`${where} is full or over its quota.`, 'target-full', { cause: err });
    return new Error(`${where}: ${what}${err.message && err.message !== 'UnknownError' ? `: ${err.message}` : ''}`, { cause: err });
  }
  return err as Error;
}

/**
 * A file as a stream that fails with a SourceError before its end when it cannot be read or its bytes do not
 * hash to `sha256`. Fresh buffers, not sourceChunks()' reused ones: the SDK holds on to chunks to build its parts.
 */
function checkedStream(file: string, sha256: string | undefined): { stream: Readable; failure(): SourceError | undefined } {
  const hash = createHash('sha256');
  let failure: SourceError | undefined;
  const checked = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      if (sha256 && hash.digest('hex') !== sha256) failure = new SourceError(file);
      done(failure ?? null);
    },
  });
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  source.once('error', (err) => checked.destroy((failure = new SourceError(file, err))));
  return { stream: source.pipe(checked), failure: () => failure };
}
