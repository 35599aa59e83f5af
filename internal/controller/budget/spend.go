package budget

import (
	"context"
	"fmt"
	"time"

	"github.com/naas-dev/naas/internal/audit"
	costbudget "github.com/naas-dev/naas/internal/cost/budget"
	"github.com/naas-dev/naas/internal/cost/chargeback"
	"github.com/naas-dev/naas/internal/cost/collector"
	"github.com/naas-dev/naas/internal/cost/money"
)

// SpendSource answers what the scopes of one kind spent in a span of time.
type SpendSource interface {
	// Spend returns the cost of every scope of kind with any cost in [start, end), in currency, by scope name
	// (namespace, tenant or cost center).
	Spend(ctx context.Context, kind costbudget.ScopeKind, start, end time.Time, currency string) (map[string]money.Amount, error)
}

// StoreSpend is the SpendSource of the hourly cost rows in the audit store (audit.CostStore) alone: the rows of
// complete hours, list cost before chargeback rules. naas uses CollectorSpend; StoreSpend serves where there is
// no collector (tests that write rows through the store). Rows in another currency than the budget's are left out; a report converts them, a budget
// must be set in the currency its rows are in (the price book's, or the cost policy's).
type StoreSpend struct {
	Store audit.CostStore
}

var _ SpendSource = StoreSpend{}

// Spend implements SpendSource.
func (s StoreSpend) Spend(ctx context.Context, kind costbudget.ScopeKind, start, end time.Time, currency string) (map[string]money.Amount, error) {
	start, end = start.Truncate(time.Hour), end.Truncate(time.Hour)
	out := map[string]money.Amount{}
	if !start.Before(end) {
		return out, nil // The first hour of the period is not over: nothing spent yet.
	}
	sums, err := s.Store.SumCosts(ctx, audit.CostQuery{Start: start, End: end})
	if err != nil {
		return nil, fmt.Errorf("sum costs from %s to %s: %w", start.Format(time.RFC3339), end.Format(time.RFC3339), err)
	}
	for _, sum := range sums {
		if sum.Currency != currency || (sum.Kind != "" && sum.Kind != audit.CostKindNamespace) {
			continue
		}
		var key string
		switch kind {
		case costbudget.ScopeNamespace:
			key = sum.Namespace
		case costbudget.ScopeTenant:
			key = sum.Tenant
		case costbudget.ScopeCostCenter:
			key = sum.CostCenter
		}
		if key != "" {
			out[key] = out[key].Add(money.Amount(sum.Amounts.Total()))
		}
	}
	return out, nil
}

// CollectorSpend is the SpendSource of the cost collector: one chargeback report per scope kind and currency,
// so the spend is what the scopes are charged (after the cost policy's rules, converted into the budget's
// currency), the hour in progress included.
type CollectorSpend struct {
	Collector *collector.Collector
}

var _ SpendSource = CollectorSpend{}

// Spend implements SpendSource.
func (s CollectorSpend) Spend(ctx context.Context, kind costbudget.ScopeKind, start, end time.Time, currency string) (map[string]money.Amount, error) {
	agg := map[costbudget.ScopeKind]chargeback.Aggregate{
		costbudget.ScopeNamespace: chargeback.AggregateNamespace, costbudget.ScopeTenant: chargeback.AggregateTenant,
		costbudget.ScopeCostCenter: chargeback.AggregateCostCenter,
	}[kind]
	rep, err := s.Collector.Report(ctx, collector.ReportQuery{
		Window: chargeback.Window{Start: start, End: end}, Aggregate: agg, AllTenants: true, Currency: currency,
	})
	if err != nil {
		return nil, fmt.Errorf("cost report by %s in %s: %w", agg, currency, err)
	}
	out := make(map[string]money.Amount, len(rep.Lines))
	for _, l := range rep.Lines {
		out[l.Key] = l.Charged
	}
	return out, nil
}
