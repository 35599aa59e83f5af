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
	// Namespaces and CostCenters, if set, narrow the report to these namespaces and cost centers: they never
	// widen what AllTenants and Tenants allow.
	Namespaces  []string
	CostCenters []string
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
	// Series are the cost and charged amount per period of each line (by key), with a step; Totals the same of
	// the total.
	Series map[string][]chargeback.Point
	Totals []chargeback.Point
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
		return (len(q.Namespaces) == 0 || slices.Contains(q.Namespaces, r.Namespace)) &&
			(len(q.CostCenters) == 0 || slices.Contains(q.CostCenters, r.CostCenter))
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
		sq := audit.CostQuery{Start: w.Start, End: storedEnd, Namespaces: q.Namespaces, CostCenters: q.CostCenters, Step: q.Step}
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
		out.Step = q.Step
		out.Series, out.Totals = chargeback.Series(rows, rules, w, q.Step, q.Aggregate)
	}
	return out, nil
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
