package chargeback

import (
	"fmt"
	"sort"
	"strings"

	"github.com/naas-dev/naas/internal/cost/allocation"
	"github.com/naas-dev/naas/internal/cost/money"
)

// Aggregate is what report lines are per: AggregateNamespace, AggregateTenant, AggregateCostCenter,
// AggregateCluster, AggregateTier, AggregateTemplate, or "label:<key>".
type Aggregate string

// Aggregations.
const (
	AggregateNamespace  Aggregate = "namespace"
	AggregateTenant     Aggregate = "tenant"
	AggregateCostCenter Aggregate = "costcenter"
	AggregateCluster    Aggregate = "cluster"
	AggregateTier       Aggregate = "tier"
	AggregateTemplate   Aggregate = "template"
	labelPrefix                   = "label:"
)

// Unallocated is the key of the line of rows that have no value for the aggregate (a namespace of no tenant,
// or without the label), as OpenCost's __unallocated__.
const Unallocated = "__unallocated__"

// ParseAggregate checks s ("namespace", "tenant", "costcenter", "cluster", "tier", "template", "label:<key>").
func ParseAggregate(s string) (Aggregate, error) {
	switch a := Aggregate(s); a {
	case AggregateNamespace, AggregateTenant, AggregateCostCenter, AggregateCluster, AggregateTier, AggregateTemplate:
		return a, nil
	case "":
		return AggregateNamespace, nil
	}
	if k, ok := strings.CutPrefix(s, labelPrefix); ok && k != "" {
		return Aggregate(s), nil
	}
	return "", fmt.Errorf("aggregate %q: want namespace, tenant, costcenter, cluster, tier, template or label:<key>", s)
}

// key is the row's value for a.
func (a Aggregate) key(r *allocation.Row) string {
	if r.Kind == allocation.KindIdle {
		return allocation.IdleNamespace
	}
	var v string
	switch a {
	case AggregateNamespace:
		v = r.Namespace
	case AggregateTenant:
		v = r.Tenant
	case AggregateCostCenter:
		v = r.CostCenter
	case AggregateCluster:
		v = r.Cluster
	case AggregateTier:
		v = r.Tier
	case AggregateTemplate:
		v = r.Template
	default:
		v = r.Labels[strings.TrimPrefix(string(a), labelPrefix)]
	}
	if v == "" {
		return Unallocated
	}
	return v
}

// Line is one line of a report: what its namespaces cost over the window, by component (List), what the rules
// changed, and what is charged.
type Line struct {
	// Key is the aggregate's value: a namespace, tenant, cost center, label value; IdleNamespace or Unallocated.
	Key string
	// Namespaces is how many (cluster, namespace) pairs the line adds up.
	Namespaces int
	// Cost is the list cost by component; List its total.
	Cost allocation.Components
	List money.Amount
	// Adjustments are what each rule changed, summed over the line's namespaces, in rule order.
	Adjustments []Adjustment
	// Charged is List plus the adjustments.
	Charged money.Amount
	// Basis is the usage source of the line's rows: allocation.UsagePrometheus, allocation.UsageRequests, or
	// "mixed".
	Basis string
	// Quantities is what the line's namespaces requested, used and were allocated.
	Quantities allocation.Quantities
}

// Report is a chargeback over a window.
type Report struct {
	Window    Window
	Aggregate Aggregate
	Currency  string
	// Lines are sorted by charged amount, largest first, then by key.
	Lines []Line
	// Total adds up every line.
	Total Line
	// Rates are the exchange rates behind the figures, to be named next to them.
	Rates []money.Rate
	// ByNamespace is what each namespace is charged (by name, over all clusters), whatever the aggregate.
	ByNamespace map[string]money.Amount
}

// Build adds up the rows whose hour starts within w, applies rules to each (cluster, namespace) over the window
// — rules change namespace rows only, not idle or shared ones — and aggregates by agg. All rows must be in
// currency. Amounts stay in nano-units: a presenter rounds each figure once, to the currency's minor unit.
func Build(rows []allocation.Row, rules []Rule, w Window, agg Aggregate, currency string, rates []money.Rate) (Report, error) {
	type nsKey struct{ cluster, namespace string }
	type nsSum struct {
		first *allocation.Row
		cost  allocation.Components
		q     allocation.Quantities
		basis string
	}
	sums := map[nsKey]*nsSum{}
	var order []nsKey
	for i := range rows {
		r := &rows[i]
		if !w.Contains(r.Hour) {
			continue
		}
		if r.Currency != currency {
			return Report{}, fmt.Errorf("row %s/%s at %s is in %s, the report in %s", r.Cluster, r.Namespace, r.Hour, r.Currency, currency)
		}
		k := nsKey{r.Cluster, r.Namespace}
		s, ok := sums[k]
		if !ok {
			s = &nsSum{first: r, basis: r.Basis}
			sums[k] = s
			order = append(order, k)
		}
		s.cost = s.cost.Plus(r.Cost)
		s.q = s.q.Plus(r.Quantities)
		if s.basis != r.Basis {
			s.basis = "mixed"
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].cluster != order[j].cluster {
			return order[i].cluster < order[j].cluster
		}
		return order[i].namespace < order[j].namespace
	})

	lines := map[string]*Line{}
	total := Line{Key: "total"}
	byNamespace := make(map[string]money.Amount, len(order))
	for _, k := range order {
		s := sums[k]
		list := s.cost.Total()
		charged, adj := list, []Adjustment(nil)
		if s.first.Kind == allocation.KindNamespace {
			charged, adj = Apply(rules, Subject{Namespace: k.namespace, Tier: s.first.Tier, Template: s.first.Template, Labels: s.first.Labels}, list)
		}
		byNamespace[k.namespace] = byNamespace[k.namespace].Add(charged)
		key := agg.key(s.first)
		l, ok := lines[key]
		if !ok {
			l = &Line{Key: key, Basis: s.basis}
			lines[key] = l
		}
		for _, into := range []*Line{l, &total} {
			into.Namespaces++
			into.Cost = into.Cost.Plus(s.cost)
			into.List = into.List.Add(list)
			into.Charged = into.Charged.Add(charged)
			into.Quantities = into.Quantities.Plus(s.q)
			into.Adjustments = addAdjustments(into.Adjustments, adj, rules)
			if into.Basis == "" {
				into.Basis = s.basis
			} else if into.Basis != s.basis {
				into.Basis = "mixed"
			}
		}
	}
	rep := Report{Window: w, Aggregate: agg, Currency: currency, Total: total, Rates: rates, ByNamespace: byNamespace}
	for _, l := range lines {
		rep.Lines = append(rep.Lines, *l)
	}
	sort.Slice(rep.Lines, func(i, j int) bool {
		if rep.Lines[i].Charged != rep.Lines[j].Charged {
			return rep.Lines[i].Charged > rep.Lines[j].Charged
		}
		return rep.Lines[i].Key < rep.Lines[j].Key
	})
	return rep, nil
}

// addAdjustments adds more into sum rule by rule, keeping the rules' order.
func addAdjustments(sum, more []Adjustment, rules []Rule) []Adjustment {
	if len(more) == 0 {
		return sum
	}
	byRule := map[string]Adjustment{}
	for _, a := range sum {
		byRule[a.Rule] = a
	}
	for _, a := range more {
		if have, ok := byRule[a.Rule]; ok {
			a.Delta = have.Delta.Add(a.Delta)
		}
		byRule[a.Rule] = a
	}
	out := make([]Adjustment, 0, len(byRule))
	for _, r := range rules {
		if a, ok := byRule[r.Name]; ok {
			out = append(out, a)
		}
	}
	return out
}
