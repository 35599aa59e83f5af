package chargeback

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/allocation"
	"github.com/naas-dev/naas/internal/cost/money"
)

var now = time.Date(2026, 11, 12, 9, 30, 0, 0, time.UTC) // a Thursday

func TestParseWindow(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	for _, tc := range []struct {
		in         string
		start, end string
	}{
		{"today", "2026-11-12T00:00:00Z", "2026-11-13T00:00:00Z"},
		{"yesterday", "2026-11-11T00:00:00Z", "2026-11-12T00:00:00Z"},
		{"week", "2026-11-08T00:00:00Z", "2026-11-12T09:30:00Z"}, // since Sunday
		{"lastweek", "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z"},
		{"month", "2026-11-01T00:00:00Z", "2026-11-12T09:30:00Z"},
		{"lastmonth", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"},
		{"7d", "2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z"}, // today and the 6 days before
		{"24h", "2026-11-11T10:00:00Z", "2026-11-12T10:00:00Z"},
		{"30m", "2026-11-12T09:01:00Z", "2026-11-12T09:31:00Z"},
		{"1w", "2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z"},
		{"2026-11-01T00:00:00Z,2026-12-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"1793491200,1793577600", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"},
	} {
		w, err := ParseWindow(tc.in, now)
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", tc.in, err)
			continue
		}
		if want := (Window{d(tc.start), d(tc.end)}); !w.Start.Equal(want.Start) || !w.End.Equal(want.End) {
			t.Errorf("ParseWindow(%q) = %s, want %s", tc.in, w, want)
		}
	}
	for _, bad := range []string{"", "forever", "0d", "2026-12-01T00:00:00Z,2026-11-01T00:00:00Z", "a,b", "7y"} {
		if _, err := ParseWindow(bad, now); err == nil {
			t.Errorf("ParseWindow(%q) accepted", bad)
		}
	}
}

func rule(name string, m naasv1alpha1.ChargebackMatch, discount, markup naasv1alpha1.Decimal) naasv1alpha1.ChargebackRule {
	return naasv1alpha1.ChargebackRule{Name: name, Match: m, Discount: discount, Markup: markup}
}

func TestApply_DiscountThenMarkupShownPerRule(t *testing.T) {
	rules, err := CompileRules([]naasv1alpha1.ChargebackRule{
		rule("dev-discount", naasv1alpha1.ChargebackMatch{Tiers: []string{"dev"}}, "0.5", ""),
		rule("platform-fee", naasv1alpha1.ChargebackMatch{NamespacePattern: "team-*"}, "", "1.2"),
		rule("prod-markup", naasv1alpha1.ChargebackMatch{Tiers: []string{"prod"}}, "", "1.5"),
	})
	if err != nil {
		t.Fatal(err)
	}
	// £10.00 for a dev namespace named team-a: half off (£5.00, -£5.00), then 1.2 × £5.00 = £6.00 (+£1.00).
	// prod-markup does not match.
	charged, adj := Apply(rules, Subject{Namespace: "team-a", Tier: "dev"}, money.Units(10))
	if charged != money.Units(6) {
		t.Errorf("charged = %s, want 6", charged.Exact())
	}
	want := []Adjustment{
		{Rule: "dev-discount", Kind: KindDiscount, Value: 500_000_000, Delta: -money.Units(5)},
		{Rule: "platform-fee", Kind: KindMarkup, Value: 1_200_000_000, Delta: money.Units(1)},
	}
	if diff := cmp.Diff(want, adj); diff != "" {
		t.Errorf("adjustments (-want +got):\n%s", diff)
	}
	if got := adj[0].Describe("GBP"); got != "dev-discount (discount 0.5): -£5.00" {
		t.Errorf("Describe = %q", got)
	}
	if got := adj[1].Describe("GBP"); got != "platform-fee (markup 1.2): +£1.00" {
		t.Errorf("Describe = %q", got)
	}
}

func TestRuleMatches(t *testing.T) {
	rules, err := CompileRules([]naasv1alpha1.ChargebackRule{rule("r", naasv1alpha1.ChargebackMatch{
		Templates: []string{"web"}, NamespacePattern: "*-dev",
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "pay"}},
	}, "0.1", "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s    Subject
		want bool
	}{
		{Subject{Namespace: "shop-dev", Template: "web", Labels: map[string]string{"team": "pay"}}, true},
		{Subject{Namespace: "shop-prod", Template: "web", Labels: map[string]string{"team": "pay"}}, false},
		{Subject{Namespace: "shop-dev", Template: "batch", Labels: map[string]string{"team": "pay"}}, false},
		{Subject{Namespace: "shop-dev", Template: "web"}, false},
	} {
		if got := rules[0].Matches(tc.s); got != tc.want {
			t.Errorf("Matches(%+v) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestCompileRules_Errors(t *testing.T) {
	for name, r := range map[string]naasv1alpha1.ChargebackRule{
		"discount above 1": rule("r", naasv1alpha1.ChargebackMatch{}, "1.5", ""),
		"both":             rule("r", naasv1alpha1.ChargebackMatch{}, "0.5", "1.2"),
		"neither":          rule("r", naasv1alpha1.ChargebackMatch{}, "", ""),
		"bad pattern":      rule("r", naasv1alpha1.ChargebackMatch{NamespacePattern: "[a"}, "0.5", ""),
		"bad selector": rule("r", naasv1alpha1.ChargebackMatch{LabelSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}}, "0.5", ""),
	} {
		if _, err := CompileRules([]naasv1alpha1.ChargebackRule{r}); err == nil || !strings.Contains(err.Error(), "rules[0] r") {
			t.Errorf("%s: error %v, want one naming rules[0] r", name, err)
		}
	}
}

func row(h int, cluster, ns, tenant, tier string, c allocation.Components) allocation.Row {
	return allocation.Row{Hour: time.Date(2026, 11, 1, h, 0, 0, 0, time.UTC), Cluster: cluster, Namespace: ns, Kind: allocation.KindNamespace,
		Tenant: tenant, Tier: tier, CostCenter: "CC-" + tenant, Basis: allocation.UsageRequests, Seconds: 3600, Currency: "GBP", Cost: c,
		Labels: map[string]string{"team": tenant}}
}

func TestBuild_AggregatesAndCharges(t *testing.T) {
	rules, _ := CompileRules([]naasv1alpha1.ChargebackRule{
		rule("dev-discount", naasv1alpha1.ChargebackMatch{Tiers: []string{"dev"}}, "0.5", ""),
		rule("prod-markup", naasv1alpha1.ChargebackMatch{Tiers: []string{"prod"}}, "", "1.2"),
	})
	rows := []allocation.Row{
		// acme-dev: two hours of £3.00 CPU + £1.00 memory = £8.00 list; half off: £4.00.
		row(0, "c1", "acme-dev", "acme", "dev", allocation.Components{CPU: money.Units(3), Memory: money.Units(1)}),
		row(1, "c1", "acme-dev", "acme", "dev", allocation.Components{CPU: money.Units(3), Memory: money.Units(1)}),
		// acme-prod: £10.00 + £0.50 idle = £10.50; × 1.2 = £12.60.
		row(0, "c1", "acme-prod", "acme", "prod", allocation.Components{CPU: money.Units(10), Idle: money.Units(1) / 2}),
		// beta-dev: £2.00 storage; half off: £1.00.
		row(0, "c1", "beta-dev", "beta", "dev", allocation.Components{Storage: money.Units(2)}),
		// Outside the window: left out.
		row(5, "c1", "beta-dev", "beta", "dev", allocation.Components{Storage: money.Units(100)}),
		// Idle left apart: not adjusted.
		{Hour: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Cluster: "c1", Namespace: allocation.IdleNamespace, Kind: allocation.KindIdle, Currency: "GBP", Basis: allocation.UsageRequests, Cost: allocation.Components{Idle: money.Units(7)}},
	}
	w := Window{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC)}
	rep, err := Build(rows, rules, w, AggregateTenant, "GBP", nil)
	if err != nil {
		t.Fatal(err)
	}
	type line struct {
		Key           string
		N             int
		List, Charged string
		Adj           []string
	}
	var got []line
	for _, l := range append(rep.Lines, rep.Total) {
		var adj []string
		for _, a := range l.Adjustments {
			adj = append(adj, a.Describe("GBP"))
		}
		got = append(got, line{l.Key, l.Namespaces, money.Format(l.List, "GBP"), money.Format(l.Charged, "GBP"), adj})
	}
	want := []line{
		// acme: £8.00 + £10.50 = £18.50 list; -£4.00 by dev-discount, +£2.10 by prod-markup: £16.60.
		{"acme", 2, "£18.50", "£16.60", []string{"dev-discount (discount 0.5): -£4.00", "prod-markup (markup 1.2): +£2.10"}},
		{allocation.IdleNamespace, 1, "£7.00", "£7.00", nil},
		{"beta", 1, "£2.00", "£1.00", []string{"dev-discount (discount 0.5): -£1.00"}},
		{"total", 4, "£27.50", "£24.60", []string{"dev-discount (discount 0.5): -£5.00", "prod-markup (markup 1.2): +£2.10"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	wantCSV := `window_start,window_end,aggregate,key,namespaces,currency,cpu,memory,gpu,storage,load_balancer,idle,shared,list,adjustments,charged,usage_source,exchange_rates
2026-11-01T00:00:00Z,2026-11-01T05:00:00Z,tenant,acme,2,GBP,16.00,2.00,0.00,0.00,0.00,0.50,0.00,18.50,dev-discount:discount:0.5:-4.00;prod-markup:markup:1.2:2.10,16.60,requests,
2026-11-01T00:00:00Z,2026-11-01T05:00:00Z,tenant,__idle__,1,GBP,0.00,0.00,0.00,0.00,0.00,7.00,0.00,7.00,,7.00,requests,
2026-11-01T00:00:00Z,2026-11-01T05:00:00Z,tenant,beta,1,GBP,0.00,0.00,0.00,2.00,0.00,0.00,0.00,2.00,dev-discount:discount:0.5:-1.00,1.00,requests,
2026-11-01T00:00:00Z,2026-11-01T05:00:00Z,tenant,total,4,GBP,16.00,2.00,0.00,2.00,0.00,7.50,0.00,27.50,dev-discount:discount:0.5:-5.00;prod-markup:markup:1.2:2.10,24.60,requests,
`
	if diff := cmp.Diff(wantCSV, buf.String()); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

func TestBuild_Aggregates(t *testing.T) {
	rows := []allocation.Row{
		row(0, "c1", "a", "acme", "dev", allocation.Components{CPU: 3}),
		row(0, "c2", "a", "acme", "dev", allocation.Components{CPU: 4}),
		row(0, "c1", "b", "", "prod", allocation.Components{CPU: 5}),
	}
	w := Window{rows[0].Hour, rows[0].Hour.Add(time.Hour)}
	for _, tc := range []struct {
		agg  string
		want map[string]money.Amount
	}{
		{"namespace", map[string]money.Amount{"a": 7, "b": 5}},
		{"cluster", map[string]money.Amount{"c1": 8, "c2": 4}},
		{"tenant", map[string]money.Amount{"acme": 7, Unallocated: 5}},
		{"costcenter", map[string]money.Amount{"CC-acme": 7, "CC-": 5}},
		{"tier", map[string]money.Amount{"dev": 7, "prod": 5}},
		{"label:team", map[string]money.Amount{"acme": 7, Unallocated: 5}},
	} {
		agg, err := ParseAggregate(tc.agg)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Build(rows, nil, w, agg, "GBP", nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]money.Amount{}
		for _, l := range rep.Lines {
			got[l.Key] = l.Charged
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.agg, diff)
		}
	}
	if _, err := ParseAggregate("pod"); err == nil {
		t.Error("ParseAggregate(pod) accepted")
	}
	if _, err := Build([]allocation.Row{{Hour: w.Start, Currency: "USD"}}, nil, w, AggregateNamespace, "GBP", nil); err == nil {
		t.Error("Build mixed currencies")
	}
}

func TestSeries_RulesPerNamespaceAndPeriodEveryPeriodAPoint(t *testing.T) {
	rules, err := CompileRules([]naasv1alpha1.ChargebackRule{
		rule("dev-discount", naasv1alpha1.ChargebackMatch{Tiers: []string{"dev"}}, "0.5", ""),
		rule("pay-fee", naasv1alpha1.ChargebackMatch{NamespacePattern: "pay-*"}, "", "1.2"),
	})
	if err != nil {
		t.Fatal(err)
	}
	h0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	gbp := money.Amount(money.One)
	row := func(ns, tier string, hour int, cpu, mem money.Amount) allocation.Row {
		return allocation.Row{Hour: h0.Add(time.Duration(hour) * time.Hour), Cluster: "c1", Namespace: ns, Kind: allocation.KindNamespace,
			Tenant: "pay", Tier: tier, Currency: "GBP", Cost: allocation.Components{CPU: cpu, Memory: mem}}
	}
	rows := []allocation.Row{
		row("pay-dev", "dev", 0, 10*gbp, 2*gbp), // (10 + 2) × 0.5 × 1.2 = 7.2
		row("pay-dev", "dev", 2, 1*gbp, 0),      // 0.6
		row("pay-prod", "prod", 0, 5*gbp, 0),    // 5 × 1.2 = 6
		row("shop", "dev", 1, 4*gbp, 0),         // 4 × 0.5 = 2 (the pattern does not match it)
		{Hour: h0, Cluster: "c1", Namespace: allocation.IdleNamespace, Kind: allocation.KindIdle, Currency: "GBP", Cost: allocation.Components{Idle: 3 * gbp}},
		row("pay-dev", "dev", 5, 99*gbp, 0), // outside the window
	}
	rows[3].Tenant = ""
	w := Window{Start: h0, End: h0.Add(3 * time.Hour)}
	lines, total := Series(rows, rules, w, time.Hour, AggregateTenant)
	pt := func(hour int, cpu, mem, idle, charged money.Amount) Point {
		c := allocation.Components{CPU: cpu, Memory: mem, Idle: idle}
		return Point{Start: h0.Add(time.Duration(hour) * time.Hour), Cost: c, List: c.Total(), Charged: charged}
	}
	tenth := gbp / 10
	want := map[string][]Point{
		"pay":                    {pt(0, 10*gbp+5*gbp, 2*gbp, 0, 72*tenth+6*gbp), pt(1, 0, 0, 0, 0), pt(2, gbp, 0, 0, 6*tenth)},
		Unallocated:              {pt(0, 0, 0, 0, 0), pt(1, 4*gbp, 0, 0, 2*gbp), pt(2, 0, 0, 0, 0)}, // shop has no tenant here
		allocation.IdleNamespace: {pt(0, 0, 0, 3*gbp, 3*gbp), pt(1, 0, 0, 0, 0), pt(2, 0, 0, 0, 0)},
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	wantTotal := []Point{pt(0, 15*gbp, 2*gbp, 3*gbp, 72*tenth+9*gbp), pt(1, 4*gbp, 0, 0, 2*gbp), pt(2, gbp, 0, 0, 6*tenth)}
	if diff := cmp.Diff(wantTotal, total); diff != "" {
		t.Errorf("total (-want +got):\n%s", diff)
	}
	// By day: one point, the hours' sums; the rules applied to each namespace's day.
	_, day := Series(rows, rules, w, 24*time.Hour, AggregateNamespace)
	if want := []Point{{Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Cost: allocation.Components{CPU: 20 * gbp, Memory: 2 * gbp, Idle: 3 * gbp},
		List: 25 * gbp, Charged: 78*tenth + 6*gbp + 2*gbp + 3*gbp}}; !cmp.Equal(want, day) {
		t.Errorf("by day = %+v, want %+v", day, want)
	}
}
