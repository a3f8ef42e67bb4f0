CREATE TABLE `samples` (
	`series_id` integer NOT NULL,
	`start` integer NOT NULL,
	`end` integer,
	`last` real NOT NULL,
	`capacity` real,
	`min` real,
	`max` real,
	`area` real,
	`covered` integer,
	PRIMARY KEY(`series_id`, `start`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `series` (
	`id` integer PRIMARY KEY NOT NULL,
	`org_name` text NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`labels` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `series_identity` ON `series` (`org_name`,`kind`,`key`);--> statement-breakpoint
CREATE TABLE `snapshots` (
	`org_name` text PRIMARY KEY NOT NULL,
	`collected_at` integer NOT NULL,
	`format` integer NOT NULL,
	`body` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `store_state` (
	`org_name` text NOT NULL,
	`name` text NOT NULL,
	`value` integer NOT NULL,
	PRIMARY KEY(`org_name`, `name`)
);
