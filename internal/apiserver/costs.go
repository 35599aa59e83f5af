package apiserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/allocation"
	"github.com/naas-dev/naas/internal/cost/chargeback"
	"github.com/naas-dev/naas/internal/cost/collector"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/tenancy"
)

// CostReporter makes cost reports and right-sizing recommendations: the cost collector (internal/cost/collector)
// on every replica.
type CostReporter interface {
	Report(ctx context.Context, q collector.ReportQuery) (*collector.Report, error)
	Recommend(ctx context.Context, q collector.RecommendQuery) (*collector.Recommendation, error)
}

// costQuery is GET /analytics/costs's query, parsed.
type costQuery struct {
	window     string
	report     collector.ReportQuery
	csv        bool
	onlyTenant string
}

// parseCostQuery reads the query of a cost report; what is wrong with it is a 400 that says what to send.
func (s *Server) parseCostQuery(r *http.Request) (*costQuery, error) {
	v := r.URL.Query()
	q := &costQuery{window: v.Get("window"), onlyTenant: v.Get("tenant")}
	if q.window == "" {
		q.window = "month"
	}
	w, err := chargeback.ParseWindow(q.window, s.cfg.Now())
	if err != nil {
		return nil, malformed("window", "format", "%s", err)
	}
	if w.End.Sub(w.Start) > 366*24*time.Hour {
		return nil, malformed("window", "max", "window %q is longer than a year: ask for a year at a time", q.window)
	}
	agg, err := chargeback.ParseAggregate(v.Get("aggregate"))
	if err != nil {
		return nil, malformed("aggregate", "enum", "%s", err)
	}
	currency := v.Get("currency")
	if currency != "" {
		if err := money.ValidCurrency(currency); err != nil {
			return nil, malformed("currency", "format", "currency %q: %s", currency, err)
		}
	}
	var step time.Duration
	switch v.Get("step") {
	case "":
	case "hour":
		step = time.Hour
	case "day":
		step = 24 * time.Hour
	default:
		return nil, malformed("step", "enum", "step %q: want hour or day", v.Get("step"))
	}
	if step == time.Hour && w.End.Sub(w.Start) > 31*24*time.Hour {
		return nil, malformed("step", "max", "an hourly series covers at most 31 days: ask for step=day")
	}
	switch f := v.Get("format"); f {
	case "", "json":
		q.csv = f == "" && strings.Contains(r.Header.Get("Accept"), restv1.CSVContentType)
	case "csv":
		q.csv = true
	default:
		return nil, malformed("format", "enum", "format %q: want json or csv", f)
	}
	q.report = collector.ReportQuery{Window: w, Aggregate: agg, Currency: currency, Step: step}
	return q, nil
}

func (s *Server) getCosts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, err := s.parseCostQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := callerOf(r)
	claims, tenants, err := s.visibleClaims(ctx, u, q.onlyTenant)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Who sees what: platform admins every namespace (and idle and shared cost); anyone else the namespaces of
	// the tenants they hold a role in, never another tenant's, whatever they aggregate by.
	switch {
	case tenancy.IsPlatformAdmin(u) && q.onlyTenant == "":
		q.report.AllTenants = true
	case q.onlyTenant != "":
		if _, member := tenancy.RoleOf(u, tenants[q.onlyTenant]); !member && !tenancy.IsPlatformAdmin(u) {
			s.fail(w, r, forbidden("you hold no role in tenant %s: its costs are its members' and platform admins'", q.onlyTenant))
			return
		}
		q.report.Tenants = []string{q.onlyTenant}
	default:
		for _, name := range sortedKeys(tenants) {
			if _, member := tenancy.RoleOf(u, tenants[name]); member {
				q.report.Tenants = append(q.report.Tenants, name)
			}
		}
	}
	if !q.report.AllTenants {
		// Collaborators see another tenant's namespace, not what it costs.
		claims = slices.DeleteFunc(claims, func(c naasv1alpha1.NamespaceClaim) bool { return !slices.Contains(q.report.Tenants, c.Spec.Tenant) })
	}
	list := &naasv1alpha1.TierList{}
	if err := s.cfg.Cache.List(ctx, list); err != nil {
		s.fail(w, r, fmt.Errorf("list tiers: %w", err))
		return
	}
	tiers := map[string]*naasv1alpha1.Tier{}
	for i := range list.Items {
		tiers[list.Items[i].Name] = &list.Items[i]
	}
	out := costReport(claims, tenants, tiers)
	out.Window = restv1.CostWindow{Name: q.window, Start: q.report.Window.Start, End: q.report.Window.End}
	out.Aggregate = string(q.report.Aggregate)
	out.Lines = []restv1.CostLine{}
	if s.cfg.Costs == nil {
		// Cost allocation is off (no collector): budgets only, as before it existed.
		out.UsageSource = restv1.UsageSourceRequests
		s.writeJSON(w, http.StatusOK, out)
		return
	}
	rep, err := s.cfg.Costs.Report(ctx, q.report)
	if errors.Is(err, collector.ErrBadReport) {
		s.fail(w, r, malformed("currency", "exchange-rate", "%s", err))
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("cost report: %w", err))
		return
	}
	if q.csv {
		var buf bytes.Buffer
		if err := chargeback.WriteCSV(&buf, rep.Report); err != nil {
			s.fail(w, r, fmt.Errorf("cost report as CSV: %w", err))
			return
		}
		h := w.Header()
		h.Set("Content-Type", restv1.CSVContentType+"; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="naas-costs.csv"`)
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
		return
	}
	fillCostReport(&out, rep, claims, tenants)
	// The first shape's figures are of this month: fill them from a month report when this one is of another
	// window or aggregate.
	month := rep
	if q.window != "month" || q.report.Aggregate != chargeback.AggregateNamespace || q.report.Step != 0 {
		mq := q.report
		mq.Window, _ = chargeback.ParseWindow("month", s.cfg.Now())
		mq.Aggregate, mq.Step = chargeback.AggregateNamespace, 0
		if month, err = s.cfg.Costs.Report(ctx, mq); err != nil {
			s.fail(w, r, fmt.Errorf("cost report of the month: %w", err))
			return
		}
	}
	fillMonthCosts(&out, month)
	s.writeJSON(w, http.StatusOK, out)
}

// fillCostReport copies the collector's report into the wire report.
func fillCostReport(out *restv1.CostReport, rep *collector.Report, claims []naasv1alpha1.NamespaceClaim, tenants map[string]*naasv1alpha1.Tenant) {
	c := rep.Currency
	out.Currency, out.UsageSource, out.InProgress = c, rep.UsageSource, rep.InProgress
	for _, rt := range rep.Rates {
		if rt.To == c {
			out.ExchangeRate = &restv1.ExchangeRateUsed{From: rt.From, To: rt.To, Rate: money.Amount(rt.Factor).Exact(), Date: rt.Date}
		}
	}
	switch rep.Step {
	case time.Hour:
		out.Step = "hour"
	case 24 * time.Hour:
		out.Step = "day"
	}
	byName := map[string]*naasv1alpha1.NamespaceClaim{}
	for i := range claims {
		byName[claims[i].Name] = &claims[i]
	}
	for _, l := range rep.Lines {
		line := restv1.CostLine{
			Key: l.Key, Namespaces: l.Namespaces, UsageSource: l.Basis, Cost: breakdown(l.Cost, l.List),
			Rules: []restv1.AppliedRule{}, Charged: l.Charged.Exact(), Series: points(rep.Series[l.Key]),
		}
		for _, a := range l.Adjustments {
			line.Rules = append(line.Rules, restv1.AppliedRule{Name: a.Rule, Kind: a.Kind, Factor: money.Amount(a.Value).Exact(), Change: a.Delta.Exact()})
		}
		switch rep.Aggregate {
		case chargeback.AggregateNamespace:
			if cl := byName[l.Key]; cl != nil {
				line.Tenant, line.Tier, line.Template = cl.Spec.Tenant, cl.Status.Tier, cl.Spec.Template
				if t := tenants[cl.Spec.Tenant]; t != nil {
					line.CostCenter = t.Spec.CostCenter
				}
			}
		case chargeback.AggregateTenant:
			if t := tenants[l.Key]; t != nil {
				line.CostCenter = t.Spec.CostCenter
			}
		}
		out.Lines = append(out.Lines, line)
	}
	out.Totals = restv1.CostTotals{Cost: breakdown(rep.Total.Cost, rep.Total.List), Charged: rep.Total.Charged.Exact(), Series: points(rep.Series["total"])}
	var unallocated money.Amount
	for _, l := range rep.Lines {
		if l.Key == allocation.IdleNamespace {
			unallocated = unallocated.Add(l.Charged)
		}
	}
	out.Totals.Unallocated = unallocated.Exact()
}

// fillMonthCosts sets the first shape's costs: each namespace's and tenant's charged cost this month.
func fillMonthCosts(out *restv1.CostReport, month *collector.Report) {
	charged := map[string]money.Amount{}
	for _, l := range month.Lines {
		charged[l.Key] = l.Charged
	}
	byTenant := map[string]money.Amount{}
	seen := map[string]bool{}
	for i := range out.Namespaces {
		n := &out.Namespaces[i]
		if a, ok := charged[n.Namespace]; ok {
			n.Cost = &restv1.Money{Amount: a.Decimal(month.Currency), Currency: month.Currency}
			byTenant[n.Tenant] = byTenant[n.Tenant].Add(a)
			seen[n.Tenant] = true
		}
	}
	for i := range out.Tenants {
		t := &out.Tenants[i]
		if seen[t.Tenant] {
			t.Cost = &restv1.Money{Amount: byTenant[t.Tenant].Decimal(month.Currency), Currency: month.Currency}
		}
	}
}

func breakdown(c allocation.Components, list money.Amount) restv1.CostBreakdown {
	return restv1.CostBreakdown{
		CPU: c.CPU.Exact(), Memory: c.Memory.Exact(), GPU: c.GPU.Exact(), Storage: c.Storage.Exact(),
		LoadBalancer: c.LoadBalancer.Exact(), Idle: c.Idle.Exact(), Shared: c.Shared.Exact(), Total: list.Exact(),
	}
}

func points(ps []collector.Point) []restv1.CostPoint {
	if ps == nil {
		return nil
	}
	out := make([]restv1.CostPoint, len(ps))
	for i, p := range ps {
		out[i] = restv1.CostPoint{Start: p.Start, Cost: p.Charged.Exact()}
	}
	return out
}
