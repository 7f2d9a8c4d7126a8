import path from 'node:path';
import type { Db } from '../db/client.js';
import { getSetting, putSetting } from '../db/settings.repo.js';
import { findAssetByBlob } from '../library/assets.repo.js';
import { dropTranscodes, type TranscodeTarget } from '../library/transcode.repo.js';
import type { Logger } from '../log.js';
import { isProcessAlive } from '../pids.js';
import type { BlobStore } from '../vault/blob-store.js';
import { blobsAfter, countBlobs, knownBlobIds } from '../vault/blobs.repo.js';
import type { BlobRow } from '../vault/blobs.table.js';
import type { Keyring } from '../vault/keyring.js';
import { checkBlob, type BlobFinding } from './blob-check.js';
import { markInterruptedRuns, openProblemFor, recordProblem, resolveProblem, startRun, updateProblem, updateRun } from './integrity.repo.js';
import type { ScrubLevel, ScrubRun } from './integrity.table.js';
import { quarantine } from './quarantine.js';
import { regenerateDerived } from './regenerate.js';
import { ReadThrottle } from './throttle.js';
import { blobFiles } from './untracked.js';

/** Where the nightly slices have got to (a blob id; '' = start over). */
const CURSOR_SETTING = 'scrub.cursor';
const BATCH = 200;

/** Fetches a verified copy of a blob from a replica into its place under blobs/; false when none has one. */
export interface BlobRepairer {
  /** Whether any replica is configured (and not paused) to repair from. */
  hasSources(): boolean;
  restore(row: BlobRow, signal?: AbortSignal): Promise<boolean>;
}

export interface ScrubOptions {
  level: ScrubLevel;
  /** 'slice': about 1/cycleDays of the bytes, from where the last slice stopped; 'all': everything. */
  scope: 'slice' | 'all';
  trigger: ScrubRun['trigger'];
  signal?: AbortSignal;
  onProgress?(p: { blobs: number; totalBlobs: number; bytes: number; totalBytes: number }): void;
  /** Read rate cap; 0 = as fast as the disk goes. */
  bytesPerSecond?: number;
  cycleDays?: number;
  /** PRAGMA integrity_check (slow, thorough) rather than quick_check. */
  fullDbCheck?: boolean;
}

export interface ScrubDeps {
  db: Db;
  store: BlobStore;
  keyring: Keyring;
  log: Logger;
  dataDir: string;
  repairer?: BlobRepairer;
  /** A damaged web copy of this video or motion part was dropped: queue a new one. */
  onTranscodeDropped?(target: TranscodeTarget): void;
}

/**
 * Proves stored bytes are still what was written: checks blobs, finds missing and untracked files and
 * checks the database; quarantines what is damaged, regenerates previews, and restores originals from a
 * verified replica when one is configured. Everything found is recorded for the admin and the owner.
 */
export class ScrubService {
  constructor(private readonly deps: ScrubDeps) {}

  async run(opts: ScrubOptions): Promise<ScrubRun> {
    const { db, log } = this.deps;
    markInterruptedRuns(db, isProcessAlive);
    const run = startRun(db, { level: opts.level, scope: opts.scope, trigger: opts.trigger });
    const stats = { blobsChecked: 0, bytesChecked: 0, problemsFound: 0, repairsMade: 0 };
    const save = () => updateRun(db, run.id, stats);
    let cursor = opts.scope === 'all' ? '' : (getSetting(db, CURSOR_SETTING) ?? '');
    try {
      const total = countBlobs(db);
      const budget = opts.scope === 'all' ? Infinity : Math.max(1, Math.ceil(total.bytes / (opts.cycleDays ?? 30)));
      const throttle = new ReadThrottle(opts.bytesPerSecond ?? 0);
      let wrapped = false;
      while (stats.bytesChecked < budget) {
        const batch = blobsAfter(db, cursor, BATCH);
        if (batch.length === 0) {
          wrapped = true;
          cursor = '';
          break;
        }
        for (const row of batch) {
          opts.signal?.throwIfAborted();
          const finding = await checkBlob(this.deps.store, this.deps.keyring, row, opts.level, throttle, opts.signal);
          stats.blobsChecked++;
          stats.bytesChecked += row.cipherSize;
          if (finding) {
            stats.problemsFound++;
            if (await this.handle(run.id, row, finding, opts.signal)) stats.repairsMade++;
          }
          cursor = row.id;
          opts.onProgress?.({ blobs: stats.blobsChecked, totalBlobs: total.count, bytes: stats.bytesChecked, totalBytes: total.bytes });
          if (stats.bytesChecked >= budget) break;
        }
        if (opts.scope === 'slice') putSetting(db, CURSOR_SETTING, cursor);
        save();
      }
      // A slice that stopped on the last blob has finished the cycle: the next night starts over, not with nothing.
      if (!wrapped && opts.scope === 'slice' && blobsAfter(db, cursor, 1).length === 0) {
        wrapped = true;
        cursor = '';
      }
      if (opts.scope === 'slice') putSetting(db, CURSOR_SETTING, cursor);
      if (opts.scope === 'all' || wrapped) stats.problemsFound += await this.findUntracked(run.id);
      const dbCheck = this.checkDatabase(run.id, opts.fullDbCheck ?? false);
      if (dbCheck !== 'ok') stats.problemsFound++;
      const finished = { ...stats, dbCheck, state: 'done' as const, finishedAt: new Date() };
      updateRun(db, run.id, finished);
      return { ...run, ...finished };
    } catch (err) {
      const interrupted = opts.signal?.aborted ?? false;
      // Blobs checked before the stop count: the next slice resumes after the last one, not at the batch start.
      if (opts.scope === 'slice') putSetting(db, CURSOR_SETTING, cursor);
      updateRun(db, run.id, { ...stats, state: interrupted ? 'interrupted' : 'failed', finishedAt: new Date(), error: interrupted ? null : String((err as Error).message ?? err) });
      if (!interrupted) log.error({ err, runId: run.id }, 'scrub failed');
      throw err;
    }
  }

  /** Records a finding and repairs what can be: returns true when the blob is sound again. */
  private async handle(runId: number, row: BlobRow, finding: BlobFinding, signal?: AbortSignal): Promise<boolean> {
    const { db, store, log, dataDir } = this.deps;
    const asset = findAssetByBlob(db, row.id);
    const quarantinedAs = finding.kind === 'missing' ? undefined : await quarantine(dataDir, store.pathFor(row.id), row.id);
    const problem =
      openProblemFor(db, row.id) ??
      recordProblem(db, { runId, kind: finding.kind, blobId: row.id, blobKind: row.kind, assetId: asset?.id, detail: finding.detail, quarantinedAs });
    if (quarantinedAs && problem.quarantinedAs !== quarantinedAs) updateProblem(db, problem.id, { quarantinedAs });
    log.warn({ blobId: row.id, kind: row.kind, problem: finding.kind, detail: finding.detail, assetId: asset?.id }, 'scrub found a damaged blob');
    try {
      if (row.kind === 'transcode') {
        for (const target of dropTranscodes(db, [row.id])) this.deps.onTranscodeDropped?.(target);
        updateProblem(db, problem.id, { detail: `${finding.detail}; the web copy was dropped and a new one queued` });
        resolveProblem(db, problem.id, 'regenerated');
        return true;
      }
      if (row.kind !== 'original' && asset) {
        await regenerateDerived(this.deps, asset, row.id);
        resolveProblem(db, problem.id, 'regenerated');
        return true;
      }
      if (row.kind === 'original' && this.deps.repairer && (await this.deps.repairer.restore(row, signal))) {
        const recheck = await checkBlob(store, this.deps.keyring, row, 'keyless', new ReadThrottle(0), signal);
        if (!recheck) {
          resolveProblem(db, problem.id, 'repaired');
          log.info({ blobId: row.id }, 'restored a damaged original from a replica');
          return true;
        }
        // A bad copy is not left in blobs/ as if it were the photo; it is kept beside the damaged one.
        await quarantine(dataDir, store.pathFor(row.id), row.id);
      }
      const why = row.kind === 'original' ? (this.deps.repairer?.hasSources() ? 'no replica holds a verified copy' : 'no replica is configured to repair it from') : 'its original cannot be read either';
      updateProblem(db, problem.id, { detail: `${finding.detail}; ${why}` });
    } catch (err) {
      if (signal?.aborted) throw err;
      updateProblem(db, problem.id, { detail: `${finding.detail}; repair failed: ${(err as Error).message}` });
    }
    return false;
  }

  /** Files under blobs/ that no row (and no in-flight store) accounts for. Reported, left where they are. */
  private async findUntracked(runId: number): Promise<number> {
    const { db, store } = this.deps;
    const files: string[] = [];
    for await (const rel of blobFiles(store.blobsDir)) files.push(rel);
    // Read after listing, so a blob committed meanwhile is known rather than reported.
    const known = knownBlobIds(db);
    let found = 0;
    for (const rel of files) {
      const name = path.basename(rel);
      if (known.has(name) && rel === path.relative(store.blobsDir, store.pathFor(name))) continue;
      if (openProblemFor(db, rel)) continue;
      recordProblem(db, { runId, kind: 'untracked', blobId: rel, detail: `blobs/${rel} is not a stored blob of this library` });
      found++;
    }
    return found;
  }

  private checkDatabase(runId: number, full: boolean): string {
    const { db } = this.deps;
    let result: string;
    try {
      const rows = db.$client.pragma(full ? 'integrity_check' : 'quick_check') as Record<string, string>[];
      result = rows.map((r) => Object.values(r)[0]).join('; ');
    } catch (err) {
      // Some damage (a page SQLite cannot parse) makes the check itself fail rather than list it.
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_CORRUPT') && code !== 'SQLITE_NOTADB') throw err;
      result = (err as Error).message;
    }
    if (result !== 'ok' && !openProblemFor(db, null, 'database')) {
      recordProblem(db, { runId, kind: 'database', blobId: null, detail: `SQLite ${full ? 'integrity_check' : 'quick_check'}: ${result.slice(0, 1000)}` });
    }
    return result === 'ok' ? 'ok' : result.slice(0, 1000);
  }
}
