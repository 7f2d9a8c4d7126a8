import { sessionCleanupJob } from '../auth/session-cleanup.job.js';
import { SessionService } from '../auth/sessions.service.js';
import { snapshotJob } from '../backup/snapshot.job.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { scrubJob } from '../integrity/scrub.job.js';
import { ScrubService } from '../integrity/scrub.service.js';
import type { Logger } from '../log.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { Keyring } from '../vault/keyring.js';
import { ReplicaRepairer } from '../replication/replica-repairer.js';
import { replicaVerifyJob, replicateJob } from '../replication/replicate.job.js';
import { ReplicationService } from '../replication/replicate.service.js';
import { TargetService } from '../replication/targets.service.js';
import { TrashService } from '../library/trash.service.js';
import type { StoredItem } from '../library/ingest.service.js';
import { trashPurgeJob } from '../library/trash.job.js';
import { transcodeJob, videoBackfillJob } from '../library/transcode.job.js';
import { TRANSCODE_JOB, TranscodeService, VIDEO_BACKFILL_JOB } from '../library/transcode.service.js';
import { videoWorkWaiting } from '../library/transcode.repo.js';
import { placesJob } from '../places/places.job.js';
import { PLACES_JOB, PlacesService } from '../places/places.service.js';
import { JobQueue } from './queue.js';
import { JobRunner } from './runner.js';
import { Scheduler, type ScheduleSpec } from './scheduler.js';

export interface BackgroundDeps {
  config: Config;
  db: Db;
  store: BlobStore;
  keyring: Keyring;
  log: Logger;
}

const REPLICATE_AFTER_UPLOAD_MS = 2 * 60_000;

/** The schedules a new install starts with; the admin can change or pause each one. */
export const defaultSchedules: ScheduleSpec[] = [
  {
    name: 'scrub',
    description: 'Integrity check: decrypts and verifies tonight’s share of every stored file, so all are read about once a month',
    defaultCron: '30 2 * * *',
    job: { kind: 'scrub', payload: { level: 'full', scope: 'slice', trigger: 'schedule' }, dedupeKey: 'scrub', maxAttempts: 3 },
  },
  { name: 'db-snapshot', description: 'Encrypted snapshot of the database (the newest 7 are kept)', defaultCron: '15 3 * * *', job: { kind: 'db-snapshot', payload: { reason: 'daily' }, dedupeKey: 'db-snapshot' } },
  { name: 'replicate', description: 'Sends new files and a database snapshot to every active off-site target', defaultCron: '0 * * * *', job: { kind: 'replicate', dedupeKey: 'replicate', maxAttempts: 4 } },
  { name: 'replica-verify', description: 'Lists each target and reads copies back to prove they are intact', defaultCron: '45 4 * * *', job: { kind: 'replica-verify', dedupeKey: 'replica-verify', maxAttempts: 2 } },
  { name: 'session-cleanup', description: 'Removes expired sign-ins, and audit entries older than a year', defaultCron: '5 * * * *', job: { kind: 'session-cleanup', dedupeKey: 'session-cleanup' } },
  { name: 'trash-purge', description: 'Deletes for good what has been in the trash for more than 30 days (off-site copies follow after their grace period)', defaultCron: '40 3 * * *', job: { kind: 'trash-purge', dedupeKey: 'trash-purge', maxAttempts: 3 } },
];

/** The durable job queue, its workers and the schedules that feed it. Only `heirloom serve` starts them. */
export class Background {
  readonly runner: JobRunner;
  readonly queue: JobQueue;
  readonly scheduler: Scheduler;
  readonly scrub: ScrubService;
  readonly targets: TargetService;
  readonly replication: ReplicationService;
  readonly transcodes: TranscodeService;
  readonly places: PlacesService;
  private started = false;

  constructor(private readonly deps: BackgroundDeps) {
    const { config, db, store, keyring, log } = deps;
    this.targets = new TargetService({ db, keyring });
    this.replication = new ReplicationService({ db, store, keyring, log, targets: this.targets });
    this.places = new PlacesService({ db });
    this.transcodes = new TranscodeService({ db, store, keyring, log, settings: config.transcode, queue: { enqueue: (job) => this.queue.enqueue(job) } });
    this.scrub = new ScrubService({
      db,
      store,
      keyring,
      log,
      dataDir: config.dataDir,
      repairer: new ReplicaRepairer({ store, targets: this.targets, replication: this.replication, db }),
      onTranscodeDropped: ({ assetId, part }) => this.transcodes.queue(assetId, part),
    });
    this.runner = new JobRunner(db, log, {
      scrub: scrubJob(this.scrub),
      'db-snapshot': snapshotJob({ db, store, keyring, dataDir: config.dataDir }),
      'session-cleanup': sessionCleanupJob(new SessionService(db, config), db),
      'trash-purge': trashPurgeJob(new TrashService({ db, store, log })),
      replicate: replicateJob(this.targets, this.replication),
      'replica-verify': replicaVerifyJob(this.targets, this.replication),
      [TRANSCODE_JOB]: transcodeJob(this.transcodes),
      [VIDEO_BACKFILL_JOB]: videoBackfillJob(this.transcodes),
      [PLACES_JOB]: placesJob(this.places),
    });
    this.queue = new JobQueue(db, this.runner);
    this.scheduler = new Scheduler(db, this.queue, log, defaultSchedules);
  }

  start(): void {
    this.runner.start();
    if (videoWorkWaiting(this.deps.db)) this.queue.enqueue({ kind: VIDEO_BACKFILL_JOB, dedupeKey: VIDEO_BACKFILL_JOB });
    if (this.places.waiting()) this.queue.enqueue({ kind: PLACES_JOB, dedupeKey: PLACES_JOB });
    this.scheduler.start();
    this.started = true;
  }

  /**
   * A video's web copy, or a look at a Live Photo's or motion photo's motion, is queued at once (durably: a
   * CLI import's are made by the next server that runs), and so is the naming of where it was taken.
   * New items go off-site a few minutes after they arrive (one pass for a whole burst of uploads,
   * thanks to the dedupe key), not only at the hourly schedule. Only a running server does this.
   */
  storedSomething(item?: StoredItem): void {
    if (item) this.transcodes.stored(item);
    if (item && this.places.unnamed(item.assetId)) this.queue.enqueue({ kind: PLACES_JOB, dedupeKey: PLACES_JOB });
    if (!this.started || this.targets.list().every((t) => t.paused)) return;
    this.queue.enqueue({ kind: 'replicate', dedupeKey: 'replicate', maxAttempts: 4, runAfter: new Date(Date.now() + REPLICATE_AFTER_UPLOAD_MS) });
  }

  async stop(): Promise<void> {
    this.started = false;
    this.scheduler.stop();
    await this.runner.stop();
  }
}
