CREATE TABLE `replication_deletes` (
	`blob_id` text PRIMARY KEY NOT NULL,
	`deleted_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `replication_ledger` (
	`target_id` integer NOT NULL,
	`blob_id` text NOT NULL,
	`state` text NOT NULL,
	`uploaded_at` integer NOT NULL,
	`verified_at` integer,
	PRIMARY KEY(`target_id`, `blob_id`),
	FOREIGN KEY (`target_id`) REFERENCES `replication_targets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `replication_ledger_state` ON `replication_ledger` (`target_id`,`state`);--> statement-breakpoint
CREATE TABLE `replication_targets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text(64) NOT NULL,
	`kind` text NOT NULL,
	`url` text NOT NULL,
	`options` text DEFAULT '{}' NOT NULL,
	`credentials` text,
	`host_key` text,
	`paused` integer DEFAULT false NOT NULL,
	`last_snapshot_sha256` text,
	`last_success_at` integer,
	`last_verified_at` integer,
	`last_error` text,
	`last_error_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `replication_targets_name_unique` ON `replication_targets` (`name`);