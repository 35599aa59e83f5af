package portal

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/portal/svgchart"
)

// The cost views turn the API's cost reports into what the cost pages show. They are pure, and table-tested;
// every figure comes from the API (GET /api/v1/analytics/costs, GET /api/v1/namespaces/{ns}/recommendations)
// or, for budget bars, from the status naas's budget controller writes. The portal computes no cost itself.

// Windows the cost pages offer, and the API window each asks for.
const (
	windowDay       = "day"
	windowWeek      = "week"
	windowMonth     = "month"
	windowLastMonth = "lastmonth"
	windowCustom    = "custom"
	// maxCustomDays bounds a custom window: the chart has a bar per day.
	maxCustomDays = 92
)

// windowOption is one choice of the window selector.
type windowOption struct{ Value, Label string }

var windowOptions = []windowOption{
	{windowDay, "Last 24 hours"},
	{windowWeek, "Last 7 days"},
	{windowMonth, "This month"},
	{windowLastMonth, "Last month"},
	{windowCustom, "Custom dates"},
}

// windowForm is the window selector as entered, with its errors.
type windowForm struct {
	Window, From, To string
	Options          []windowOption
	Errors           map[string]string
}

// parseWindow reads the window selector of q and returns the API's window parameter for it ("24h", "7d",
// "month", "lastmonth" or "start,end" in RFC 3339). A custom window is whole days, from and to inclusive, at
// most maxCustomDays long; a bad one has errors at its inputs and no API window.
func parseWindow(q url.Values) (windowForm, string) {
	f := windowForm{Window: q.Get("window"), From: q.Get("from"), To: q.Get("to"), Options: windowOptions, Errors: map[string]string{}}
	switch f.Window {
	case "":
		f.Window = windowMonth
		return f, "month"
	case windowDay:
		return f, "24h"
	case windowWeek:
		return f, "7d"
	case windowMonth:
		return f, "month"
	case windowLastMonth:
		return f, "lastmonth"
	case windowCustom:
	default:
		f.Errors["window"] = "Choose one of the windows offered."
		return f, ""
	}
	from, errFrom := time.Parse(time.DateOnly, f.From)
	to, errTo := time.Parse(time.DateOnly, f.To)
	if errFrom != nil {
		f.Errors["from"] = "Enter the first day as YYYY-MM-DD."
	}
	if errTo != nil {
		f.Errors["to"] = "Enter the last day as YYYY-MM-DD."
	}
	if len(f.Errors) > 0 {
		return f, ""
	}
	end := to.AddDate(0, 0, 1)
	switch days := int(end.Sub(from).Hours() / 24); {
	case days < 1:
		f.Errors["to"] = "The last day must not be before the first."
		return f, ""
	case days > maxCustomDays:
		f.Errors["to"] = fmt.Sprintf("A custom window is at most %d days; this one is %d.", maxCustomDays, days)
		return f, ""
	}
	return f, from.Format(time.RFC3339) + "," + end.Format(time.RFC3339)
}

// query is the window selector's part of a page's URL, for links that keep the window.
func (f windowForm) query() url.Values {
	q := url.Values{"window": {f.Window}}
	if f.Window == windowCustom {
		q.Set("from", f.From)
		q.Set("to", f.To)
	}
	return q
}

// Query is the window selector's part of a page's URL, encoded.
func (f windowForm) Query() string { return f.query().Encode() }

// bucket is one bar of a cost chart: [Start, End).
type bucket struct {
	Start, End time.Time
	Label      string
}

// buckets splits a report's window into bars: hours for a window of two days or less ("15:04", or "Jan 2" at
// midnight), else UTC days ("Jan 2"), so that a day's bar is that day's cost. A first or last partial hour or day
// is cut to the window.
func buckets(w restv1.CostWindow) []bucket {
	start, end := w.Start.UTC(), w.End.UTC()
	hourly := end.Sub(start) <= 48*time.Hour
	var out []bucket
	for s := start; s.Before(end); {
		e := s.Truncate(time.Hour).Add(time.Hour)
		label := s.Format("15:04")
		if !hourly {
			e = time.Date(s.Year(), s.Month(), s.Day()+1, 0, 0, 0, 0, time.UTC)
		}
		if !hourly || s.Hour() == 0 {
			label = s.Format("Jan 2")
		}
		if e.After(end) {
			e = end
		}
		out = append(out, bucket{Start: s, End: e, Label: label})
		s = e
	}
	return out
}

// apiWindow is the API's window parameter for a bucket.
func (b bucket) apiWindow() string {
	return b.Start.Format(time.RFC3339) + "," + b.End.Format(time.RFC3339)
}

// components are the parts of a cost the chart stacks, bottom to top.
var components = []struct {
	key, label string
	of         func(restv1.CostBreakdown) string
}{
	{"cpu", "CPU", func(b restv1.CostBreakdown) string { return b.CPU }},
	{"memory", "Memory", func(b restv1.CostBreakdown) string { return b.Memory }},
	{"storage", "Storage", func(b restv1.CostBreakdown) string { return b.Storage }},
	{"gpu", "GPU", func(b restv1.CostBreakdown) string { return b.GPU }},
	{"lb", "Load balancers", func(b restv1.CostBreakdown) string { return b.LoadBalancer }},
	{"idle", "Idle share", func(b restv1.CostBreakdown) string { return b.Idle }},
	{"shared", "Shared share", func(b restv1.CostBreakdown) string { return b.Shared }},
}

// costChart stacks each bucket's cost by component. costs has one breakdown per bucket; a bucket with no cost
// is zero. Components with no cost in any bucket are left out (legend and table alike), but CPU and memory
// always stay, so an empty chart still says what it would show.
func costChart(id, title, currency string, bs []bucket, costs []restv1.CostBreakdown) (svgchart.Stacked, error) {
	c := svgchart.Stacked{
		ID: id, Title: title, Currency: currency,
		Desc: "Stacked bars of the allocated cost, before chargeback rules, by component. The table after the chart has the same figures.",
	}
	for _, b := range bs {
		c.Buckets = append(c.Buckets, b.Label)
	}
	for _, comp := range components {
		s := svgchart.Series{Key: comp.key, Label: comp.label, Values: make([]money.Amount, len(bs))}
		keep := comp.key == "cpu" || comp.key == "memory"
		for i := range bs {
			if i >= len(costs) {
				continue
			}
			v, err := amountOf(comp.of(costs[i]))
			if err != nil {
				return c, fmt.Errorf("%s cost of %s: %w", comp.key, bs[i].Label, err)
			}
			s.Values[i] = v
			keep = keep || v != 0
		}
		if keep {
			c.Series = append(c.Series, s)
		}
	}
	return c, nil
}

// chargebackRow is one line of the chargeback table, its amounts formatted.
type chargebackRow struct {
	Key, Href                           string
	Tenant, CostCenter, Tier, Template  string
	Namespaces                          int
	CPU, Memory, Storage, GPU, LB, Idle string
	Shared, Total, Charged              string
	Rules                               []string
}

// chargebackRows formats the lines of a report. href links a line's key to its own cost page, when it has one.
func chargebackRows(r restv1.CostReport, href func(restv1.CostLine) string) ([]chargebackRow, error) {
	out := make([]chargebackRow, 0, len(r.Lines))
	for _, l := range r.Lines {
		row := chargebackRow{
			Key: l.Key, Tenant: l.Tenant, CostCenter: l.CostCenter, Tier: l.Tier, Template: l.Template,
			Namespaces: l.Namespaces,
		}
		if href != nil {
			row.Href = href(l)
		}
		for _, f := range []struct {
			dst *string
			src string
		}{
			{&row.CPU, l.Cost.CPU}, {&row.Memory, l.Cost.Memory}, {&row.Storage, l.Cost.Storage}, {&row.GPU, l.Cost.GPU},
			{&row.LB, l.Cost.LoadBalancer}, {&row.Idle, l.Cost.Idle}, {&row.Shared, l.Cost.Shared},
			{&row.Total, l.Cost.Total}, {&row.Charged, l.Charged},
		} {
			s, err := formatAmount(f.src, r.Currency)
			if err != nil {
				return nil, fmt.Errorf("line %s: %w", l.Key, err)
			}
			*f.dst = s
		}
		for _, rule := range l.Rules {
			change, err := formatAmount(rule.Change, r.Currency)
			if err != nil {
				return nil, fmt.Errorf("rule %s of line %s: %w", rule.Name, l.Key, err)
			}
			if !strings.HasPrefix(change, "-") {
				change = "+" + change
			}
			row.Rules = append(row.Rules, fmt.Sprintf("%s (%s %s): %s", rule.Name, rule.Kind, rule.Factor, change))
		}
		out = append(out, row)
	}
	return out, nil
}

// formatAmount formats an amount of the API ("12.345678") for people ("£12.35").
func formatAmount(s, currency string) (string, error) {
	a, err := amountOf(s)
	if err != nil {
		return "", err
	}
	return money.Format(a, currency), nil
}

// amountOf parses an amount of the API; an empty one is zero.
func amountOf(s string) (money.Amount, error) {
	if s == "" {
		return 0, nil
	}
	return money.ParseExact(s)
}

// budgetView is a budget bar and its sentence.
type budgetView struct {
	Name    string
	SVG     template.HTML
	Summary string
	Blocked bool
}

// budgetOf draws a budget from its spec and its status (nil before the budget controller has computed it).
func budgetOf(id, name string, spec *naasv1alpha1.Budget, status *naasv1alpha1.BudgetStatus) (*budgetView, error) {
	if spec == nil {
		return nil, nil //nolint:nilnil // no budget, nothing to draw
	}
	limit, err := money.FromQuantity(spec.Amount)
	if err != nil {
		return nil, fmt.Errorf("budget of %s: %w", name, err)
	}
	b := svgchart.Budget{
		ID: id, Name: name, Currency: spec.Currency, Limit: limit, Thresholds: slices.Clone(spec.Thresholds), Hard: spec.Hard,
	}
	v := &budgetView{Name: name}
	if status == nil {
		b.Pending = true
	} else {
		if b.Spent, err = money.ParseMoney(status.Spent); err != nil && status.Spent != "" {
			return nil, fmt.Errorf("spent of budget %s: %w", name, err)
		}
		if b.Forecast, err = money.ParseMoney(status.Forecast); err != nil && status.Forecast != "" {
			return nil, fmt.Errorf("forecast of budget %s: %w", name, err)
		}
		b.Period, b.Blocked = status.Period, status.Blocked
	}
	v.SVG, v.Summary, v.Blocked = b.SVG(), b.Summary(), b.Blocked
	return v, nil
}

// recommendationsView is a namespace's right-sizing.
type recommendationsView struct {
	Namespace string
	// Unavailable is why the API has no right-sizing for the namespace; empty when it has.
	Unavailable     string
	Tier            string
	RecommendedTier string
	// Requests and Recommended are the sized workloads' requests, all replicas, today and as recommended.
	Requests, Recommended restv1.ResourceTotals
	PriceBook             string
	MonthlySaving         string
	Items                 []recommendationRow
}

// sameUnavailable is the reason no namespace has right-sizing, when every one has the same; else empty.
func sameUnavailable(vs []recommendationsView) string {
	if len(vs) == 0 {
		return ""
	}
	for _, v := range vs {
		if v.Unavailable == "" || v.Unavailable != vs[0].Unavailable {
			return ""
		}
	}
	return vs[0].Unavailable
}

type recommendationRow struct {
	restv1.Recommendation
	Saving string
	// Grow is true when the request must grow (a negative saving).
	Grow bool
}

// recommendationsOf formats a namespace's recommendations.
func recommendationsOf(l restv1.RecommendationList) (recommendationsView, error) {
	v := recommendationsView{
		Namespace: l.Namespace, Tier: l.Tier, RecommendedTier: l.RecommendedTier,
		Requests: l.Requests, Recommended: l.Recommended, PriceBook: l.PriceBook,
	}
	var err error
	if v.MonthlySaving, err = formatAmount(l.MonthlySaving, l.Currency); err != nil {
		return v, fmt.Errorf("saving of %s: %w", l.Namespace, err)
	}
	for _, it := range l.Items {
		row := recommendationRow{Recommendation: it}
		if row.Saving, err = formatAmount(it.MonthlySaving, l.Currency); err != nil {
			return v, fmt.Errorf("saving of %s %s: %w", it.Workload, it.Container, err)
		}
		row.Grow = strings.HasPrefix(it.MonthlySaving, "-")
		v.Items = append(v.Items, row)
	}
	return v, nil
}

// windowText says a report's window for people: "2026-05-01 00:00 to 2026-05-08 00:00 UTC".
func windowText(w restv1.CostWindow) string {
	return w.Start.UTC().Format("2006-01-02 15:04") + " to " + w.End.UTC().Format("2006-01-02 15:04") + " UTC"
}
