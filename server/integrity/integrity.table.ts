import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const scrubLevels = ['keyless', 'full'] as const;
export type ScrubLevel = (typeof scrubLevels)[number];

/** One scrub: what it covered, what it found and fixed, and how fast it read. */
export const scrubRuns = sqliteTable('scrub_runs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  level: text('level', { enum: scrubLevels }).notNull(),
  /** 'slice': tonight's share of a monthly cycle; 'all': every blob (the CLI, or on demand). */
  scope: text('scope', { enum: ['slice', 'all'] }).notNull(),
  trigger: text('trigger', { enum: ['schedule', 'admin', 'cli'] }).notNull(),
  state: text('state', { enum: ['running', 'done', 'interrupted', 'failed'] }).notNull(),
  /** The process running it, so a start can tell a live scrub (a CLI verify) from one a crash cut short. */
  pid: integer('pid').notNull(),
  startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  blobsChecked: integer('blobs_checked').notNull().default(0),
  bytesChecked: integer('bytes_checked').notNull().default(0),
  problemsFound: integer('problems_found').notNull().default(0),
  repairsMade: integer('repairs_made').notNull().default(0),
  /** 'ok', or SQLite's first complaint. */
  dbCheck: text('db_check'),
  error: text('error'),
});

export type ScrubRun = typeof scrubRuns.$inferSelect;

export const problemKinds = ['missing', 'size', 'checksum', 'decrypt', 'untracked', 'database'] as const;
export type ProblemKind = (typeof problemKinds)[number];

/** Something a scrub found. Open until repaired (or regenerated); the admin and the item's owner see open ones. */
export const integrityProblems = sqliteTable(
  'integrity_problems',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    runId: integer('run_id').notNull().references(() => scrubRuns.id),
    kind: text('kind', { enum: problemKinds }).notNull(),
    /** The blob (or, for an untracked file, its name under blobs/); null for the database. */
    blobId: text('blob_id'),
    blobKind: text('blob_kind'),
    assetId: integer('asset_id'),
    detail: text('detail').notNull(),
    /** Where the damaged file was moved; never deleted. */
    quarantinedAs: text('quarantined_as'),
    state: text('state', { enum: ['open', 'repaired', 'regenerated'] }).notNull().default('open'),
    foundAt: integer('found_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('integrity_problems_state').on(t.state), index('integrity_problems_blob').on(t.blobId)],
);

export type IntegrityProblem = typeof integrityProblems.$inferSelect;
