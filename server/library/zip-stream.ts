import { PassThrough, type Readable } from 'node:stream';
import yazl from 'yazl';

/** One file of a zip: its name inside the archive, its exact size, and how to read it when its turn comes. */
export interface ZipSource {
  /** A bare file name (no folders): see zipEntryName. */
  name: string;
  size: number;
  mtime: Date;
  /** Opened only when the archive reaches this entry, so one file is open at a time. The stream frees its resources on 'close'. */
  open(): Promise<Readable>;
}

export interface ZipOutput {
  /** The archive, produced as it is read (backpressure reaches the sources). Destroying it stops everything. */
  stream: Readable;
  /** The archive's exact length, known before any byte is read (every entry is stored and sized). */
  size: Promise<number>;
}

/**
 * A streamed zip of `sources` in store mode (photos and videos are compressed already), written by yazl:
 * ZIP64 records appear by themselves once an entry or the archive passes 4 GiB or 65 534 entries.
 * Nothing is buffered whole: entries are read one after another, each piped through as it decrypts.
 */
export function createZipStream(sources: ZipSource[], options: { forceZip64?: boolean } = {}): ZipOutput {
  const zip = new yazl.ZipFile();
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  let current: Readable | undefined;
  let failed = false;
  const fail = (err: Error) => {
    if (failed) return;
    failed = true;
    current?.destroy();
    // A broken archive must not look complete: the response is cut off, and the client sees an error.
    out.destroy(err);
  };
  zip.on('error', fail);
  out.on('close', () => {
    // The client went away (or an entry failed): stop reading the entry in flight.
    if (!out.readableEnded) {
      failed = true;
      current?.destroy();
    }
  });
  for (const source of sources) {
    zip.addReadStreamLazy(
      source.name,
      { compress: false, size: source.size, mtime: source.mtime, mode: 0o100644, forceZip64Format: options.forceZip64 ?? false },
      (cb) => {
        if (failed) return;
        source.open().then(
          (stream) => {
            if (failed) {
              stream.destroy();
              return;
            }
            current = stream;
            stream.once('error', fail);
            cb(null, stream);
          },
          (err: Error) => fail(err),
        );
      },
    );
  }
  const size = new Promise<number>((resolve) => {
    // @types/yazl leaves out the size argument and the optional options.
    (zip.end as (options: object | null, cb: (total: number) => void) => void)({ forceZip64Format: options.forceZip64 ?? false }, resolve);
  });
  (zip.outputStream as Readable).on('error', fail);
  (zip.outputStream as Readable).pipe(out);
  return { stream: out, size };
}

/**
 * A name that is safe as a file name on any system and cannot climb out of the folder the zip is unpacked into:
 * no folders, no control characters, none of the characters Windows refuses, no trailing dots or spaces.
 */
export function zipEntryName(raw: string, fallback: string): string {
  let name = raw
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .split(/[\\/]/)
    .pop()!
    .replace(/[<>:"|?*]/g, '_')
    .replace(/[. ]+$/, '')
    .trim();
  if (name === '' || /^\.+$/.test(name)) name = fallback;
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(name)) name = `_${name}`;
  return truncateName(name, 200);
}

/** Keeps names unique in one archive, case-insensitively (as Windows and macOS see them): "IMG_1.JPG", "IMG_1 (2).JPG". */
export class EntryNames {
  private readonly used = new Set<string>();

  take(name: string): string {
    let candidate = name;
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    for (let n = 2; this.used.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`;
    this.used.add(candidate.toLowerCase());
    return candidate;
  }
}

/** Shortens a name to at most `max` UTF-8 bytes, keeping its extension and never splitting a character. */
function truncateName(name: string, max: number): string {
  if (Buffer.byteLength(name) <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  let stem = [...name.slice(0, name.length - ext.length)];
  while (stem.length > 0 && Buffer.byteLength(stem.join('') + ext) > max) stem = stem.slice(0, -1);
  return stem.join('') + ext;
}
