package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Cost rows: the allocated cost of each namespace, cluster and hour, as internal/cost computes it and the cost
// collector writes it. The store keeps them beside the audit events because they are durable history of the same
// kind (what a tenant had, and when) and share the database naas already runs: SQLite for naas up, PostgreSQL in
// production.

// Kinds of cost rows (the model's allocation.RowKind values).
const (
	// CostKindNamespace is a namespace charged to its tenant.
	CostKindNamespace = "namespace"
	// CostKindShared is a shared namespace (naas-system, monitoring), charged to no tenant.
	CostKindShared = "shared"
	// CostKindIdle is idle capacity the policy leaves out of the namespaces' costs.
	CostKindIdle = "idle"
)

// Usage sources of a cost hour.
const (
	UsageSourcePrometheus = "prometheus"
	UsageSourceRequests   = "requests"
)

// CostAmounts are amounts of one currency in nano-units (1 is 0.000000001, the cost model's precision), by what
// they paid for.
type CostAmounts struct {
	CPU, Memory, GPU, Storage, LoadBalancer, Idle, Shared int64
}

// Total is the sum of the amounts.
func (a CostAmounts) Total() int64 {
	return a.CPU + a.Memory + a.GPU + a.Storage + a.LoadBalancer + a.Idle + a.Shared
}

// Add adds b to a.
func (a *CostAmounts) Add(b CostAmounts) {
	a.CPU += b.CPU
	a.Memory += b.Memory
	a.GPU += b.GPU
	a.Storage += b.Storage
	a.LoadBalancer += b.LoadBalancer
	a.Idle += b.Idle
	a.Shared += b.Shared
}

// CostQuantities are resources over time: millicore-seconds, byte-seconds, GPU-seconds, load-balancer-seconds.
type CostQuantities struct {
	CPURequest, CPUUsage, CPUAllocated          int64
	MemoryRequest, MemoryUsage, MemoryAllocated int64
	GPU, Storage, LoadBalancers                 int64
}

// Add adds b to q.
func (q *CostQuantities) Add(b CostQuantities) {
	q.CPURequest += b.CPURequest
	q.CPUUsage += b.CPUUsage
	q.CPUAllocated += b.CPUAllocated
	q.MemoryRequest += b.MemoryRequest
	q.MemoryUsage += b.MemoryUsage
	q.MemoryAllocated += b.MemoryAllocated
	q.GPU += b.GPU
	q.Storage += b.Storage
	q.LoadBalancers += b.LoadBalancers
}

// CostRow is the cost of one namespace for one hour on one cluster.
type CostRow struct {
	// Namespace is the namespace's name (the idle row's is the model's, "__idle__").
	Namespace string
	// Kind is CostKindNamespace, CostKindShared or CostKindIdle; empty is CostKindNamespace.
	Kind string
	// Tenant, CostCenter, Template and Tier label the namespace as it was during the hour.
	Tenant, CostCenter, Template, Tier string
	// Currency is the ISO 4217 code of the amounts: the price book's.
	Currency string
	// Amounts is the cost, in nano-units of Currency.
	Amounts CostAmounts
	// Quantities are what was requested, used and allocated during the hour.
	Quantities CostQuantities
}

// CostHour is the cost of every namespace of one cluster for one hour.
type CostHour struct {
	Cluster string
	// Hour is the start of the hour, a whole hour.
	Hour time.Time
	// UsageSource is UsageSourcePrometheus or UsageSourceRequests.
	UsageSource string
	// Rows are the namespaces' costs, at most one per namespace; an hour may have none.
	Rows []CostRow
}

// CostQuery selects cost rows and says how to sum them. Empty filters select everything; set filters must all
// match (a row matches a filter when its value is one of the filter's).
type CostQuery struct {
	// Start and End bound the hours, [Start, End); both whole hours.
	Start, End                                 time.Time
	Tenants, CostCenters, Namespaces, Clusters []string
	// Step, if set, sums per hour (time.Hour) or per UTC day (24 * time.Hour) as well; CostSum.Period says which.
	Step time.Duration
}

// CostSum is the sum of the rows of one namespace on one cluster in one currency (and, with a step, one period).
type CostSum struct {
	// Period is the start of the hour or day summed, with CostQuery.Step; zero otherwise.
	Period                                                       time.Time
	Cluster, Namespace, Kind, Tenant, CostCenter, Template, Tier string
	Currency                                                     string
	// Hours counts the hours with a row; PrometheusHours those whose usage came from Prometheus.
	Hours, PrometheusHours int64
	Amounts                CostAmounts
	Quantities             CostQuantities
}

// CostStore keeps cost rows. SQLiteStore and PostgresStore implement it.
type CostStore interface {
	// ReplaceCostHour stores the cost of h.Cluster for h.Hour in one transaction, replacing whatever was stored
	// for that cluster and hour: running an hour again changes nothing but what changed.
	ReplaceCostHour(ctx context.Context, h CostHour) error
	// CostHours returns the hours of cluster in [since, until) whose cost is stored, oldest first.
	CostHours(ctx context.Context, cluster string, since, until time.Time) ([]time.Time, error)
	// SumCosts sums the rows q selects per cluster, namespace and currency (and period, with a step), in no
	// particular order.
	SumCosts(ctx context.Context, q CostQuery) ([]CostSum, error)
}

// ErrInvalidCost is the error ReplaceCostHour and SumCosts return, wrapped, for an hour or query they cannot take.
var ErrInvalidCost = errors.New("invalid cost")

const secondsPerDay = 24 * 60 * 60

func validateCostHour(h CostHour) error {
	var problems []string
	if h.Cluster == "" {
		problems = append(problems, "cluster is required")
	}
	if !h.Hour.Equal(h.Hour.Truncate(time.Hour)) || h.Hour.IsZero() {
		problems = append(problems, fmt.Sprintf("hour %s is not the start of an hour", h.Hour))
	}
	if h.UsageSource != UsageSourcePrometheus && h.UsageSource != UsageSourceRequests {
		problems = append(problems, fmt.Sprintf("usage source %q must be %s or %s", h.UsageSource, UsageSourcePrometheus, UsageSourceRequests))
	}
	seen := map[string]bool{}
	for _, r := range h.Rows {
		switch {
		case r.Namespace == "":
			problems = append(problems, "a row has no namespace")
		case seen[r.Namespace]:
			problems = append(problems, fmt.Sprintf("namespace %s has two rows", r.Namespace))
		case len(r.Currency) != 3:
			problems = append(problems, fmt.Sprintf("namespace %s: currency %q is not an ISO 4217 code", r.Namespace, r.Currency))
		}
		seen[r.Namespace] = true
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: cost of %s at %s: %s", ErrInvalidCost, h.Cluster, h.Hour.UTC().Format(time.RFC3339), strings.Join(problems, "; "))
	}
	return nil
}

func validateCostQuery(q CostQuery) error {
	switch {
	case !q.Start.Equal(q.Start.Truncate(time.Hour)) || !q.End.Equal(q.End.Truncate(time.Hour)):
		return fmt.Errorf("%w: a cost query spans whole hours, not %s to %s", ErrInvalidCost, q.Start, q.End)
	case !q.Start.Before(q.End):
		return fmt.Errorf("%w: a cost query's start %s is not before its end %s", ErrInvalidCost, q.Start, q.End)
	case q.Step != 0 && q.Step != time.Hour && q.Step != 24*time.Hour:
		return fmt.Errorf("%w: a cost query's step is an hour or a day, not %s", ErrInvalidCost, q.Step)
	}
	return nil
}

// costExec runs a statement in a transaction, of database/sql or pgx alike.
type costExec func(ctx context.Context, stmt string, args ...any) error

// costColumns are the amount columns of cost_hourly and cost_daily, in CostAmounts' order, then the allocations.
var costColumns = []string{
	"cpu", "memory", "gpu", "storage", "load_balancer", "idle", "shared",
	"cpu_request", "cpu_usage", "cpu_allocated", "memory_request", "memory_usage", "memory_allocated",
	"gpu_seconds", "storage_seconds", "lb_seconds",
}

// costInsertBatch bounds the rows of one INSERT: SQLite takes at most 32766 parameters a statement.
const costInsertBatch = 1000

// writeCostHour replaces the stored cost of h in the transaction of exec. The daily sums are kept by taking the
// hour's old rows out of them and adding its new ones in, so a write costs the hour's rows, not the day's.
func writeCostHour(ctx context.Context, exec costExec, ph func(n int) string, h CostHour, now time.Time) error {
	hour := h.Hour.Unix()
	if err := exec(ctx, rollupStmt(ph, -1), h.Cluster, hour); err != nil {
		return fmt.Errorf("take the old hour out of the daily sums: %w", err)
	}
	if err := exec(ctx, `DELETE FROM cost_hourly WHERE cluster = `+ph(1)+` AND hour = `+ph(2), h.Cluster, hour); err != nil {
		return fmt.Errorf("delete the old hour: %w", err)
	}
	cols := append([]string{"hour", "cluster", "namespace", "kind", "tenant", "cost_center", "template", "tier", "currency", "usage_source"}, costColumns...)
	for rows := range slices.Chunk(h.Rows, costInsertBatch) {
		var b strings.Builder
		b.WriteString("INSERT INTO cost_hourly (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, len(rows)*len(cols))
		for i, r := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j := range cols {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(ph(len(args) + j + 1))
			}
			b.WriteString(")")
			a, q, kind := r.Amounts, r.Quantities, r.Kind
			if kind == "" {
				kind = CostKindNamespace
			}
			args = append(args, hour, h.Cluster, r.Namespace, kind, r.Tenant, r.CostCenter, r.Template, r.Tier, r.Currency, h.UsageSource,
				a.CPU, a.Memory, a.GPU, a.Storage, a.LoadBalancer, a.Idle, a.Shared,
				q.CPURequest, q.CPUUsage, q.CPUAllocated, q.MemoryRequest, q.MemoryUsage, q.MemoryAllocated, q.GPU, q.Storage, q.LoadBalancers)
		}
		if err := exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert the hour's rows: %w", err)
		}
	}
	if err := exec(ctx, rollupStmt(ph, 1), h.Cluster, hour); err != nil {
		return fmt.Errorf("add the hour to the daily sums: %w", err)
	}
	if err := exec(ctx, `DELETE FROM cost_daily WHERE cluster = `+ph(1)+` AND day = `+ph(2)+` AND hours = 0`,
		h.Cluster, hour-hour%secondsPerDay); err != nil {
		return fmt.Errorf("delete emptied daily sums: %w", err)
	}
	if err := exec(ctx, `INSERT INTO cost_hours (cluster, hour, usage_source, computed_at) VALUES (`+ph(1)+`, `+ph(2)+`, `+ph(3)+`, `+ph(4)+`)
		ON CONFLICT (cluster, hour) DO UPDATE SET usage_source = excluded.usage_source, computed_at = excluded.computed_at`,
		h.Cluster, hour, h.UsageSource, now.UnixNano()); err != nil {
		return fmt.Errorf("mark the hour computed: %w", err)
	}
	return nil
}

// rollupStmt adds (sign 1) or takes out (sign -1) the rows of a cluster ($1) and hour ($2) to or from their
// day's sums. Adding also sets the day's labels to the hour's: the newest win.
func rollupStmt(ph func(n int) string, sign int) string {
	s := "+"
	if sign < 0 {
		s = "-"
	}
	var sel, set []string
	for _, c := range costColumns {
		sel = append(sel, s+c)
		set = append(set, c+" = cost_daily."+c+" + excluded."+c)
	}
	set = append(set, "hours = cost_daily.hours + excluded.hours", "prometheus_hours = cost_daily.prometheus_hours + excluded.prometheus_hours")
	if sign > 0 {
		for _, c := range []string{"kind", "tenant", "cost_center", "template", "tier"} {
			set = append(set, c+" = excluded."+c)
		}
	}
	return `INSERT INTO cost_daily (day, cluster, namespace, currency, kind, tenant, cost_center, template, tier, hours, prometheus_hours, ` +
		strings.Join(costColumns, ", ") + `)
		SELECT hour - hour % ` + fmt.Sprint(secondsPerDay) + `, cluster, namespace, currency, kind, tenant, cost_center, template, tier, ` +
		s + `1, ` + s + `(CASE WHEN usage_source = '` + UsageSourcePrometheus + `' THEN 1 ELSE 0 END), ` + strings.Join(sel, ", ") + `
		FROM cost_hourly WHERE cluster = ` + ph(1) + ` AND hour = ` + ph(2) + `
		ON CONFLICT (cluster, day, namespace, currency) DO UPDATE SET ` + strings.Join(set, ", ")
}

// costStatements returns the statements that answer q, with their arguments: whole days from the daily sums (when
// the step allows), the hours at either end from the hourly rows.
func costStatements(q CostQuery, ph func(n int) string) (stmts []string, args [][]any) {
	start, end := q.Start.Unix(), q.End.Unix()
	firstDay := (start + secondsPerDay - 1) / secondsPerDay * secondsPerDay
	lastDay := end / secondsPerDay * secondsPerDay
	type span struct{ from, to int64 }
	var hourly []span
	if q.Step == time.Hour || firstDay >= lastDay {
		hourly = append(hourly, span{start, end})
	} else {
		if start < firstDay {
			hourly = append(hourly, span{start, firstDay})
		}
		if lastDay < end {
			hourly = append(hourly, span{lastDay, end})
		}
		s, a := costSelect(q, ph, "cost_daily", "day", "hours", "prometheus_hours", firstDay, lastDay)
		stmts, args = append(stmts, s), append(args, a)
	}
	for _, sp := range hourly {
		s, a := costSelect(q, ph, "cost_hourly", "hour", "1", "CASE WHEN usage_source = '"+UsageSourcePrometheus+"' THEN 1 ELSE 0 END", sp.from, sp.to)
		stmts, args = append(stmts, s), append(args, a)
	}
	return stmts, args
}

func costSelect(q CostQuery, ph func(n int) string, table, timeCol, hours, promHours string, from, to int64) (string, []any) {
	args := []any{from, to}
	where := []string{timeCol + " >= " + ph(1), timeCol + " < " + ph(2)}
	for _, f := range []struct {
		col    string
		values []string
	}{{"tenant", q.Tenants}, {"cost_center", q.CostCenters}, {"namespace", q.Namespaces}, {"cluster", q.Clusters}} {
		if len(f.values) == 0 {
			continue
		}
		var in []string
		for _, v := range f.values {
			args = append(args, v)
			in = append(in, ph(len(args)))
		}
		where = append(where, f.col+" IN ("+strings.Join(in, ", ")+")")
	}
	period, groupBy := "0", "cluster, namespace, currency"
	switch q.Step {
	case time.Hour:
		period = timeCol
		groupBy = period + ", " + groupBy
	case 24 * time.Hour:
		period = timeCol + " - " + timeCol + " % " + fmt.Sprint(secondsPerDay)
		groupBy = period + ", " + groupBy
	}
	var sums []string
	for _, c := range append([]string{hours, promHours}, costColumns...) {
		sums = append(sums, "CAST(SUM("+c+") AS BIGINT)")
	}
	return `SELECT ` + period + `, cluster, namespace, currency, MAX(kind), MAX(tenant), MAX(cost_center), MAX(template), MAX(tier), ` +
		strings.Join(sums, ", ") + `
		FROM ` + table + ` WHERE ` + strings.Join(where, " AND ") + `
		GROUP BY ` + groupBy, args
}

// costRows are the rows of a cost query, from database/sql or pgx alike.
type costRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// costSums collects the sums of one statement's rows into sums, merging those of the same key (a namespace's
// whole days and edge hours).
type costSums struct {
	index map[costKey]int
	out   []CostSum
}

type costKey struct {
	period                       int64
	cluster, namespace, currency string
}

func (c *costSums) read(rows costRows) error {
	if c.index == nil {
		c.index = map[costKey]int{}
	}
	for rows.Next() {
		var (
			s      CostSum
			period int64
			a      = &s.Amounts
			q      = &s.Quantities
		)
		if err := rows.Scan(&period, &s.Cluster, &s.Namespace, &s.Currency, &s.Kind, &s.Tenant, &s.CostCenter, &s.Template, &s.Tier,
			&s.Hours, &s.PrometheusHours, &a.CPU, &a.Memory, &a.GPU, &a.Storage, &a.LoadBalancer, &a.Idle, &a.Shared,
			&q.CPURequest, &q.CPUUsage, &q.CPUAllocated, &q.MemoryRequest, &q.MemoryUsage, &q.MemoryAllocated,
			&q.GPU, &q.Storage, &q.LoadBalancers); err != nil {
			return fmt.Errorf("read cost sums: %w", err)
		}
		if period != 0 {
			s.Period = time.Unix(period, 0).UTC()
		}
		k := costKey{period, s.Cluster, s.Namespace, s.Currency}
		i, ok := c.index[k]
		if !ok {
			c.index[k] = len(c.out)
			c.out = append(c.out, s)
			continue
		}
		m := &c.out[i]
		m.Hours += s.Hours
		m.PrometheusHours += s.PrometheusHours
		m.Amounts.Add(s.Amounts)
		m.Quantities.Add(s.Quantities)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read cost sums: %w", err)
	}
	return nil
}

func readCostHours(rows costRows) ([]time.Time, error) {
	var out []time.Time
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("read cost hours: %w", err)
		}
		out = append(out, time.Unix(h, 0).UTC())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read cost hours: %w", err)
	}
	return out, nil
}

const costHoursStmt = `SELECT hour FROM cost_hours WHERE cluster = %s AND hour >= %s AND hour < %s ORDER BY hour`
