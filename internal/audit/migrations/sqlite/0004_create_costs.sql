-- Allocated cost: one row per namespace, cluster and hour (the OpenCost model's output, see internal/cost).
-- Amounts are integers in nano-units of the row's currency (1 = 0.000000001, the model's precision), never
-- floats. Quantities are resource-seconds: millicore-seconds, byte-seconds, GPU-seconds, load-balancer-seconds.

-- The hours computed per cluster, even those with no namespace: the collector finds the hours it has not
-- computed (after a restart, or a gap) by what is missing here.
CREATE TABLE cost_hours (
	cluster      TEXT   NOT NULL,
	hour         BIGINT NOT NULL, -- Unix seconds of the hour's start, UTC
	usage_source TEXT   NOT NULL, -- prometheus or requests
	computed_at  BIGINT NOT NULL, -- Unix nanoseconds
	PRIMARY KEY (cluster, hour)
);

CREATE TABLE cost_hourly (
	hour          BIGINT NOT NULL,
	cluster       TEXT   NOT NULL,
	namespace     TEXT   NOT NULL, -- or __idle__ for idle capacity the policy leaves unallocated
	kind          TEXT   NOT NULL DEFAULT 'namespace', -- namespace, shared or idle
	tenant        TEXT   NOT NULL DEFAULT '',
	cost_center   TEXT   NOT NULL DEFAULT '',
	template      TEXT   NOT NULL DEFAULT '',
	tier          TEXT   NOT NULL DEFAULT '',
	currency      TEXT   NOT NULL,
	usage_source  TEXT   NOT NULL,
	cpu           BIGINT NOT NULL DEFAULT 0,
	memory        BIGINT NOT NULL DEFAULT 0,
	gpu           BIGINT NOT NULL DEFAULT 0,
	storage       BIGINT NOT NULL DEFAULT 0,
	load_balancer BIGINT NOT NULL DEFAULT 0,
	idle          BIGINT NOT NULL DEFAULT 0,
	shared        BIGINT NOT NULL DEFAULT 0,
	cpu_request      BIGINT NOT NULL DEFAULT 0,
	cpu_usage        BIGINT NOT NULL DEFAULT 0,
	cpu_allocated    BIGINT NOT NULL DEFAULT 0,
	memory_request   BIGINT NOT NULL DEFAULT 0,
	memory_usage     BIGINT NOT NULL DEFAULT 0,
	memory_allocated BIGINT NOT NULL DEFAULT 0,
	gpu_seconds      BIGINT NOT NULL DEFAULT 0,
	storage_seconds  BIGINT NOT NULL DEFAULT 0, -- byte-seconds
	lb_seconds       BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (cluster, hour, namespace)
);
CREATE INDEX cost_hourly_tenant ON cost_hourly (tenant, hour);
CREATE INDEX cost_hourly_hour ON cost_hourly (hour);

-- The sums of cost_hourly per UTC day, kept in the same transaction as the hours: a month of a tenant reads
-- 30 rows a namespace instead of 720.
CREATE TABLE cost_daily (
	day           BIGINT NOT NULL, -- Unix seconds of the day's start, UTC
	cluster       TEXT   NOT NULL,
	namespace     TEXT   NOT NULL,
	currency      TEXT   NOT NULL,
	kind          TEXT   NOT NULL DEFAULT 'namespace',
	tenant        TEXT   NOT NULL DEFAULT '',
	cost_center   TEXT   NOT NULL DEFAULT '',
	template      TEXT   NOT NULL DEFAULT '',
	tier          TEXT   NOT NULL DEFAULT '',
	hours         BIGINT NOT NULL DEFAULT 0,
	prometheus_hours BIGINT NOT NULL DEFAULT 0,
	cpu           BIGINT NOT NULL DEFAULT 0,
	memory        BIGINT NOT NULL DEFAULT 0,
	gpu           BIGINT NOT NULL DEFAULT 0,
	storage       BIGINT NOT NULL DEFAULT 0,
	load_balancer BIGINT NOT NULL DEFAULT 0,
	idle          BIGINT NOT NULL DEFAULT 0,
	shared        BIGINT NOT NULL DEFAULT 0,
	cpu_request      BIGINT NOT NULL DEFAULT 0,
	cpu_usage        BIGINT NOT NULL DEFAULT 0,
	cpu_allocated    BIGINT NOT NULL DEFAULT 0,
	memory_request   BIGINT NOT NULL DEFAULT 0,
	memory_usage     BIGINT NOT NULL DEFAULT 0,
	memory_allocated BIGINT NOT NULL DEFAULT 0,
	gpu_seconds      BIGINT NOT NULL DEFAULT 0,
	storage_seconds  BIGINT NOT NULL DEFAULT 0, -- byte-seconds
	lb_seconds       BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (cluster, day, namespace, currency)
);
CREATE INDEX cost_daily_tenant ON cost_daily (tenant, day);
CREATE INDEX cost_daily_day ON cost_daily (day);
