CREATE TABLE "samples" (
	"series_id" integer NOT NULL,
	"start" bigint NOT NULL,
	"end" bigint,
	"last" double precision NOT NULL,
	"capacity" double precision,
	"min" double precision,
	"max" double precision,
	"area" double precision,
	"covered" integer,
	"at_capacity" integer,
	CONSTRAINT "samples_series_id_start_pk" PRIMARY KEY("series_id","start")
);
--> statement-breakpoint
CREATE TABLE "series" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "series_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"org_name" text NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"labels" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"org_name" text PRIMARY KEY NOT NULL,
	"collected_at" bigint NOT NULL,
	"format" integer NOT NULL,
	"body" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "store_state" (
	"org_name" text NOT NULL,
	"name" text NOT NULL,
	"value" bigint NOT NULL,
	CONSTRAINT "store_state_org_name_name_pk" PRIMARY KEY("org_name","name")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "series_identity" ON "series" USING btree ("org_name","kind","key");