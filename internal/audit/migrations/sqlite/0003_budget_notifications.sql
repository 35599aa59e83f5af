-- One row per budget threshold that fired: a budget's scope ("tenant/payments", "namespace/payments-api",
-- "costcenter/cc-42"), the month (YYYY-MM, UTC), the threshold's percent and its kind (Actual or Forecast). The
-- primary key is what makes a threshold fire once per period however many evaluators race or restart: the one
-- whose insert lands notifies, the others find the row. payload is the notification as first sent, so a resend
-- after a crash carries the same figures and idempotency key; delivered_ns is 0 until the notification went out.
CREATE TABLE budget_notifications (
	scope        TEXT    NOT NULL,
	period       TEXT    NOT NULL,
	threshold    INTEGER NOT NULL,
	kind         TEXT    NOT NULL,
	fired_ns     INTEGER NOT NULL,
	payload      TEXT    NOT NULL DEFAULT '',
	delivered_ns INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (scope, period, threshold, kind)
);

-- The notifications still to send: few at any time, read at every evaluation.
CREATE INDEX budget_notifications_undelivered ON budget_notifications (fired_ns) WHERE delivered_ns = 0;
