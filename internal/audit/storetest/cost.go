package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/naas-dev/naas/internal/audit"
)

// The contract of audit.CostStore, which every audit.Store of naas also implements.
var costTests = []struct {
	name string
	test func(*testing.T, Backend)
}{
	{"CostHourReadsBackEveryField", testCostHourReadsBackEveryField},
	{"CostHourReplacedNotAdded", testCostHourReplacedNotAdded},
	{"CostSumsOverDaysEqualTheHours", testCostSumsOverDaysEqualTheHours},
	{"CostFilters", testCostFilters},
	{"CostHoursShowGapsAndEmptyHours", testCostHoursShowGapsAndEmptyHours},
	{"CostRejectsInvalidHoursAndQueries", testCostRejectsInvalidHoursAndQueries},
	{"CostConcurrentReplacesOfOneHourKeepDailySums", testCostConcurrentReplacesKeepDailySums},
	{"CostSurvivesReopen", testCostSurvivesReopen},
}

// C0 is a day's midnight, the first hour of the cost tests.
var C0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func costs(t *testing.T, s audit.Store) audit.CostStore {
	t.Helper()
	cs, ok := s.(audit.CostStore)
	if !ok {
		t.Fatalf("%T does not implement audit.CostStore", s)
	}
	return cs
}

// CostRow builds the row of namespace ns of tenant with amounts in micro-GBP: cpu, and memory twice that.
func CostRow(tenant, ns string, cpu int64) audit.CostRow {
	return audit.CostRow{
		Namespace: ns, Tenant: tenant, CostCenter: "cc-" + tenant, Template: "web", Tier: "small", Currency: "GBP",
		Amounts: audit.CostAmounts{CPU: cpu, Memory: 2 * cpu}, Quantities: audit.CostQuantities{CPURequest: 100 * 3600},
	}
}

func replace(t *testing.T, s audit.CostStore, cluster string, hour time.Time, rows ...audit.CostRow) {
	t.Helper()
	if err := s.ReplaceCostHour(context.Background(), audit.CostHour{Cluster: cluster, Hour: hour, UsageSource: audit.UsageSourceRequests, Rows: rows}); err != nil {
		t.Fatalf("ReplaceCostHour(%s, %s): %v", cluster, hour, err)
	}
}

func sum(t *testing.T, s audit.CostStore, q audit.CostQuery) []audit.CostSum {
	t.Helper()
	out, err := s.SumCosts(context.Background(), q)
	if err != nil {
		t.Fatalf("SumCosts(%+v): %v", q, err)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return fmt.Sprint(a.Period.Unix(), a.Cluster, a.Namespace) < fmt.Sprint(b.Period.Unix(), b.Cluster, b.Namespace)
	})
	return out
}

// totals returns "namespace=cpu/hours" of sums, compactly.
func totals(sums []audit.CostSum) []string {
	var out []string
	for _, s := range sums {
		p := ""
		if !s.Period.IsZero() {
			p = s.Period.Format("02T15") + " "
		}
		out = append(out, fmt.Sprintf("%s%s/%s=%d/%dh", p, s.Cluster, s.Namespace, s.Amounts.CPU, s.Hours))
	}
	slices.Sort(out)
	return out
}

func testCostHourReadsBackEveryField(t *testing.T, b Backend) {
	s := costs(t, b.NewDatabase(t)(t))
	row := audit.CostRow{
		Namespace: "pay-dev", Kind: audit.CostKindShared, Tenant: "pay", CostCenter: "cc-42", Template: "web", Tier: "gold", Currency: "GBP",
		Amounts: audit.CostAmounts{CPU: 1, Memory: 2, GPU: 3, Storage: 4, LoadBalancer: 5, Idle: 6, Shared: 7},
		Quantities: audit.CostQuantities{CPURequest: 1, CPUUsage: 2, CPUAllocated: 3, MemoryRequest: 4, MemoryUsage: 5,
			MemoryAllocated: 6, GPU: 7, Storage: 8, LoadBalancers: 9},
	}
	if err := s.ReplaceCostHour(context.Background(), audit.CostHour{Cluster: "local", Hour: C0, UsageSource: audit.UsageSourcePrometheus, Rows: []audit.CostRow{row}}); err != nil {
		t.Fatal(err)
	}
	want := []audit.CostSum{{
		Cluster: "local", Namespace: "pay-dev", Kind: audit.CostKindShared, Tenant: "pay", CostCenter: "cc-42", Template: "web", Tier: "gold", Currency: "GBP",
		Hours: 1, PrometheusHours: 1, Amounts: row.Amounts, Quantities: row.Quantities,
	}}
	// A window of the hour alone reads the hourly rows; one of whole days the daily sums: both say the same.
	for _, q := range []audit.CostQuery{{Start: C0, End: C0.Add(time.Hour)}, {Start: C0, End: C0.Add(48 * time.Hour)}} {
		if diff := cmp.Diff(want, sum(t, s, q)); diff != "" {
			t.Errorf("SumCosts(%s to %s) mismatch (-want +got):\n%s", q.Start, q.End, diff)
		}
	}
	if got := row.Amounts.Total(); got != 28 {
		t.Errorf("Total() = %d, want 28", got)
	}
}

func testCostHourReplacedNotAdded(t *testing.T, b Backend) {
	s := costs(t, b.NewDatabase(t)(t))
	replace(t, s, "local", C0, CostRow("pay", "pay-dev", 10), CostRow("pay", "pay-old", 5))
	replace(t, s, "local", C0.Add(time.Hour), CostRow("pay", "pay-dev", 100))
	// Running the first hour again, with a namespace gone and another's cost changed, replaces that hour only.
	replace(t, s, "local", C0, CostRow("pay", "pay-dev", 20))
	replace(t, s, "local", C0, CostRow("pay", "pay-dev", 20))
	day := audit.CostQuery{Start: C0, End: C0.Add(24 * time.Hour)}
	if diff := cmp.Diff([]string{"local/pay-dev=120/2h"}, totals(sum(t, s, day))); diff != "" {
		t.Errorf("day after re-running an hour mismatch (-want +got):\n%s", diff)
	}
	hours := day
	hours.Step = time.Hour
	if diff := cmp.Diff([]string{"01T00 local/pay-dev=20/1h", "01T01 local/pay-dev=100/1h"}, totals(sum(t, s, hours))); diff != "" {
		t.Errorf("hours after re-running an hour mismatch (-want +got):\n%s", diff)
	}
	// An hour re-run with no namespaces left empties the day's sums of the namespaces it had.
	replace(t, s, "local", C0)
	replace(t, s, "local", C0.Add(time.Hour))
	if got := sum(t, s, day); len(got) != 0 {
		t.Errorf("day after emptying its hours = %v, want nothing", totals(got))
	}
}

func testCostSumsOverDaysEqualTheHours(t *testing.T, b Backend) {
	s := costs(t, b.NewDatabase(t)(t))
	// Three days of hours, the namespaces' cost growing by the hour, so a misplaced hour changes the sums.
	for h := range 72 {
		replace(t, s, "local", C0.Add(time.Duration(h)*time.Hour),
			CostRow("pay", "pay-dev", int64(h+1)), CostRow("shop", "shop-prod", int64(1000*(h+1))))
	}
	byHours := func(from, to int) map[string]int64 {
		m := map[string]int64{}
		for h := from; h < to; h++ {
			m["pay-dev"] += int64(h + 1)
			m["shop-prod"] += int64(1000 * (h + 1))
		}
		return m
	}
	for _, w := range []struct{ from, to int }{{0, 72}, {5, 67}, {23, 49}, {0, 1}, {30, 31}, {24, 48}, {13, 40}} {
		q := audit.CostQuery{Start: C0.Add(time.Duration(w.from) * time.Hour), End: C0.Add(time.Duration(w.to) * time.Hour)}
		got := map[string]int64{}
		for _, cs := range sum(t, s, q) {
			got[cs.Namespace] = cs.Amounts.CPU
			if cs.Hours != int64(w.to-w.from) {
				t.Errorf("hours %d to %d: %s has %d hours, want %d", w.from, w.to, cs.Namespace, cs.Hours, w.to-w.from)
			}
		}
		if diff := cmp.Diff(byHours(w.from, w.to), got); diff != "" {
			t.Errorf("hours %d to %d mismatch (-want +got):\n%s", w.from, w.to, diff)
		}
	}
	// Per day, a window starting and ending mid-day: the edge days sum their hours in the window only.
	q := audit.CostQuery{Start: C0.Add(20 * time.Hour), End: C0.Add(50 * time.Hour), Step: 24 * time.Hour, Namespaces: []string{"pay-dev"}}
	want := []string{
		fmt.Sprintf("01T00 local/pay-dev=%d/4h", sumRange(20, 24)),
		fmt.Sprintf("02T00 local/pay-dev=%d/24h", sumRange(24, 48)),
		fmt.Sprintf("03T00 local/pay-dev=%d/2h", sumRange(48, 50)),
	}
	if diff := cmp.Diff(want, totals(sum(t, s, q))); diff != "" {
		t.Errorf("per-day sums mismatch (-want +got):\n%s", diff)
	}
}

// sumRange is the sum of h+1 for h in [from, to): the pay-dev CPU cost of those hours.
func sumRange(from, to int) int64 {
	var n int64
	for h := from; h < to; h++ {
		n += int64(h + 1)
	}
	return n
}

func testCostFilters(t *testing.T, b Backend) {
	s := costs(t, b.NewDatabase(t)(t))
	for h := range 30 {
		hour := C0.Add(time.Duration(h) * time.Hour)
		replace(t, s, "local", hour, CostRow("pay", "pay-dev", 1), CostRow("shop", "shop-dev", 2))
		replace(t, s, "eu", hour, CostRow("pay", "pay-eu", 3))
	}
	window := func(q audit.CostQuery) audit.CostQuery {
		q.Start, q.End = C0, C0.Add(30*time.Hour)
		return q
	}
	for _, tt := range []struct {
		q    audit.CostQuery
		want []string
	}{
		{window(audit.CostQuery{}), []string{"eu/pay-eu=90/30h", "local/pay-dev=30/30h", "local/shop-dev=60/30h"}},
		{window(audit.CostQuery{Tenants: []string{"pay"}}), []string{"eu/pay-eu=90/30h", "local/pay-dev=30/30h"}},
		{window(audit.CostQuery{Tenants: []string{"nobody"}}), nil},
		{window(audit.CostQuery{CostCenters: []string{"cc-shop"}}), []string{"local/shop-dev=60/30h"}},
		{window(audit.CostQuery{Namespaces: []string{"pay-dev", "shop-dev"}, Clusters: []string{"local"}}), []string{"local/pay-dev=30/30h", "local/shop-dev=60/30h"}},
		{window(audit.CostQuery{Tenants: []string{"pay"}, Clusters: []string{"eu"}}), []string{"eu/pay-eu=90/30h"}},
	} {
		if diff := cmp.Diff(tt.want, totals(sum(t, s, tt.q))); diff != "" {
			t.Errorf("SumCosts(%+v) mismatch (-want +got):\n%s", tt.q, diff)
		}
	}
}

func testCostHoursShowGapsAndEmptyHours(t *testing.T, b Backend) {
	s := costs(t, b.NewDatabase(t)(t))
	replace(t, s, "local", C0, CostRow("pay", "pay-dev", 1))
	replace(t, s, "local", C0.Add(time.Hour)) // An hour with no namespaces is computed all the same.
	replace(t, s, "local", C0.Add(3*time.Hour), CostRow("pay", "pay-dev", 1))
	replace(t, s, "eu", C0.Add(2*time.Hour))
	got, err := s.CostHours(context.Background(), "local", C0, C0.Add(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{C0, C0.Add(time.Hour), C0.Add(3 * time.Hour)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CostHours mismatch (-want +got):\n%s", diff)
	}
	got, err = s.CostHours(context.Background(), "local", C0.Add(time.Hour), C0.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Time{C0.Add(time.Hour)}, got); diff != "" {
		t.Errorf("CostHours of a sub-window mismatch (-want +got):\n%s", diff)
	}
}

func testCostRejectsInvalidHoursAndQueries(t *testing.T, b Backend) {
	s := costs(t, b.NewDatabase(t)(t))
	ok := audit.CostHour{Cluster: "local", Hour: C0, UsageSource: audit.UsageSourceRequests}
	for name, h := range map[string]audit.CostHour{
		"no cluster":    {Hour: C0, UsageSource: audit.UsageSourceRequests},
		"mid-hour":      {Cluster: "local", Hour: C0.Add(time.Minute), UsageSource: audit.UsageSourceRequests},
		"no source":     {Cluster: "local", Hour: C0},
		"two rows":      {Cluster: "local", Hour: C0, UsageSource: audit.UsageSourceRequests, Rows: []audit.CostRow{CostRow("a", "x", 1), CostRow("a", "x", 2)}},
		"bad currency":  {Cluster: "local", Hour: C0, UsageSource: audit.UsageSourceRequests, Rows: []audit.CostRow{{Namespace: "x", Currency: "pounds"}}},
		"no namespace":  {Cluster: "local", Hour: C0, UsageSource: audit.UsageSourceRequests, Rows: []audit.CostRow{{Currency: "GBP"}}},
		"zero hour":     {Cluster: "local", UsageSource: audit.UsageSourceRequests},
		"unknown usage": {Cluster: "local", Hour: C0, UsageSource: "guess"},
	} {
		if err := s.ReplaceCostHour(context.Background(), h); !errors.Is(err, audit.ErrInvalidCost) {
			t.Errorf("%s: ReplaceCostHour = %v, want ErrInvalidCost", name, err)
		}
	}
	if err := s.ReplaceCostHour(context.Background(), ok); err != nil {
		t.Errorf("ReplaceCostHour of an empty hour: %v", err)
	}
	for name, q := range map[string]audit.CostQuery{
		"mid-hour":    {Start: C0.Add(time.Minute), End: C0.Add(time.Hour)},
		"empty":       {Start: C0, End: C0},
		"backwards":   {Start: C0.Add(time.Hour), End: C0},
		"odd step":    {Start: C0, End: C0.Add(time.Hour), Step: time.Minute},
		"nothing set": {},
	} {
		if _, err := s.SumCosts(context.Background(), q); !errors.Is(err, audit.ErrInvalidCost) {
			t.Errorf("%s: SumCosts = %v, want ErrInvalidCost", name, err)
		}
	}
}

func testCostConcurrentReplacesKeepDailySums(t *testing.T, b Backend) {
	open := b.NewDatabase(t)
	s1, s2 := costs(t, open(t)), costs(t, open(t))
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		for _, s := range []audit.CostStore{s1, s2} {
			wg.Go(func() {
				errs <- s.ReplaceCostHour(context.Background(), audit.CostHour{
					Cluster: "local", Hour: C0.Add(time.Duration(i%4) * time.Hour), UsageSource: audit.UsageSourceRequests,
					Rows: []audit.CostRow{CostRow("pay", "pay-dev", 7)},
				})
			})
		}
	}
	wg.Wait()
	close(errs)
	var failed []string
	for err := range errs {
		if err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) > 0 {
		t.Fatalf("concurrent replaces failed: %s", strings.Join(failed, "; "))
	}
	// Four hours, each replaced ten times by two stores: the day's sums hold each hour once.
	if diff := cmp.Diff([]string{"local/pay-dev=28/4h"}, totals(sum(t, s1, audit.CostQuery{Start: C0, End: C0.Add(24 * time.Hour)}))); diff != "" {
		t.Errorf("daily sums after concurrent replaces mismatch (-want +got):\n%s", diff)
	}
}

func testCostSurvivesReopen(t *testing.T, b Backend) {
	open := b.NewDatabase(t)
	s := open(t)
	replace(t, costs(t, s), "local", C0, CostRow("pay", "pay-dev", 3))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := sum(t, costs(t, open(t)), audit.CostQuery{Start: C0, End: C0.Add(24 * time.Hour)})
	if diff := cmp.Diff([]string{"local/pay-dev=3/1h"}, totals(got)); diff != "" {
		t.Errorf("cost after reopen mismatch (-want +got):\n%s", diff)
	}
}
