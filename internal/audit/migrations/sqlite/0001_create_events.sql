-- One row per audit event. AUTOINCREMENT keeps ids growing even if the newest rows are ever deleted, so a
-- page token (an id) never points at a different event.
CREATE TABLE events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	time_ns    INTEGER NOT NULL, -- Unix nanoseconds
	request_id TEXT    NOT NULL DEFAULT '',
	user_name  TEXT    NOT NULL DEFAULT '',
	groups     TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
	action     TEXT    NOT NULL,
	tenant     TEXT    NOT NULL DEFAULT '',
	namespace  TEXT    NOT NULL DEFAULT '',
	target     TEXT    NOT NULL DEFAULT '',
	result     TEXT    NOT NULL,
	reason     TEXT    NOT NULL DEFAULT '',
	details    TEXT    NOT NULL DEFAULT '{}' -- JSON object of strings
);

-- Queries filter by one of these and page by id, newest first.
CREATE INDEX events_tenant ON events (tenant, id);
CREATE INDEX events_namespace ON events (namespace, id);
CREATE INDEX events_user ON events (user_name, id);
CREATE INDEX events_time ON events (time_ns, id);
