package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/bench/report"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/cost/allocation"
	"github.com/naas-dev/naas/internal/cost/chargeback"
	"github.com/naas-dev/naas/internal/cost/collector"
	"github.com/naas-dev/naas/internal/cost/pricing"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

// CostSizes are figure 10's sizes.
type CostSizes struct {
	// HourNamespaces is how many namespaces one computed hour holds (10-hour).
	HourNamespaces int
	// ReportNamespaces and ReportHours: the tenant a report is made of, and how many stored hours it spans.
	ReportNamespaces, ReportHours int
	// Runs is how often 10-hour is measured; Reports how many reports 10-report times.
	Runs, Reports int
}

// costRunTenant is the tenant whose report 10-report times.
const costRunTenant = "t-bench"

// CostFigures measures figure 10 in dir, with no cluster: the cost of computing one hour (allocation.Synthetic's
// input, the OpenCost model, the rows written to SQLite), and the latency of a report of a tenant over the
// stored hours, on SQLite and on PostgreSQL (a server started for the run, when its binaries are installed).
func CostFigures(ctx context.Context, dir string, sz CostSizes) ([]report.Figure, error) {
	book, policy, err := pricing.Defaults()
	if err != nil {
		return nil, err
	}
	catalog, err := pricing.NewCatalog([]naasv1alpha1.PriceBook{*book}, "")
	if err != nil {
		return nil, err
	}
	pol := allocation.PolicyFrom(policy.Spec)
	sqlite, err := audit.Open(ctx, "sqlite://"+filepath.Join(dir, "cost.db"))
	if err != nil {
		return nil, err
	}
	defer sqlite.Close()
	store := sqlite.(audit.CostStore)

	// 10-hour: compute and store one hour, Runs times; the worst counts.
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var runs []float64
	for i := range sz.Runs {
		t0 := time.Now()
		h := start.Add(time.Duration(i) * time.Hour)
		res, err := allocation.Compute(allocation.Synthetic(sz.HourNamespaces, h), catalog, pol)
		if err != nil {
			return nil, err
		}
		if err := store.ReplaceCostHour(ctx, hourOf("bench-hour", h, res.Rows, "")); err != nil {
			return nil, err
		}
		runs = append(runs, time.Since(t0).Seconds())
	}
	hour := report.Summarize(runs)
	figures := []report.Figure{{
		ID: "10-hour", Title: fmt.Sprintf("Cost: computing one hour of %d namespaces and storing it", sz.HourNamespaces), Unit: "s",
		Method: fmt.Sprintf("allocation.Synthetic (two pods of two containers, a PVC, a load balancer in one of ten, usage from "+
			"Prometheus; a node per 20 namespaces), allocation.Compute with the default PriceBook and CostPolicy, and "+
			"ReplaceCostHour into SQLite; %d runs, the worst is the p99.", sz.Runs),
		Value:  &hour,
		Target: &report.Target{Text: "under 10 s", Stat: report.StatP99, Max: 10},
	}}

	// 10-report: a month (ReportHours) of a tenant with ReportNamespaces namespaces, on each store.
	res, err := allocation.Compute(allocation.Synthetic(sz.ReportNamespaces, start), catalog, pol)
	if err != nil {
		return nil, err
	}
	stores := []struct {
		id, name string
		open     func() (audit.Store, func(), error)
	}{
		{"10-report-sqlite", "SQLite", func() (audit.Store, func(), error) {
			s, err := audit.Open(ctx, "sqlite://"+filepath.Join(dir, "report.db"))
			return s, func() {}, err
		}},
		{"10-report-postgres", "PostgreSQL", func() (audit.Store, func(), error) {
			pg, err := testenv.StartPostgres()
			if err != nil {
				return nil, nil, err
			}
			s, err := audit.Open(ctx, pg.DSN("postgres"))
			return s, func() { _ = pg.Stop() }, err
		}},
	}
	for _, st := range stores {
		f := report.Figure{
			ID: st.id, Unit: "s", Title: fmt.Sprintf("Cost: report of a tenant with %d namespaces over %d stored hours, %s", sz.ReportNamespaces, sz.ReportHours, st.name),
			Method: fmt.Sprintf("%d hours of the tenant's namespaces (allocation.Synthetic, all in one tenant) stored, then %d "+
				"reports per namespace over the window through the collector (SumCosts, chargeback rules, the hour in progress "+
				"of an empty cluster), one after the other.", sz.ReportHours, sz.Reports),
			Target: &report.Target{Text: "under 200 ms", Stat: report.StatP99, Max: 0.2},
		}
		s, stop, err := st.open()
		if errors.Is(err, testenv.ErrNoPostgres) {
			f.NotAvailable = "PostgreSQL's server binaries are not installed: run hack/deps.sh"
			figures = append(figures, f)
			continue
		}
		if err != nil {
			return nil, err
		}
		v, err := reportLatency(ctx, s.(audit.CostStore), res.Rows, start, sz)
		_ = s.Close()
		stop()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.id, err)
		}
		f.Value = &v
		figures = append(figures, f)
	}
	return figures, nil
}

func reportLatency(ctx context.Context, store audit.CostStore, rows []allocation.Row, start time.Time, sz CostSizes) (report.Summary, error) {
	for h := range sz.ReportHours {
		if err := store.ReplaceCostHour(ctx, hourOf("bench", start.Add(time.Duration(h)*time.Hour), rows, costRunTenant)); err != nil {
			return report.Summary{}, err
		}
	}
	end := start.Add(time.Duration(sz.ReportHours) * time.Hour)
	c := collector.New(collector.Options{
		Store: store, Management: fake.NewClientBuilder().WithScheme(setup.Scheme()).Build(),
		Targets: func() []collector.Target { return nil },
		Now:     func() time.Time { return end.Add(30 * time.Minute) },
	})
	q := collector.ReportQuery{Window: chargeback.Window{Start: start, End: end}, Aggregate: chargeback.AggregateNamespace, Tenants: []string{costRunTenant}}
	var took []float64
	for range sz.Reports {
		t0 := time.Now()
		rep, err := c.Report(ctx, q)
		if err != nil {
			return report.Summary{}, err
		}
		if len(rep.Lines) != sz.ReportNamespaces {
			return report.Summary{}, fmt.Errorf("report has %d lines, want %d", len(rep.Lines), sz.ReportNamespaces)
		}
		took = append(took, time.Since(t0).Seconds())
	}
	return report.Summarize(took), nil
}

// hourOf is rows as the store keeps them for cluster at hour; tenant, when set, owns every namespace.
func hourOf(cluster string, hour time.Time, rows []allocation.Row, tenant string) audit.CostHour {
	h := audit.CostHour{Cluster: cluster, Hour: hour, UsageSource: allocation.UsagePrometheus, Rows: make([]audit.CostRow, 0, len(rows))}
	for i := range rows {
		r := collector.ToStore(&rows[i])
		if tenant != "" && r.Kind == string(allocation.KindNamespace) {
			r.Tenant = tenant
		}
		h.Rows = append(h.Rows, r)
	}
	return h
}
