CREATE TABLE `asset_motion` (
	`asset_id` integer PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`blob_id` text,
	`sha256` text(64),
	`original_name` text,
	`file_size` integer,
	`offset` integer,
	`length` integer,
	`mime` text NOT NULL,
	`duration_ms` integer,
	FOREIGN KEY (`asset_id`) REFERENCES `assets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`blob_id`) REFERENCES `blobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `asset_motion_blob_id_unique` ON `asset_motion` (`blob_id`);--> statement-breakpoint
CREATE INDEX `asset_motion_sha256` ON `asset_motion` (`sha256`);--> statement-breakpoint
CREATE TABLE `asset_video` (
	`asset_id` integer PRIMARY KEY NOT NULL,
	`container` text,
	`video_codec` text,
	`audio_codec` text,
	`pixel_format` text,
	`bit_depth` integer,
	`fps` real,
	`rotation` integer DEFAULT 0 NOT NULL,
	`hdr` integer DEFAULT false NOT NULL,
	`bit_rate` integer,
	`playable` integer NOT NULL,
	`transcode_state` text,
	`transcode_blob_id` text,
	`transcode_settings` text,
	`transcode_error` text,
	FOREIGN KEY (`asset_id`) REFERENCES `assets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`transcode_blob_id`) REFERENCES `blobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `asset_video_transcode_blob` ON `asset_video` (`transcode_blob_id`);--> statement-breakpoint
CREATE INDEX `asset_video_pending` ON `asset_video` (`transcode_state`);--> statement-breakpoint
ALTER TABLE `asset_metadata` ADD `content_id` text;--> statement-breakpoint
CREATE INDEX `asset_metadata_content_id` ON `asset_metadata` (`content_id`) WHERE content_id IS NOT NULL;