ALTER TABLE `asset_motion` ADD `playable` integer;--> statement-breakpoint
ALTER TABLE `asset_motion` ADD `transcode_state` text DEFAULT 'pending';--> statement-breakpoint
ALTER TABLE `asset_motion` ADD `transcode_blob_id` text REFERENCES blobs(id);--> statement-breakpoint
ALTER TABLE `asset_motion` ADD `transcode_settings` text;--> statement-breakpoint
ALTER TABLE `asset_motion` ADD `transcode_error` text;--> statement-breakpoint
CREATE INDEX `asset_motion_transcode_blob` ON `asset_motion` (`transcode_blob_id`);--> statement-breakpoint
CREATE INDEX `asset_motion_pending` ON `asset_motion` (`transcode_state`);