-- The PostgreSQL twin of sqlite/0003_budget_notifications.sql.
CREATE TABLE budget_notifications (
	scope        TEXT    NOT NULL,
	period       TEXT    NOT NULL,
	threshold    INTEGER NOT NULL,
	kind         TEXT    NOT NULL,
	fired_ns     BIGINT  NOT NULL,
	payload      TEXT    NOT NULL DEFAULT '',
	delivered_ns BIGINT  NOT NULL DEFAULT 0,
	PRIMARY KEY (scope, period, threshold, kind)
);

CREATE INDEX budget_notifications_undelivered ON budget_notifications (fired_ns) WHERE delivered_ns = 0;
