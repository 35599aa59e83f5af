// Package cost tests cost collection against a real API server and both audit stores: hours written
// idempotently, a restart that misses none, a gap back-filled, and the chargeback of the stored hours.
package cost

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/cost/chargeback"
	"github.com/naas-dev/naas/internal/cost/collector"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.Options{}) }

// world is one node (4 cores, 16 GiB), one dev namespace of tenant pay with one pod (1 core, 2 GiB) running
// since it was made, a GBP price book (a core-hour £0.03, a GiB-hour £0.004) and a cost policy that charges dev
// half. It returns the first whole hour everything ran.
func world(t *testing.T) time.Time {
	ctx := testenv.Context(t)
	c := env.Client
	created := time.Now().UTC()
	book := &naasv1alpha1.PriceBook{ObjectMeta: metav1.ObjectMeta{Name: "gbp"}, Spec: naasv1alpha1.PriceBookSpec{
		Default: true, Currency: "GBP", CPUCoreHour: "0.03", MemoryGiBHour: "0.004",
		ExchangeRates: []naasv1alpha1.ExchangeRate{{Currency: "USD", Rate: "1.25", Date: "2026-11-30"}},
	}}
	policy := &naasv1alpha1.CostPolicy{ObjectMeta: metav1.ObjectMeta{Name: naasv1alpha1.DefaultCostPolicyName}, Spec: naasv1alpha1.CostPolicySpec{
		Idle: naasv1alpha1.CostSplitNone, Shared: naasv1alpha1.CostSplitNone,
		Rules: []naasv1alpha1.ChargebackRule{{Name: "dev-discount", Match: naasv1alpha1.ChargebackMatch{Tiers: []string{"dev"}}, Discount: "0.5"}},
	}}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1", Labels: map[string]string{naasv1alpha1.NodePoolLabel: "general"}}}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "pay-dev", Labels: map[string]string{
		naasv1alpha1.LabelTenant: "pay", naasv1alpha1.LabelTier: "dev", naasv1alpha1.LabelTemplate: "web", "team": "checkout",
	}}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "pay-dev", Name: "web"}, Spec: corev1.PodSpec{
		NodeName: "node-1",
		Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("2Gi")},
		}}},
	}}
	for _, o := range []client.Object{book, policy, node, ns, pod} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatalf("create %s: %v", o.GetName(), err)
		}
	}
	node.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi")}
	if err := c.Status().Update(ctx, node); err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &metav1.Time{Time: created}}
	if err := c.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	return created.Truncate(time.Hour).Add(time.Hour)
}

func newCollector(store audit.CostStore, now *atomic.Int64) *collector.Collector {
	return collector.New(collector.Options{
		Store: store, Management: env.Client,
		Targets: func() []collector.Target { return []collector.Target{{Name: "local", Reader: env.Client}} },
		Now:     func() time.Time { return time.Unix(0, now.Load()) },
	})
}

func TestCollector_RerunRestartAndBackfillOnBothStores(t *testing.T) {
	h0 := world(t)
	stores := map[string]func(t *testing.T) func() audit.Store{
		"sqlite": func(t *testing.T) func() audit.Store {
			path := filepath.Join(t.TempDir(), "audit.db")
			return func() audit.Store { return open(t, "sqlite://"+path) }
		},
		"postgres": func(t *testing.T) func() audit.Store {
			dsn := testenv.PostgresForTest(t).NewDatabase(t)
			return func() audit.Store { return open(t, dsn) }
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := testenv.Context(t)
			reopen := newStore(t)
			s := reopen()
			var now atomic.Int64
			now.Store(h0.Add(5*time.Hour + 10*time.Minute).UnixNano())
			c := newCollector(s.(audit.CostStore), &now)
			local := collector.Target{Name: "local", Reader: env.Client}
			// Two hours stored, a gap of three between them.
			for _, h := range []time.Time{h0, h0.Add(4 * time.Hour)} {
				if err := c.StoreHour(ctx, local, h); err != nil {
					t.Fatal(err)
				}
			}
			// Running an hour again replaces it.
			if err := c.StoreHour(ctx, local, h0); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Fill(ctx); err != nil || n != 3 {
				t.Fatalf("Fill of the gap = %d, %v; want 3 hours", n, err)
			}
			// A restart three hours later, on the store reopened, fills the hours it missed.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = reopen()
			now.Store(h0.Add(8*time.Hour + 10*time.Minute).UnixNano())
			c = newCollector(s.(audit.CostStore), &now)
			if n, err := c.Fill(ctx); err != nil || n != 3 {
				t.Fatalf("Fill after the restart = %d, %v; want 3 hours", n, err)
			}
			if n, err := c.Fill(ctx); err != nil || n != 0 {
				t.Fatalf("Fill again = %d, %v; want nothing", n, err)
			}
			hours, err := s.(audit.CostStore).CostHours(ctx, "local", h0, h0.Add(8*time.Hour))
			if err != nil || len(hours) != 8 {
				t.Fatalf("stored hours = %v, %v; want the 8 hours from %s", hours, err, h0)
			}

			// Eight hours of 1 core (£0.03) and 2 GiB (£0.008): £0.304, charged half (dev): £0.152.
			w := chargeback.Window{Start: h0, End: h0.Add(8 * time.Hour)}
			rep, err := c.Report(ctx, collector.ReportQuery{Window: w, Aggregate: chargeback.AggregateTenant, Tenants: []string{"pay"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Lines) != 1 || rep.Lines[0].Key != "pay" || rep.Lines[0].List.Decimal("GBP") != "0.30" || rep.Lines[0].Charged.Exact() != "0.152" {
				t.Fatalf("report = %+v; want one line, pay, list £0.30, charged £0.152", rep.Lines)
			}
			if rep.UsageSource != "requests" || rep.InProgress != nil {
				t.Errorf("usage source %q, in progress %v; want requests and no hour in progress", rep.UsageSource, rep.InProgress)
			}
			if len(rep.Lines[0].Adjustments) != 1 || rep.Lines[0].Adjustments[0].Rule != "dev-discount" {
				t.Errorf("adjustments = %+v; want dev-discount", rep.Lines[0].Adjustments)
			}
			// In USD, by the book's rate.
			usd, err := c.Report(ctx, collector.ReportQuery{Window: w, Aggregate: chargeback.AggregateNamespace, Tenants: []string{"pay"}, Currency: "USD"})
			if err != nil {
				t.Fatal(err)
			}
			if len(usd.Lines) != 1 || usd.Lines[0].Charged.Exact() != "0.19" {
				t.Errorf("USD report = %+v; want £0.152 × 1.25 = $0.19", usd.Lines)
			}
			// Another tenant's members see nothing of pay's; a platform admin sees idle capacity too.
			other, err := c.Report(ctx, collector.ReportQuery{Window: w, Aggregate: chargeback.Aggregate("label:team"), Tenants: []string{"shop"}})
			if err != nil || len(other.Lines) != 0 {
				t.Errorf("shop's report = %+v, %v; want no lines", other.Lines, err)
			}
			all, err := c.Report(ctx, collector.ReportQuery{Window: w, Aggregate: chargeback.AggregateNamespace, AllTenants: true})
			if err != nil {
				t.Fatal(err)
			}
			if !hasLine(all.Report, "__idle__") {
				t.Errorf("admin report lines = %+v; want an __idle__ line", all.Lines)
			}
			// The hour in progress counts, ten minutes of it.
			spend, cur, err := c.Spend(ctx, collector.ScopeNamespace, "pay-dev", h0, h0.Add(9*time.Hour), "")
			if err != nil {
				t.Fatal(err)
			}
			if want := money.Amount(152_000_000 + 3_166_667); spend != want || cur != "GBP" {
				t.Errorf("Spend = %s %s; want %s GBP (8 hours and 10 minutes)", spend.Exact(), cur, want.Exact())
			}
		})
	}
}

func hasLine(r chargeback.Report, key string) bool {
	for _, l := range r.Lines {
		if l.Key == key {
			return true
		}
	}
	return false
}

func open(t *testing.T, dsn string) audit.Store {
	t.Helper()
	s, err := audit.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
