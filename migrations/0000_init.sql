CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username` text(64) NOT NULL,
	`display_name` text(128) NOT NULL,
	`role` text NOT NULL,
	`password_hash` text,
	`disabled_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);--> statement-breakpoint
CREATE TABLE `blobs` (
	`id` text(32) PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`cipher_size` integer NOT NULL,
	`cipher_sha256` text(64) NOT NULL,
	`plain_size` integer NOT NULL,
	`plain_sha256` text(64) NOT NULL,
	`key_version` integer NOT NULL,
	`wrapped_dek` blob NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `staged_blobs` (
	`id` text(32) PRIMARY KEY NOT NULL,
	`pid` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `asset_metadata` (
	`asset_id` integer PRIMARY KEY NOT NULL,
	`make` text,
	`model` text,
	`lens` text,
	`f_number` real,
	`exposure_time` text,
	`iso` integer,
	`focal_length` real,
	`orientation` integer,
	`latitude` real,
	`longitude` real,
	`altitude` real,
	`rating` integer,
	`keywords` text DEFAULT '[]' NOT NULL,
	`description` text,
	FOREIGN KEY (`asset_id`) REFERENCES `assets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `assets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner_id` integer NOT NULL,
	`original_blob_id` text NOT NULL,
	`sha256` text(64) NOT NULL,
	`kind` text NOT NULL,
	`mime` text NOT NULL,
	`original_name` text NOT NULL,
	`source_path` text,
	`file_size` integer NOT NULL,
	`file_mtime` integer,
	`taken_at` integer NOT NULL,
	`tz_offset_minutes` integer,
	`taken_at_source` text NOT NULL,
	`width` integer,
	`height` integer,
	`duration_ms` integer,
	`thumb_blob_id` text,
	`preview_blob_id` text,
	`thumbhash` blob,
	`flag` text,
	`flag_reason` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`original_blob_id`) REFERENCES `blobs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`thumb_blob_id`) REFERENCES `blobs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`preview_blob_id`) REFERENCES `blobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `assets_original_blob_id_unique` ON `assets` (`original_blob_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `assets_owner_sha256` ON `assets` (`owner_id`,`sha256`);--> statement-breakpoint
CREATE INDEX `assets_owner_taken` ON `assets` (`owner_id`,`taken_at`,`id`);--> statement-breakpoint
CREATE INDEX `assets_thumb_blob` ON `assets` (`thumb_blob_id`);--> statement-breakpoint
CREATE INDEX `assets_preview_blob` ON `assets` (`preview_blob_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
