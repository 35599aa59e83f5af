-- The PostgreSQL twin of sqlite/0001_create_events.sql: version N is the same step in both dialects.
-- One row per audit event. An identity column never reuses a value, so a page token (an id) never points at a
-- different event.
CREATE TABLE events (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time_ns    BIGINT NOT NULL, -- Unix nanoseconds
	request_id TEXT   NOT NULL DEFAULT '',
	user_name  TEXT   NOT NULL DEFAULT '',
	groups     JSONB  NOT NULL DEFAULT '[]', -- array of strings
	action     TEXT   NOT NULL,
	tenant     TEXT   NOT NULL DEFAULT '',
	namespace  TEXT   NOT NULL DEFAULT '',
	target     TEXT   NOT NULL DEFAULT '',
	result     TEXT   NOT NULL,
	reason     TEXT   NOT NULL DEFAULT '',
	details    JSONB  NOT NULL DEFAULT '{}', -- object of strings
	-- The replica (see replicas) that recorded an intent: its intents are marked of unknown outcome only once
	-- its lease is gone. Several naas replicas share one PostgreSQL database, unlike an SQLite file.
	replica    TEXT   NOT NULL DEFAULT ''
);

-- Queries filter by one of these and page by id, newest first.
CREATE INDEX events_tenant ON events (tenant, id);
CREATE INDEX events_namespace ON events (namespace, id);
CREATE INDEX events_user ON events (user_name, id);
CREATE INDEX events_time ON events (time_ns, id);

-- One row per running store: a replica renews its lease while it runs and deletes the row when it closes.
-- Times are the server's, so that the replicas' clocks do not matter.
CREATE TABLE replicas (
	id         TEXT        PRIMARY KEY,
	started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
	renewed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
