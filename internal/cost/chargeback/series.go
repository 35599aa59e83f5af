package chargeback

import (
	"sort"
	"time"

	"github.com/naas-dev/naas/internal/cost/allocation"
	"github.com/naas-dev/naas/internal/cost/money"
)

// Point is one period of a line's series: its list cost by component, and what is charged.
type Point struct {
	Start   time.Time
	Cost    allocation.Components
	List    money.Amount
	Charged money.Amount
}

// Series is the charged cost of each line of agg (by key) and of the total, per period of step (an hour or a day)
// from w.Start truncated to the step until w.End: every period has a point, zero when nothing ran. Rows are added
// up per namespace and period first, and the rules apply to each of those sums, as Build applies them to a
// namespace's window, so a rule matching by namespace, tier, template or label applies per namespace; a
// namespace's rules are matched once, against its first row (as Build does). All rows must be in one currency.
func Series(rows []allocation.Row, rules []Rule, w Window, step time.Duration, agg Aggregate) (lines map[string][]Point, total []Point) {
	first := w.Start.Truncate(step)
	n := 0
	for p := first; p.Before(w.End); p = p.Add(step) {
		n++
	}
	type nsKey struct{ cluster, namespace string }
	type namespace struct {
		key     string
		kind    allocation.RowKind
		matched []Rule
	}
	type nsPeriod struct {
		ns     nsKey
		period int
	}
	namespaces := map[nsKey]*namespace{}
	sums := map[nsPeriod]allocation.Components{}
	for i := range rows {
		r := &rows[i]
		if !w.Contains(r.Hour) {
			continue
		}
		k := nsKey{r.Cluster, r.Namespace}
		if _, ok := namespaces[k]; !ok {
			ns := &namespace{key: agg.key(r), kind: r.Kind}
			if r.Kind == allocation.KindNamespace {
				ns.matched = Matching(rules, Subject{Namespace: r.Namespace, Tier: r.Tier, Template: r.Template, Labels: r.Labels})
			}
			namespaces[k] = ns
		}
		p := nsPeriod{k, int(r.Hour.Truncate(step).Sub(first) / step)}
		sums[p] = sums[p].Plus(r.Cost)
	}
	points := func() []Point {
		ps := make([]Point, n)
		for i := range ps {
			ps[i].Start = first.Add(time.Duration(i) * step)
		}
		return ps
	}
	lines, total = map[string][]Point{}, points()
	keys := make([]nsPeriod, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	// A fixed order: sums in nano-units are exact, but the order of a line's keys is not left to the map.
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.ns != b.ns {
			return a.ns.cluster < b.ns.cluster || a.ns.cluster == b.ns.cluster && a.ns.namespace < b.ns.namespace
		}
		return a.period < b.period
	})
	for _, k := range keys {
		ns, cost := namespaces[k.ns], sums[k]
		list := cost.Total()
		charged := list
		if ns.kind == allocation.KindNamespace {
			charged, _ = ApplyMatched(ns.matched, list)
		}
		line, ok := lines[ns.key]
		if !ok {
			line = points()
			lines[ns.key] = line
		}
		for _, pt := range []*Point{&line[k.period], &total[k.period]} {
			pt.Cost = pt.Cost.Plus(cost)
			pt.List = pt.List.Add(list)
			pt.Charged = pt.Charged.Add(charged)
		}
	}
	return lines, total
}
