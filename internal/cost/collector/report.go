package collector

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/cost/allocation"
	"github.com/naas-dev/naas/internal/cost/chargeback"
	"github.com/naas-dev/naas/internal/cost/money"
)

// ErrBadReport is the error Report returns, wrapped, for a report it cannot make as asked (a currency with no
// exchange rate): the caller's mistake, not naas's.
var ErrBadReport = errors.New("bad cost report")

// ReportQuery is what a report is of.
type ReportQuery struct {
	Window    chargeback.Window
	Aggregate chargeback.Aggregate
	// AllTenants reports every namespace, idle and shared cost included (platform admins); otherwise only the
	// namespaces of Tenants.
	AllTenants bool
	Tenants    []string
	// Namespaces, if set, narrows the report to these namespaces.
	Namespaces []string
	// Currency is the report's; the cost policy's (or the default price book's) when empty.
	Currency string
	// Step, an hour or a day, adds each line's charged cost per period.
	Step time.Duration
}

// Report is a chargeback report with where its usage came from.
type Report struct {
	chargeback.Report
	// UsageSource is allocation.UsagePrometheus, allocation.UsageRequests or Mixed.
	UsageSource string
	// InProgress is the start of the hour in progress, when the window includes it.
	InProgress *time.Time
	// Step is the period of Series (an hour or a day); zero without a series.
	Step time.Duration
	// Series are the charged amounts per period of each line (by key) and of the total (key "total"), with a step.
	Series map[string][]Point
}

// Point is the charged amount of one period.
type Point struct {
	Start   time.Time
	Charged money.Amount
}

// Report adds up the stored hours of q's window and, when the window reaches into it, the hour in progress;
// applies the chargeback rules per namespace over the window; and aggregates. The window is widened to whole
// hours.
func (c *Collector) Report(ctx context.Context, q ReportQuery) (*Report, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := chargeback.CompileRules(cfg.Spec.Rules)
	if err != nil {
		return nil, fmt.Errorf("chargeback rules of the cost policy: %w", err)
	}
	currency := q.Currency
	if currency == "" {
		currency = cfg.Catalog.Currency()
	}
	w := chargeback.Window{Start: q.Window.Start.UTC().Truncate(time.Hour), End: ceilHour(q.Window.End.UTC())}
	out := &Report{Report: chargeback.Report{Window: w, Aggregate: q.Aggregate, Currency: currency}}
	if !q.AllTenants && len(q.Tenants) == 0 {
		out.UsageSource = allocation.UsageRequests
		out.Report, err = chargeback.Build(nil, rules, w, q.Aggregate, currency, nil)
		return out, err
	}
	visible := func(r *allocation.Row) bool {
		if !q.AllTenants && !slices.Contains(q.Tenants, r.Tenant) {
			return false
		}
		return len(q.Namespaces) == 0 || slices.Contains(q.Namespaces, r.Namespace)
	}

	// The hour in progress, computed now: it also gives the namespaces' labels for the stored hours.
	var rows []allocation.Row
	labels := map[[2]string]map[string]string{}
	currentStart, current, source, err := c.Current(ctx)
	if err != nil {
		return nil, err
	}
	for i := range current {
		r := &current[i]
		labels[[2]string{r.Cluster, r.Namespace}] = r.Labels
		if w.Contains(r.Hour) && visible(r) {
			rows = append(rows, *r)
		}
	}
	if w.Contains(currentStart) {
		out.InProgress = &currentStart
	} else {
		source = ""
	}

	// The stored hours.
	storedEnd := w.End
	if storedEnd.After(currentStart) {
		storedEnd = currentStart
	}
	if w.Start.Before(storedEnd) {
		sq := audit.CostQuery{Start: w.Start, End: storedEnd, Namespaces: q.Namespaces, Step: q.Step}
		if !q.AllTenants {
			sq.Tenants = q.Tenants
		}
		sums, err := c.opts.Store.SumCosts(ctx, sq)
		if err != nil {
			return nil, err
		}
		for i := range sums {
			r := fromStore(&sums[i], w.Start, labels)
			source = mergeSource(source, r.Basis)
			rows = append(rows, r)
		}
	}
	if source == "" {
		source = allocation.UsageRequests
		if c.opts.Usage != nil {
			source = allocation.UsagePrometheus
		}
	}
	out.UsageSource = source

	// One currency: convert the rows that are in another (a price book currency changed, or currency= asked).
	rates := map[string]money.Rate{}
	for i := range rows {
		r := &rows[i]
		if r.Currency == currency {
			continue
		}
		rate, ok := rates[r.Currency]
		if !ok {
			if rate, err = exchangeRate(cfg, r.Currency, currency); err != nil {
				return nil, err
			}
			rates[r.Currency] = rate
		}
		r.Cost, r.Currency = r.Cost.Scale(rate.Factor), currency
	}
	var used []money.Rate
	for _, k := range slices.Sorted(maps.Keys(rates)) {
		used = append(used, rates[k])
	}

	// With a step, each row carries its period as its hour; the window's sums are the same rows over the window.
	whole := rows
	if q.Step != 0 {
		whole = make([]allocation.Row, len(rows))
		for i, r := range rows {
			r.Hour = w.Start
			whole[i] = r
		}
	}
	rep, err := chargeback.Build(whole, rules, w, q.Aggregate, currency, used)
	if err != nil {
		return nil, err
	}
	out.Report = rep
	if q.Step != 0 {
		out.Step, out.Series = q.Step, series(rows, rules, w, q, currency, used)
	}
	return out, nil
}

// series builds the report of each period and keeps each line's charged amount.
func series(rows []allocation.Row, rules []chargeback.Rule, w chargeback.Window, q ReportQuery, currency string, rates []money.Rate) map[string][]Point {
	out := map[string][]Point{}
	byPeriod := map[time.Time][]allocation.Row{}
	for _, r := range rows {
		p := r.Hour.Truncate(q.Step)
		byPeriod[p] = append(byPeriod[p], r)
	}
	for p := w.Start.Truncate(q.Step); p.Before(w.End); p = p.Add(q.Step) {
		pw := chargeback.Window{Start: p, End: p.Add(q.Step)}
		period := make([]allocation.Row, len(byPeriod[p]))
		for i, r := range byPeriod[p] {
			r.Hour = p
			period[i] = r
		}
		rep, err := chargeback.Build(period, rules, pw, q.Aggregate, currency, rates)
		if err != nil {
			continue // The window's report was built from the same rows without error.
		}
		for _, l := range rep.Lines {
			out[l.Key] = append(out[l.Key], Point{Start: p, Charged: l.Charged})
		}
		out["total"] = append(out["total"], Point{Start: p, Charged: rep.Total.Charged})
	}
	return out
}

// fromStore is the sum of a namespace's stored hours as one row of the model, at hour, labelled as the
// namespace is now (a deleted namespace has no labels).
func fromStore(s *audit.CostSum, hour time.Time, labels map[[2]string]map[string]string) allocation.Row {
	if !s.Period.IsZero() {
		hour = s.Period
	}
	basis := allocation.UsageRequests
	switch s.PrometheusHours {
	case 0:
	case s.Hours:
		basis = allocation.UsagePrometheus
	default:
		basis = Mixed
	}
	a, q := s.Amounts, s.Quantities
	return allocation.Row{
		Hour: hour, Cluster: s.Cluster, Namespace: s.Namespace, Kind: allocation.RowKind(s.Kind),
		Tenant: s.Tenant, CostCenter: s.CostCenter, Template: s.Template, Tier: s.Tier,
		Labels: labels[[2]string{s.Cluster, s.Namespace}], Basis: basis, Seconds: s.Hours * 3600, Currency: s.Currency,
		Cost: allocation.Components{
			CPU: money.Amount(a.CPU), Memory: money.Amount(a.Memory), GPU: money.Amount(a.GPU), Storage: money.Amount(a.Storage),
			LoadBalancer: money.Amount(a.LoadBalancer), Idle: money.Amount(a.Idle), Shared: money.Amount(a.Shared),
		},
		Quantities: allocation.Quantities{
			CPURequest: q.CPURequest, CPUUsage: q.CPUUsage, CPUAllocated: q.CPUAllocated,
			MemoryRequest: q.MemoryRequest, MemoryUsage: q.MemoryUsage, MemoryAllocated: q.MemoryAllocated,
			GPU: q.GPU, Storage: q.Storage, LoadBalancers: q.LoadBalancers,
		},
	}
}

// exchangeRate finds the rate from one currency into another in the price books: a book in from with a rate
// into to, else a book in to with a rate into from, inverted.
func exchangeRate(cfg *Config, from, to string) (money.Rate, error) {
	for _, inverse := range []bool{false, true} {
		for _, b := range cfg.Books {
			bookCur, want := from, to
			if inverse {
				bookCur, want = to, from
			}
			if b.Spec.Currency != bookCur {
				continue
			}
			for _, r := range b.Spec.ExchangeRates {
				if r.Currency != want {
					continue
				}
				f, err := money.ParseFactor(r.Rate)
				if err != nil {
					return money.Rate{}, fmt.Errorf("price book %s: exchange rate to %s: %w", b.Name, r.Currency, err)
				}
				rate := money.Rate{From: bookCur, To: want, Factor: f, Date: r.Date}
				if inverse {
					rate = rate.Inverse()
				}
				return rate, nil
			}
		}
	}
	return money.Rate{}, fmt.Errorf("%w: no price book has an exchange rate between %s and %s", ErrBadReport, from, to)
}

func ceilHour(t time.Time) time.Time {
	if h := t.Truncate(time.Hour); !h.Equal(t) {
		return h.Add(time.Hour)
	}
	return t
}

// Scope kinds of Spend (the budget scopes).
const (
	ScopeNamespace  = "namespace"
	ScopeTenant     = "tenant"
	ScopeCostCenter = "costcenter"
)

// Spend is what a namespace, tenant or cost center was charged over [start, end) (the hour in progress
// included when the span reaches into it), after the chargeback rules, in currency (the report currency when
// empty). Budgets read it.
func (c *Collector) Spend(ctx context.Context, kind, name string, start, end time.Time, currency string) (money.Amount, string, error) {
	q := ReportQuery{Window: chargeback.Window{Start: start, End: end}, Aggregate: chargeback.AggregateNamespace, AllTenants: true, Currency: currency}
	var agg chargeback.Aggregate
	switch kind {
	case ScopeNamespace:
		q.Namespaces, agg = []string{name}, chargeback.AggregateNamespace
	case ScopeTenant:
		q.AllTenants, q.Tenants, agg = false, []string{name}, chargeback.AggregateTenant
	case ScopeCostCenter:
		agg = chargeback.AggregateCostCenter
	default:
		return 0, "", fmt.Errorf("spend of %s %s: the scope is namespace, tenant or costcenter", kind, name)
	}
	q.Aggregate = agg
	rep, err := c.Report(ctx, q)
	if err != nil {
		return 0, "", err
	}
	for _, l := range rep.Lines {
		if l.Key == name {
			return l.Charged, rep.Currency, nil
		}
	}
	return 0, rep.Currency, nil
}
