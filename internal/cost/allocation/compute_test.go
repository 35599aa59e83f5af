package allocation

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/cost/pricing"
)

// The prices of the hand-worked examples, in GBP: a core-hour 0.04, a GiB-hour 0.005, a GPU-hour 1.00, a
// GiB-month 0.10 (0.20 for class "fast"), a load balancer hour 0.025. Amounts below are nano-pounds.
func gbpBook() naasv1alpha1.PriceBook {
	return naasv1alpha1.PriceBook{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: naasv1alpha1.PriceBookSpec{
		Default: true, Currency: "GBP", CPUCoreHour: "0.04", MemoryGiBHour: "0.005", GPUHour: "1",
		StorageGiBMonth: "0.10", StorageClasses: []naasv1alpha1.StorageClassPrice{{StorageClassName: "fast", GiBMonth: "0.20"}},
		LoadBalancerHour: "0.025",
	}}
}

var hour = time.Date(2026, 11, 12, 9, 0, 0, 0, time.UTC)

const gib = 1 << 30

func ptr(v int64) *int64 { return &v }

func catalog(t testing.TB, books ...naasv1alpha1.PriceBook) *pricing.Catalog {
	t.Helper()
	if len(books) == 0 {
		books = []naasv1alpha1.PriceBook{gbpBook()}
	}
	c, err := pricing.NewCatalog(books, "GBP")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pod(ns, name string, seconds int64, cs ...Container) Pod {
	return Pod{Namespace: ns, Name: name, Node: "n1", Seconds: seconds, Containers: cs}
}

// node1 is 4 cores and 8 GiB for the hour: 4 × 0.04 + 8 × 0.005 = 0.16 + 0.04 = 0.20.
var node1 = Node{Name: "n1", CPUMillicores: 4000, MemoryBytes: 8 * gib, Seconds: 3600}

func TestCompute_HandWorkedComponents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    Input
		want  Components // of namespace "a"
		basis string
	}{{
		name: "a pod that uses more than it requested is charged its usage",
		// CPU max(500m, 800m) = 0.8 core × 0.04 = 0.032; memory max(1Gi, 512Mi) = 1 GiB × 0.005 = 0.005.
		in: Input{UsageSource: UsagePrometheus, Pods: []Pod{pod("a", "p", 3600,
			Container{CPURequestMillicores: 500, MemoryRequestBytes: gib, CPUUsageMillicores: ptr(800), MemoryUsageBytes: ptr(gib / 2)})}},
		want: Components{CPU: 32_000_000, Memory: 5_000_000}, basis: UsagePrometheus,
	}, {
		name: "a pod that uses less than it requested is charged its requests",
		// CPU max(2, 0.31) = 2 × 0.04 = 0.08; memory max(2Gi, 3Gi) = 3 × 0.005 = 0.015 (memory over its request).
		in: Input{UsageSource: UsagePrometheus, Pods: []Pod{pod("a", "p", 3600,
			Container{CPURequestMillicores: 2000, MemoryRequestBytes: 2 * gib, CPUUsageMillicores: ptr(310), MemoryUsageBytes: ptr(3 * gib)})}},
		want: Components{CPU: 80_000_000, Memory: 15_000_000}, basis: UsagePrometheus,
	}, {
		name: "without Prometheus, requests alone, whatever usage says",
		// 500m × 0.04 = 0.02; 1 GiB × 0.005 = 0.005.
		in: Input{UsageSource: UsageRequests, Pods: []Pod{pod("a", "p", 3600,
			Container{CPURequestMillicores: 500, MemoryRequestBytes: gib, CPUUsageMillicores: ptr(800)})}},
		want: Components{CPU: 20_000_000, Memory: 5_000_000}, basis: UsageRequests,
	}, {
		name: "a GPU is charged by its request",
		// 1 GPU × 1.00 for the hour; 100m × 0.04 = 0.004.
		in:   Input{Pods: []Pod{pod("a", "p", 3600, Container{CPURequestMillicores: 100, GPURequest: 1})}},
		want: Components{CPU: 4_000_000, GPU: 1_000_000_000}, basis: UsageRequests,
	}, {
		name: "a PVC is charged its capacity by storage class",
		// fast: 100 GiB × 0.20 / 730 = 0.02739726027… → 27_397_260; the default 0.10: 50 GiB → 0.00684931506… → 6_849_315.
		in: Input{Volumes: []Volume{
			{Namespace: "a", Name: "data", StorageClass: "fast", CapacityBytes: 100 * gib, Seconds: 3600},
			{Namespace: "a", Name: "logs", StorageClass: "standard", CapacityBytes: 50 * gib, Seconds: 3600},
		}},
		want: Components{Storage: 27_397_260 + 6_849_315}, basis: UsageRequests,
	}, {
		name: "a load balancer is charged by the hour",
		// 1 × 0.025 for 3600 s, and half of it for the one created at half past.
		in:   Input{LoadBalancers: []LoadBalancer{{Namespace: "a", Name: "web", Seconds: 3600}, {Namespace: "a", Name: "api", Seconds: 1800}}},
		want: Components{LoadBalancer: 25_000_000 + 12_500_000}, basis: UsageRequests,
	}, {
		name: "a pod that ran 20 minutes is charged a third of the hour",
		// 1 core × 0.04 × 1200/3600 = 0.013333333… → 13_333_333; 1 GiB × 0.005 / 3 = 0.001666666… → 1_666_667.
		in:   Input{Pods: []Pod{pod("a", "p", 1200, Container{CPURequestMillicores: 1000, MemoryRequestBytes: gib})}},
		want: Components{CPU: 13_333_333, Memory: 1_666_667}, basis: UsageRequests,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Start, tc.in.Cluster = hour, "c1"
			res, err := Compute(tc.in, catalog(t), Policy{Idle: SplitNone, Shared: SplitNone})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != 1 || res.Rows[0].Namespace != "a" {
				t.Fatalf("rows = %+v, want one row of namespace a", res.Rows)
			}
			if diff := cmp.Diff(tc.want, res.Rows[0].Cost); diff != "" {
				t.Errorf("cost (-want +got):\n%s", diff)
			}
			if res.Rows[0].Basis != tc.basis {
				t.Errorf("basis = %s, want %s", res.Rows[0].Basis, tc.basis)
			}
		})
	}
}

func TestCompute_QuantitiesAndLabels(t *testing.T) {
	in := Input{Cluster: "c1", Start: hour, UsageSource: UsagePrometheus,
		Namespaces: []Namespace{{Name: "a", Tenant: "acme", CostCenter: "CC-1", Template: "web", Tier: "dev", Labels: map[string]string{"team": "x"}}, {Name: "new"}},
		Pods:       []Pod{pod("a", "p", 1800, Container{CPURequestMillicores: 500, MemoryRequestBytes: gib, CPUUsageMillicores: ptr(800)})},
	}
	res, err := Compute(in, catalog(t), Policy{Idle: SplitNone, Shared: SplitNone})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Rows[0]
	want := Quantities{CPURequest: 500 * 1800, CPUUsage: 800 * 1800, CPUAllocated: 800 * 1800, MemoryRequest: gib * 1800, MemoryAllocated: gib * 1800}
	if diff := cmp.Diff(want, a.Quantities); diff != "" {
		t.Errorf("quantities (-want +got):\n%s", diff)
	}
	if a.Tenant != "acme" || a.CostCenter != "CC-1" || a.Template != "web" || a.Tier != "dev" || a.Labels["team"] != "x" ||
		a.Cluster != "c1" || !a.Hour.Equal(hour) || a.Seconds != 3600 || a.Currency != "GBP" || a.Kind != KindNamespace {
		t.Errorf("row a = %+v", a)
	}
	// A namespace created a minute ago, with nothing running yet, already has a row.
	if len(res.Rows) != 2 || res.Rows[1].Namespace != "new" || res.Rows[1].Cost.Total() != 0 {
		t.Errorf("rows = %+v, want a zero row for namespace new", res.Rows)
	}
}

// idleInput is node1 (0.20 for the hour) with a: 1 core and 2 GiB (0.04 + 0.01 = 0.05) and b: 500m and 1 GiB
// (0.02 + 0.005 = 0.025). Allocated CPU 0.06 of 0.16 and memory 0.015 of 0.04: idle 0.10 + 0.025 = 0.125.
func idleInput() Input {
	return Input{Cluster: "c1", Start: hour, Nodes: []Node{node1}, Pods: []Pod{
		pod("a", "p", 3600, Container{CPURequestMillicores: 1000, MemoryRequestBytes: 2 * gib}),
		pod("b", "p", 3600, Container{CPURequestMillicores: 500, MemoryRequestBytes: gib}),
	}}
}

func TestCompute_IdleSplit(t *testing.T) {
	for _, tc := range []struct {
		split Split
		want  map[string]Components
	}{
		{SplitNone, map[string]Components{
			"a": {CPU: 40_000_000, Memory: 10_000_000}, "b": {CPU: 20_000_000, Memory: 5_000_000},
			IdleNamespace: {Idle: 125_000_000},
		}},
		// 0.125 / 2 = 0.0625 each.
		{SplitEven, map[string]Components{
			"a": {CPU: 40_000_000, Memory: 10_000_000, Idle: 62_500_000}, "b": {CPU: 20_000_000, Memory: 5_000_000, Idle: 62_500_000},
		}},
		// By cost 0.05 : 0.025 = 2 : 1 → 0.083333333… and 0.041666666…; the leftover nano goes to b's larger
		// remainder (0.67 against 0.33).
		{SplitWeighted, map[string]Components{
			"a": {CPU: 40_000_000, Memory: 10_000_000, Idle: 83_333_333}, "b": {CPU: 20_000_000, Memory: 5_000_000, Idle: 41_666_667},
		}},
	} {
		t.Run(string(tc.split), func(t *testing.T) {
			res, err := Compute(idleInput(), catalog(t), Policy{Idle: tc.split, Shared: SplitNone})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Components{}
			var total money.Amount
			for _, r := range res.Rows {
				got[r.Namespace] = r.Cost
				total += r.Cost.Total()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			// The rows add up to what the node cost.
			if total != 200_000_000 || res.Capacity.CPU+res.Capacity.Memory != 200_000_000 {
				t.Errorf("rows add up to %d, capacity %+v; want 200_000_000", total, res.Capacity)
			}
		})
	}
}

func TestCompute_IdleNeverNegativeWhenPodsUseMoreThanTheNode(t *testing.T) {
	// 6 cores used on a 4-core node: no idle CPU; memory 1 GiB of 8: idle memory 7 × 0.005 = 0.035.
	in := Input{Start: hour, UsageSource: UsagePrometheus, Nodes: []Node{node1}, Pods: []Pod{
		pod("a", "p", 3600, Container{CPURequestMillicores: 1000, MemoryRequestBytes: gib, CPUUsageMillicores: ptr(6000)})}}
	res, err := Compute(in, catalog(t), Policy{Idle: SplitNone, Shared: SplitNone})
	if err != nil {
		t.Fatal(err)
	}
	if idle := res.Rows[len(res.Rows)-1]; idle.Kind != KindIdle || idle.Cost.Idle != 35_000_000 {
		t.Errorf("idle row = %+v, want 35_000_000", idle)
	}
}

func TestCompute_SharedNamespacesSplit(t *testing.T) {
	in := idleInput()
	// monitoring: 500m = 0.02, shared out by cost to a (0.05) and b (0.025): 0.013333333… and 0.006666666…,
	// the leftover nano to b's larger remainder.
	in.Pods = append(in.Pods, pod("monitoring", "prom", 3600, Container{CPURequestMillicores: 500}))
	res, err := Compute(in, catalog(t), Policy{Idle: SplitNone, SharedNamespaces: []string{"monitoring"}, Shared: SplitWeighted})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Components{}
	kinds := map[string]RowKind{}
	for _, r := range res.Rows {
		got[r.Namespace], kinds[r.Namespace] = r.Cost, r.Kind
	}
	want := map[string]Components{
		"a":           {CPU: 40_000_000, Memory: 10_000_000, Shared: 13_333_333},
		"b":           {CPU: 20_000_000, Memory: 5_000_000, Shared: 6_666_667},
		"monitoring":  {CPU: 20_000_000, Shared: -20_000_000},
		IdleNamespace: {Idle: 105_000_000}, // 0.20 - 0.04 - 0.02 - 0.02 (CPU) - 0.01 - 0.005 (memory)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if kinds["monitoring"] != KindShared || kinds["a"] != KindNamespace || kinds[IdleNamespace] != KindIdle {
		t.Errorf("kinds = %v", kinds)
	}
}

func TestCompute_SharedNamespacesCarryTheirIdleShare(t *testing.T) {
	in := idleInput()
	in.Pods = append(in.Pods, pod("monitoring", "prom", 3600, Container{CPURequestMillicores: 500}))
	// Idle 0.105 evenly over a, b and monitoring: 0.035 each; monitoring's 0.02 + 0.035 = 0.055 goes evenly to
	// a and b: 0.0275 each. Every nano of the node's 0.20 lands on a or b.
	res, err := Compute(in, catalog(t), Policy{Idle: SplitEven, SharedNamespaces: []string{"monitoring"}, Shared: SplitEven})
	if err != nil {
		t.Fatal(err)
	}
	var ab money.Amount
	for _, r := range res.Rows {
		if r.Namespace == "monitoring" && r.Cost.Total() != 0 {
			t.Errorf("monitoring keeps %d", r.Cost.Total())
		}
		if r.Namespace == "a" && (r.Cost.Idle != 35_000_000 || r.Cost.Shared != 27_500_000) {
			t.Errorf("a = %+v", r.Cost)
		}
		ab += r.Cost.Total()
	}
	if ab != 200_000_000 {
		t.Errorf("rows add up to %d, want 200_000_000", ab)
	}
}

func TestCompute_CurrencyConversion(t *testing.T) {
	// A USD book (OpenCost's CPU price 0.031611) reported in GBP at 0.79 (2026-11-30): 0.02497269 per
	// core-hour; 2 cores for an hour = 0.04994538 GBP, presented as £0.05.
	b := gbpBook()
	b.Spec.Currency, b.Spec.CPUCoreHour = "USD", "0.031611"
	b.Spec.ExchangeRates = []naasv1alpha1.ExchangeRate{{Currency: "GBP", Rate: "0.79", Date: "2026-11-30"}}
	res, err := Compute(Input{Start: hour, Pods: []Pod{pod("a", "p", 3600, Container{CPURequestMillicores: 2000})}}, catalog(t, b), Policy{Idle: SplitNone, Shared: SplitNone})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0].Cost.CPU; got != 49_945_380 || money.Format(got, res.Currency) != "£0.05" {
		t.Errorf("CPU = %d (%s), want 49_945_380 (£0.05)", got, money.Format(got, res.Currency))
	}
	want := []money.Rate{{From: "USD", To: "GBP", Factor: 790_000_000, Date: "2026-11-30"}}
	if diff := cmp.Diff(want, res.Rates); diff != "" {
		t.Errorf("rates (-want +got):\n%s", diff)
	}
}

func TestCompute_NodePoolsPricedByTheirBook(t *testing.T) {
	gpuPool := gbpBook()
	gpuPool.Name, gpuPool.Spec.Default, gpuPool.Spec.NodePool, gpuPool.Spec.CPUCoreHour = "gpu", false, "gpu", "0.10"
	in := Input{Start: hour, Nodes: []Node{{Name: "g1", Pool: "gpu", CPUMillicores: 1000, Seconds: 3600}},
		Pods: []Pod{{Namespace: "a", Node: "g1", Seconds: 3600, Containers: []Container{{CPURequestMillicores: 1000}}}}}
	res, err := Compute(in, catalog(t, gbpBook(), gpuPool), Policy{Idle: SplitNone, Shared: SplitNone})
	if err != nil {
		t.Fatal(err)
	}
	// 1 core at the gpu pool's 0.10, all of the node: no idle row.
	if len(res.Rows) != 1 || res.Rows[0].Cost.CPU != 100_000_000 {
		t.Errorf("rows = %+v", res.Rows)
	}
}

func TestCompute_HourInProgress(t *testing.T) {
	// Computed at 09:15: the row covers 900 s; a pod running since 09:00 is charged a quarter hour.
	in := Input{Start: hour, End: hour.Add(15 * time.Minute), Pods: []Pod{pod("a", "p", Seconds(hour, hour.Add(15*time.Minute), hour.Add(-time.Hour), time.Time{}), Container{CPURequestMillicores: 1000})}}
	res, err := Compute(in, catalog(t), Policy{Idle: SplitNone, Shared: SplitNone})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Rows[0]; r.Seconds != 900 || r.Cost.CPU != 10_000_000 {
		t.Errorf("row = %+v, want 900 s and 0.01", r)
	}
}

func TestCompute_RejectsBadInput(t *testing.T) {
	for name, in := range map[string]Input{
		"start off the hour":   {Start: hour.Add(time.Minute)},
		"end beyond the hour":  {Start: hour, End: hour.Add(2 * time.Hour)},
		"pod ran too long":     {Start: hour, Pods: []Pod{pod("a", "p", 3601)}},
		"negative request":     {Start: hour, Pods: []Pod{pod("a", "p", 60, Container{CPURequestMillicores: -1})}},
		"unknown usage source": {Start: hour, UsageSource: "guess"},
		"volume ran too long":  {Start: hour, Volumes: []Volume{{Namespace: "a", Seconds: 4000}}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Compute(in, catalog(t), Policy{Idle: SplitNone, Shared: SplitNone}); err == nil {
				t.Error("Compute accepted it")
			}
		})
	}
	if _, err := Compute(Input{Start: hour}, catalog(t), Policy{Idle: "Sometimes", Shared: SplitNone}); err == nil {
		t.Error("Compute accepted an unknown split")
	}
}

func TestSeconds(t *testing.T) {
	end := hour.Add(time.Hour)
	for _, tc := range []struct {
		from, to time.Time
		want     int64
	}{
		{hour.Add(-time.Hour), time.Time{}, 3600},
		{hour.Add(40 * time.Minute), time.Time{}, 1200},
		{hour.Add(10 * time.Minute), hour.Add(30 * time.Minute), 1200},
		{hour.Add(-time.Hour), hour, 0},
		{end, time.Time{}, 0},
	} {
		if got := Seconds(hour, end, tc.from, tc.to); got != tc.want {
			t.Errorf("Seconds(%v, %v) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestPolicyFrom_DefaultsToNone(t *testing.T) {
	p := PolicyFrom(naasv1alpha1.CostPolicySpec{SharedNamespaces: []string{"x"}})
	if p.Idle != SplitNone || p.Shared != SplitNone || p.SharedNamespaces[0] != "x" {
		t.Errorf("PolicyFrom = %+v", p)
	}
}

// BenchmarkCompute_10000Namespaces computes one hour of a cluster of 10,000 namespaces, each with two pods of
// two containers, a PVC and every tenth a load balancer, on 500 nodes, with idle and shared namespaces split by
// cost: the pure part of "cost of computing one hour for 10,000 namespaces" (bench/ measures the whole).
func BenchmarkCompute_10000Namespaces(b *testing.B) {
	in := Synthetic(10_000, hour)
	c := catalog(b)
	policy := Policy{Idle: SplitWeighted, SharedNamespaces: []string{"ns-00000", "ns-00001"}, Shared: SplitWeighted}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(in, c, policy); err != nil {
			b.Fatal(err)
		}
	}
}
