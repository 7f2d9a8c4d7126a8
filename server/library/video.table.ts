import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { blobs } from '../vault/blobs.table.js';
import { assets } from './assets.table.js';

export const transcodeStates = ['pending', 'done', 'failed', 'skipped'] as const;
export type TranscodeState = (typeof transcodeStates)[number];

/**
 * What ffprobe found in a video, and its web copy. `playable` originals (H.264 8-bit with AAC/MP3 or no
 * audio, in MP4/MOV, not HDR) stream as they are; the others get an H.264/AAC MP4 made by a transcode job.
 */
export const assetVideo = sqliteTable(
  'asset_video',
  {
    assetId: integer('asset_id').primaryKey().references(() => assets.id, { onDelete: 'cascade' }),
    container: text('container'),
    videoCodec: text('video_codec'),
    audioCodec: text('audio_codec'),
    pixelFormat: text('pixel_format'),
    bitDepth: integer('bit_depth'),
    fps: real('fps'),
    /** Clockwise display rotation in degrees: 0, 90, 180 or 270. */
    rotation: integer('rotation').notNull().default(0),
    hdr: integer('hdr', { mode: 'boolean' }).notNull().default(false),
    bitRate: integer('bit_rate'),
    playable: integer('playable', { mode: 'boolean' }).notNull(),
    /** null while nothing is needed (playable); otherwise where the web copy stands. */
    transcodeState: text('transcode_state', { enum: transcodeStates }),
    transcodeBlobId: text('transcode_blob_id').references(() => blobs.id),
    /** The settings the web copy was made with (e.g. "1080p crf 23 medium"), so a change can remake it. */
    transcodeSettings: text('transcode_settings'),
    /** Why the last transcode failed or was skipped, in ffmpeg's own words where it had some. */
    transcodeError: text('transcode_error'),
  },
  (t) => [index('asset_video_transcode_blob').on(t.transcodeBlobId), index('asset_video_pending').on(t.transcodeState)],
);

export const motionSources = ['live', 'embedded'] as const;
export type MotionSource = (typeof motionSources)[number];

/**
 * The moving part of a Live Photo (an iPhone's HEIC/JPEG with its MOV) or a motion photo (Samsung,
 * Pixel: a video inside the JPEG/HEIC). A Live Photo's MOV is an original of its own, kept byte-exact
 * in `blobId`; an embedded video is read in place from the photo's original at offset/length. A part no
 * browser plays as it is (HEVC, 10-bit, HDR) gets a web copy from the transcode job, as videos do.
 */
export const assetMotion = sqliteTable(
  'asset_motion',
  {
    assetId: integer('asset_id').primaryKey().references(() => assets.id, { onDelete: 'cascade' }),
    source: text('source', { enum: motionSources }).notNull(),
    blobId: text('blob_id').unique().references(() => blobs.id),
    /** SHA-256 of the MOV's bytes: an upload of the same MOV again is a duplicate, not a new video. */
    sha256: text('sha256', { length: 64 }),
    originalName: text('original_name'),
    fileSize: integer('file_size'),
    offset: integer('offset'),
    length: integer('length'),
    mime: text('mime').notNull(),
    durationMs: integer('duration_ms'),
    /** null until the transcode job has probed it. */
    playable: integer('playable', { mode: 'boolean' }),
    /** 'pending' until probed and, when not playable, copied; null once known playable. */
    transcodeState: text('transcode_state', { enum: transcodeStates }).default('pending'),
    transcodeBlobId: text('transcode_blob_id').references(() => blobs.id),
    transcodeSettings: text('transcode_settings'),
    transcodeError: text('transcode_error'),
  },
  (t) => [index('asset_motion_sha256').on(t.sha256), index('asset_motion_transcode_blob').on(t.transcodeBlobId), index('asset_motion_pending').on(t.transcodeState)],
);

export type AssetVideo = typeof assetVideo.$inferSelect;
export type AssetMotion = typeof assetMotion.$inferSelect;
