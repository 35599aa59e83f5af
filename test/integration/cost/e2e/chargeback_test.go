// Package e2e tests cost allocation end to end over HTTP: naas with a real Prometheus (Debian's package, its
// TSDB back-filled with promtool), pods running on nodes, the chargeback of three tenants to the penny, the
// right-sizing of a namespace, and who may see what.
package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/httpx"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.Options{}) }

const (
	gi = 1 << 30
	mi = 1 << 20
)

// running is a pod the test binds to a node and marks Running, and what Prometheus says it uses.
type running struct {
	namespace, name string
	cpu, memory     string  // requests (and limits)
	cpuUse          float64 // cores
	memoryUse       int64   // bytes
}

// The pods of the three tenants. acme: acme-dev (tier dev) and acme-prod (tier prod); globex: globex-web
// (staging); initech: initech-api (prod). The web and api pods are named as their Deployments' would be.
var pods = []running{
	{"acme-dev", "web-5d4f8c7b9-abcde", "500m", "1Gi", 0.8, 512 * mi},
	{"acme-dev", "web-5d4f8c7b9-fghij", "500m", "1Gi", 0.2, 1536 * mi},
	{"acme-prod", "api-6d5f7c8b9-q2w3e", "1", "2Gi", 0.25, gi},
	{"globex-web", "app-7f8c9d6b5-r4t5y", "2", "4Gi", 2.5, 3 * gi},
	{"initech-api", "db-0", "250m", "512Mi", 0.1, 256 * mi},
}

// TestCost_ChargebackOfThreeTenantsToThePennyWithPrometheus runs naas with a Prometheus whose TSDB holds three
// hours of usage, pods on two nodes, and a cost clock three hours ahead, so the collector stores those hours as
// they end. Nodes and bindings are made by the test (no kube-scheduler or kwok in testenv yet): the collector
// reads them through the API server as it would a kubelet's.
//
// Prices (the default PriceBook, in GBP): a core-hour £0.03, a GiB-hour £0.004. The cost policy is the default:
// dev charged half (dev-discount), prod 1.2 times (prod-markup), idle left out (an __idle__ line). Per hour,
// max(request, usage) of each pod:
//
//	acme-dev    web-…-abcde  max(0.5, 0.8) = 0.8 core, max(1, 0.5) = 1 GiB     0.024 + 0.004 = 0.028
//	            web-…-fghij  max(0.5, 0.2) = 0.5 core, max(1, 1.5) = 1.5 GiB   0.015 + 0.006 = 0.021
//	acme-prod   api-…-q2w3e  max(1, 0.25) = 1 core,    max(2, 1) = 2 GiB       0.030 + 0.008 = 0.038
//	globex-web  app-…-r4t5y  max(2, 2.5) = 2.5 cores,  max(4, 3) = 4 GiB       0.075 + 0.016 = 0.091
//	initech-api db-0         max(0.25, 0.1) = 0.25,    max(0.5, 0.25) = 0.5    0.0075 + 0.002 = 0.0095
//
// Over the three hours, charged:
//
//	acme     (0.028 + 0.021) × 3 × 0.5 + 0.038 × 3 × 1.2 = 0.0735 + 0.1368 = £0.2103
//	globex   0.091 × 3                                   =                   £0.273
//	initech  0.0095 × 3 × 1.2                            =                   £0.0342
//	total                                                                    £0.5175, £0.52 to the penny
//
// Idle: two nodes of 8 cores and 32 GiB cost 16 × 0.03 + 64 × 0.004 = £0.736 an hour; 5.05 cores and 9 GiB
// are allocated (£0.1515 + £0.036), so 0.736 - 0.1875 = £0.5485 an hour is idle: £1.6455 over the window.
func TestCost_ChargebackOfThreeTenantsToThePennyWithPrometheus(t *testing.T) {
	ctx := testenv.Context(t)
	c := env.Client
	// The window: three whole hours starting two hours from now, so that everything the test makes exists
	// before it starts.
	h0 := time.Now().UTC().Truncate(time.Hour).Add(2 * time.Hour)
	promURL := testenv.StartPrometheus(t, usageSeries(h0.Add(-15*time.Minute), h0.Add(3*time.Hour+15*time.Minute)))

	var fake atomic.Int64 // The cost clock: real time until the test sets it.
	clock := func() time.Time {
		if v := fake.Load(); v != 0 {
			return time.Unix(0, v)
		}
		return time.Now()
	}
	p := start(t, setup.CostOptions{PrometheusURL: promURL, Now: clock, Interval: 200 * time.Millisecond})

	testenv.Tenant("acme").Admin("alice").Developer("bob").With(func(s *naasv1alpha1.TenantSpec) { s.CostCenter = "cc-retail" }).Create(t, env)
	testenv.Tenant("globex").Admin("carol").Developer("dave").With(func(s *naasv1alpha1.TenantSpec) { s.CostCenter = "cc-web" }).Create(t, env)
	testenv.Tenant("initech").Admin("erin").With(func(s *naasv1alpha1.TenantSpec) { s.CostCenter = "cc-retail" }).Create(t, env)
	for _, n := range []struct{ name, tenant, tier string }{
		{"acme-dev", "acme", "dev"}, {"acme-prod", "acme", "prod"}, {"globex-web", "globex", "staging"}, {"initech-api", "initech", "prod"},
	} {
		env.Provision(t, testenv.Claim(n.name, n.tenant).Template("standard").Tier(n.tier).Param("owner_email", "owner@example.com").Obj())
	}
	setPrices(t)
	for _, name := range []string{"node-a", "node-b"} {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{naasv1alpha1.NodePoolLabel: "general"}}}
		env.Create(t, node)
		t.Cleanup(func() { _ = c.Delete(ctx, node) })
		node.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi")}
		node.Status.Allocatable = node.Status.Capacity
		if err := c.Status().Update(ctx, node); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range pods {
		pod := testenv.RestrictedPod(r.namespace, r.name)
		res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(r.cpu), corev1.ResourceMemory: resource.MustParse(r.memory)}
		pod.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: res, Limits: res.DeepCopy()}
		pod.Spec.NodeName = []string{"node-a", "node-b"}[i%2]
		// The nodes have no kubelet: tolerate the taints the node lifecycle controller puts on them, or it evicts.
		pod.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
		env.Create(t, pod)
		pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &metav1.Time{Time: time.Now().Add(-time.Minute)}}
		if err := c.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
	}
	// The workloads right-sizing reads (paused: the pods above stand for their replicas).
	for _, d := range []struct {
		namespace, name, cpu, memory string
		replicas                     int32
	}{{"acme-dev", "web", "500m", "1Gi", 2}, {"acme-prod", "api", "1", "2Gi", 1}} {
		env.Create(t, deployment(d.namespace, d.name, d.cpu, d.memory, d.replicas))
	}

	// The hours end: the collector stores them (and those between now and the window).
	fake.Store(h0.Add(3*time.Hour + 5*time.Minute).UnixNano())
	w := "window=" + url.QueryEscape(h0.Format(time.RFC3339)+","+h0.Add(3*time.Hour).Format(time.RFC3339))
	lastHour := "window=" + url.QueryEscape(h0.Add(2*time.Hour).Format(time.RFC3339)+","+h0.Add(3*time.Hour).Format(time.RFC3339))
	testenv.Eventually(t, 2*time.Minute, "the window's hours stored", func() error {
		var rep restv1.CostReport
		if err := getJSON(t, p, "platform-admin", "/analytics/costs?aggregate=tenant&"+lastHour, &rep); err != nil {
			return err
		}
		if line(rep, "initech") == nil {
			return fmt.Errorf("the last hour of the window has no initech line yet: %+v", rep.Lines)
		}
		return nil
	})

	t.Run("chargeback to the penny", func(t *testing.T) {
		var rep restv1.CostReport
		if err := getJSON(t, p, "platform-admin", "/analytics/costs?aggregate=tenant&"+w, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Currency != "GBP" || rep.UsageSource != restv1.UsageSourcePrometheus || rep.InProgress != nil {
			t.Errorf("currency %s, usage %s, in progress %v; want GBP, prometheus, none", rep.Currency, rep.UsageSource, rep.InProgress)
		}
		// __unallocated__ is the namespaces of no tenant (naas-system and the like): nothing runs there.
		want := map[string]string{"acme": "0.2103", "globex": "0.273", "initech": "0.0342", "__idle__": "1.6455", "__unallocated__": "0"}
		got := map[string]string{}
		var total money.Amount
		for _, l := range rep.Lines {
			got[l.Key] = l.Charged
			if !strings.HasPrefix(l.Key, "__") {
				a, err := money.ParseExact(l.Charged)
				if err != nil {
					t.Fatal(err)
				}
				total = total.Add(a)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("charged per tenant (-want +got):\n%s", diff)
		}
		if total.Decimal("GBP") != "0.52" || total.Exact() != "0.5175" {
			t.Errorf("the three tenants' total = £%s (%s); want £0.52 (0.5175)", total.Decimal("GBP"), total.Exact())
		}
		if l := line(rep, "acme"); l == nil || l.CostCenter != "cc-retail" || l.Namespaces != 2 {
			t.Errorf("acme's line = %+v; want cost center cc-retail, 2 namespaces", l)
		}
		// Per namespace, each rule shown on its line.
		var ns restv1.CostReport
		if err := getJSON(t, p, "platform-admin", "/analytics/costs?aggregate=namespace&tenant=acme&"+w, &ns); err != nil {
			t.Fatal(err)
		}
		dev, prod := line(ns, "acme-dev"), line(ns, "acme-prod")
		if dev == nil || prod == nil || dev.Charged != "0.0735" || prod.Charged != "0.1368" ||
			len(dev.Rules) != 1 || dev.Rules[0].Name != "dev-discount" || len(prod.Rules) != 1 || prod.Rules[0].Name != "prod-markup" {
			t.Errorf("acme's namespaces = %+v; want acme-dev £0.0735 (dev-discount) and acme-prod £0.1368 (prod-markup)", ns.Lines)
		}
		// Hourly series, one call: three points per line.
		var hourly restv1.CostReport
		if err := getJSON(t, p, "alice", "/analytics/costs?aggregate=namespace&step=hour&"+w, &hourly); err != nil {
			t.Fatal(err)
		}
		if hourly.Step != "hour" || len(hourly.Totals.Series) != 3 || hourly.Totals.Series[0].Cost != "0.0701" {
			t.Errorf("alice's hourly series: step %q, %+v; want hour, 3 points of £0.0701", hourly.Step, hourly.Totals.Series)
		}
		// A one-hour window's series has one point, and is still hourly.
		var one restv1.CostReport
		if err := getJSON(t, p, "alice", "/analytics/costs?step=hour&"+lastHour, &one); err != nil {
			t.Fatal(err)
		}
		if one.Step != "hour" || len(one.Totals.Series) != 1 {
			t.Errorf("one hour's series: step %q, %+v; want hour, one point", one.Step, one.Totals.Series)
		}
	})

	t.Run("right-sizing", func(t *testing.T) {
		var rec restv1.RecommendationList
		if err := getJSON(t, p, "alice", "/namespaces/acme-prod/recommendations", &rec); err != nil {
			t.Fatal(err)
		}
		// api: 1 core and 2Gi requested, p95 0.25 and 1Gi. CPU: 0.25 × 1.2 = 0.3, saves 0.7 × £0.03 × 730 = £15.33.
		// Memory: 1Gi × 1.2 = 1228.8Mi, up to 64Mi: 1280Mi, saves 0.75 GiB × £0.004 × 730 = £2.19. 300m and
		// 1280Mi fit dev, the smallest tier.
		want := []string{
			"CPU request 1 core, p95 usage 0.25 over 7 days: recommend 0.3; saves £15.33/month",
			"Memory request 2Gi, p95 usage 1Gi over 7 days: recommend 1280Mi; saves £2.19/month",
		}
		var got []string
		for _, it := range rec.Items {
			got = append(got, it.Explanation)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("explanations (-want +got):\n%s", diff)
		}
		if rec.MonthlySaving != "17.52" || rec.Tier != "prod" || rec.RecommendedTier != "dev" || rec.Recommended.CPU != "300m" ||
			rec.Requests.Memory != "2Gi" || rec.Items[0].Workload != "Deployment/api" {
			t.Errorf("recommendations = %+v; want £17.52 a month, prod → dev, 300m recommended of 2Gi requested, Deployment/api", rec)
		}
		// A developer of the tenant may see them too; web's busiest replica decides (0.8 core → 1 core).
		var web restv1.RecommendationList
		if err := getJSON(t, p, "bob", "/namespaces/acme-dev/recommendations?window=24h", &web); err != nil {
			t.Fatal(err)
		}
		if len(web.Items) != 2 || web.Items[0].Recommended != "1" || web.Items[0].MonthlySaving != "-21.90" {
			t.Errorf("acme-dev = %+v; want web's CPU up to 1 core, costing £21.90 a month more", web.Items)
		}
		expectProblem(t, p, "alice", "/namespaces/acme-prod/recommendations?window=90d", http.StatusBadRequest)
	})

	t.Run("attackers", func(t *testing.T) { attackers(t, p, w) })
}

// attackers: another tenant's admin, a developer of another tenant and a user in no tenant see nothing of acme's
// costs, whatever they aggregate by and in CSV too.
func attackers(t *testing.T, p string, w string) {
	for _, who := range []string{"carol", "dave", "mallory"} {
		t.Run(who, func(t *testing.T) {
			for _, agg := range []string{"namespace", "tenant", "costcenter", "label:" + naasv1alpha1.LabelTenant, "label:" + naasv1alpha1.LabelTier} {
				var rep restv1.CostReport
				if err := getJSON(t, p, who, "/analytics/costs?aggregate="+url.QueryEscape(agg)+"&"+w, &rep); err != nil {
					t.Fatal(err)
				}
				want := "0"
				if who != "mallory" {
					want = "0.273" // globex's own, nothing more
				}
				if rep.Totals.Charged != want || strings.Contains(fmt.Sprint(rep.Lines, rep.Namespaces, rep.Tenants), "acme") {
					t.Errorf("%s by %s: total %s, lines %+v; want %s and nothing of acme's", who, agg, rep.Totals.Charged, rep.Lines, want)
				}
				// The cost center cc-retail is acme's and initech's: globex's members see neither's amounts.
				if l := line(rep, "cc-retail"); l != nil {
					t.Errorf("%s by %s sees cost center cc-retail: %+v", who, agg, l)
				}
			}
			raw := get(t, p, who, "/analytics/costs?aggregate=namespace&format=csv&"+w)
			if raw.Status != http.StatusOK {
				t.Fatalf("CSV: %s", raw)
			}
			rows, err := csv.NewReader(strings.NewReader(string(raw.Body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows[1:] {
				if key := row[3]; strings.HasPrefix(key, "acme") || strings.HasPrefix(key, "initech") || slices.Contains(row, "acme") {
					t.Errorf("%s's CSV has a row of another tenant: %q", who, row)
				}
			}
			wantTotal := "0.27"
			if who == "mallory" {
				wantTotal = "0.00"
			}
			if last := rows[len(rows)-1]; last[3] != "total" || last[15] != wantTotal {
				t.Errorf("%s's CSV total = %q; want charged %s", who, last, wantTotal)
			}
			expectProblem(t, p, who, "/analytics/costs?tenant=acme&"+w, http.StatusForbidden)
			expectProblem(t, p, who, "/analytics/costs?tenant=acme&format=csv&"+w, http.StatusForbidden)
			// Another tenant's namespace is not found: naas does not say it exists.
			expectProblem(t, p, who, "/namespaces/acme-prod/recommendations", http.StatusNotFound)
		})
	}
}

// TestCost_RecommendationsWithoutPrometheusSayWhy: without --prometheus-url there is no usage to size by, and the
// API says so in a problem document.
func TestCost_RecommendationsWithoutPrometheusSayWhy(t *testing.T) {
	p := start(t, setup.CostOptions{})
	testenv.Tenant("hooli").Admin("alice").Create(t, env)
	env.Provision(t, testenv.Claim("hooli-dev", "hooli").Template("standard").Tier("dev").Param("owner_email", "owner@example.com").Obj())
	pr := expectProblem(t, p, "alice", "/namespaces/hooli-dev/recommendations", http.StatusConflict)
	if pr.Type != restv1.ProblemUsageUnavailable || !strings.Contains(pr.Detail, "--prometheus-url") {
		t.Errorf("problem = %+v; want type usage-unavailable naming --prometheus-url", pr)
	}
	expectProblem(t, p, "mallory", "/namespaces/hooli-dev/recommendations", http.StatusNotFound)
}

// start runs naas with cost options o, its API on the environment's token users and a SQLite audit store.
func start(t *testing.T, o setup.CostOptions) string {
	t.Helper()
	p, stop, err := env.StartPlatform(func(opts *setup.Options) {
		opts.API = setup.APIOptions{TokenFile: env.APITokenFile(), AuditDB: filepath.Join(t.TempDir(), "audit.db"), Cost: o}
	})
	if err != nil {
		t.Fatalf("start naas: %v", err)
	}
	t.Cleanup(stop)
	return "http://" + p.Addr() + restv1.Prefix
}

// setPrices makes the seeded default PriceBook GBP: a core-hour £0.03, a GiB-hour £0.004.
func setPrices(t *testing.T) {
	ctx := testenv.Context(t)
	book := &naasv1alpha1.PriceBook{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "default"}, book); err != nil {
		t.Fatal(err)
	}
	book.Spec.Currency, book.Spec.CPUCoreHour, book.Spec.MemoryGiBHour = "GBP", "0.03", "0.004"
	if err := env.Client.Update(ctx, book); err != nil {
		t.Fatal(err)
	}
}

// usageSeries is every pod's usage from start to end, a sample a minute: a CPU counter growing at its cores, a
// constant working set.
func usageSeries(start, end time.Time) string {
	cpu := map[string][]testenv.OpenMetricsSample{}
	memory := map[string][]testenv.OpenMetricsSample{}
	for _, r := range pods {
		labels := fmt.Sprintf(`namespace=%q,pod=%q,container="app"`, r.namespace, r.name)
		for at := start; !at.After(end); at = at.Add(time.Minute) {
			cpu[labels] = append(cpu[labels], testenv.OpenMetricsSample{At: at, Value: r.cpuUse * at.Sub(start).Seconds()})
			memory[labels] = append(memory[labels], testenv.OpenMetricsSample{At: at, Value: float64(r.memoryUse)})
		}
	}
	return testenv.OpenMetricsFamily("container_cpu_usage_seconds", "counter", cpu) +
		testenv.OpenMetricsFamily("container_memory_working_set_bytes", "gauge", memory) + "# EOF\n"
}

func deployment(namespace, name, cpu, memory string, replicas int32) *appsv1.Deployment {
	pod := testenv.RestrictedPod(namespace, name)
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)}
	pod.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: res, Limits: res.DeepCopy()}
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas), Paused: true, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod.Spec},
		},
	}
}

func line(rep restv1.CostReport, key string) *restv1.CostLine {
	for i := range rep.Lines {
		if rep.Lines[i].Key == key {
			return &rep.Lines[i]
		}
	}
	return nil
}

func get(t *testing.T, base, user, path string) testenv.Response {
	t.Helper()
	return testenv.Call(t, env.Token(user), http.MethodGet, base+path, nil, nil)
}

func getJSON(t *testing.T, base, user, path string, v any) error {
	t.Helper()
	r := get(t, base, user, path)
	if r.Status != http.StatusOK {
		return fmt.Errorf("GET %s as %s: %s", path, user, r)
	}
	return json.Unmarshal(r.Body, v)
}

func expectProblem(t *testing.T, base, user, path string, status int) httpx.Problem {
	t.Helper()
	r := get(t, base, user, path)
	var pr httpx.Problem
	if r.Status != status || r.Header.Get("Content-Type") != httpx.ProblemContentType {
		t.Errorf("GET %s as %s: %s; want a %d problem", path, user, r, status)
		return pr
	}
	if err := json.Unmarshal(r.Body, &pr); err != nil {
		t.Error(err)
	}
	return pr
}
