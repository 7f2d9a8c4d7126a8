CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`payload` text DEFAULT '{}' NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`dedupe_key` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer DEFAULT 5 NOT NULL,
	`run_after` integer NOT NULL,
	`lock_pid` integer,
	`cancel_requested` integer DEFAULT false NOT NULL,
	`progress` text,
	`checkpoint` text,
	`last_error` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`started_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `jobs_ready` ON `jobs` (`state`,`run_after`);--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_active_dedupe` ON `jobs` (`dedupe_key`) WHERE state IN ('queued', 'running') AND dedupe_key IS NOT NULL;--> statement-breakpoint
CREATE TABLE `schedules` (
	`name` text PRIMARY KEY NOT NULL,
	`cron` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`last_run_at` integer,
	`last_job_id` integer
);
--> statement-breakpoint
CREATE TABLE `integrity_problems` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`kind` text NOT NULL,
	`blob_id` text,
	`blob_kind` text,
	`asset_id` integer,
	`detail` text NOT NULL,
	`quarantined_as` text,
	`state` text DEFAULT 'open' NOT NULL,
	`found_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`resolved_at` integer,
	FOREIGN KEY (`run_id`) REFERENCES `scrub_runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `integrity_problems_state` ON `integrity_problems` (`state`);--> statement-breakpoint
CREATE INDEX `integrity_problems_blob` ON `integrity_problems` (`blob_id`);--> statement-breakpoint
CREATE TABLE `scrub_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`level` text NOT NULL,
	`scope` text NOT NULL,
	`trigger` text NOT NULL,
	`state` text NOT NULL,
	`pid` integer NOT NULL,
	`started_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`finished_at` integer,
	`blobs_checked` integer DEFAULT 0 NOT NULL,
	`bytes_checked` integer DEFAULT 0 NOT NULL,
	`problems_found` integer DEFAULT 0 NOT NULL,
	`repairs_made` integer DEFAULT 0 NOT NULL,
	`db_check` text,
	`error` text
);
