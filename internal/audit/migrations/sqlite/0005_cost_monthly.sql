-- Monthly cost sums (see 0004_create_costs.sql for the units).
-- The sums of cost_hourly per UTC calendar month, kept in the same transaction as the hours and days: a month
-- report of a tenant reads one row a namespace instead of 30 (cost_daily) or 720 (cost_hourly). A report of the
-- month so far reads it too when no hour after the report's end is stored (the usual case: reports end at the
-- hour in progress, which is not stored).
CREATE TABLE cost_monthly (
	month         BIGINT NOT NULL, -- Unix seconds of the month's first day, 00:00 UTC
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
	PRIMARY KEY (cluster, month, namespace, currency)
);
CREATE INDEX cost_monthly_tenant ON cost_monthly (tenant, month);
CREATE INDEX cost_monthly_month ON cost_monthly (month);

-- Whether an hour after a report's end is stored (then the month's sums cannot answer it) is asked by hour.
CREATE INDEX cost_hours_hour ON cost_hours (hour);

-- The months of the days already stored.
INSERT INTO cost_monthly (month, cluster, namespace, currency, kind, tenant, cost_center, template, tier, hours, prometheus_hours,
	cpu, memory, gpu, storage, load_balancer, idle, shared, cpu_request, cpu_usage, cpu_allocated,
	memory_request, memory_usage, memory_allocated, gpu_seconds, storage_seconds, lb_seconds)
SELECT CAST(strftime('%s', day, 'unixepoch', 'start of month') AS INTEGER), cluster, namespace, currency, MAX(kind), MAX(tenant), MAX(cost_center), MAX(template), MAX(tier),
	SUM(hours), SUM(prometheus_hours), SUM(cpu), SUM(memory), SUM(gpu), SUM(storage), SUM(load_balancer), SUM(idle), SUM(shared),
	SUM(cpu_request), SUM(cpu_usage), SUM(cpu_allocated), SUM(memory_request), SUM(memory_usage), SUM(memory_allocated),
	SUM(gpu_seconds), SUM(storage_seconds), SUM(lb_seconds)
FROM cost_daily
GROUP BY CAST(strftime('%s', day, 'unixepoch', 'start of month') AS INTEGER), cluster, namespace, currency;
