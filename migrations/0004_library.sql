CREATE TABLE `asset_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`asset_id` integer NOT NULL,
	`edited_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`edited_by` integer,
	`previous` text NOT NULL,
	`next` text NOT NULL,
	FOREIGN KEY (`asset_id`) REFERENCES `assets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`edited_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `asset_versions_asset` ON `asset_versions` (`asset_id`,`id`);--> statement-breakpoint
ALTER TABLE `assets` ADD `favorite` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `assets` ADD `archived_at` integer;--> statement-breakpoint
ALTER TABLE `assets` ADD `trashed_at` integer;--> statement-breakpoint
CREATE INDEX `assets_timeline` ON `assets` (`owner_id`,`taken_at`,`id`) WHERE trashed_at IS NULL AND archived_at IS NULL;--> statement-breakpoint
CREATE INDEX `assets_trashed` ON `assets` (`owner_id`,`trashed_at`) WHERE trashed_at IS NOT NULL;