// Package e2e tests cost allocation end to end over HTTP: naas with a real Prometheus (Debian's package, its
// TSDB back-filled with promtool), the tenants' workloads scheduled by kube-scheduler onto kwok's simulated
// nodes, the chargeback of three tenants to the penny, the right-sizing of a namespace, and who may see what.
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
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/httpx"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

// Three simulated nodes (localcp.DefaultNodes): kwok-general-1 and kwok-general-2 (pool general, 4 CPU, 16Gi)
// and kwok-highmem-1 (pool highmem, 4 CPU, 32Gi).
func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.Options{Nodes: 3}) }

const (
	gi = 1 << 30
	mi = 1 << 20
)

// usage is what Prometheus says a replica uses: cores and bytes.
type usage struct {
	cpu    float64
	memory int64
}

// workload is a tenant's Deployment (or StatefulSet), created by one of the tenant's users in the tenant's
// namespace, pinned to a node pool, and what each of its replicas uses, in the order of the pods' names.
type workload struct {
	user, namespace, name string
	statefulSet           bool
	cpu, memory           string // requests (and limits) of each replica
	pool                  string
	replicas              []usage
}

// The workloads of the three tenants. acme: acme-dev (tier dev) and acme-prod (tier prod); globex: globex-web
// (staging); initech: initech-api (prod).
var workloads = []workload{
	{"alice", "acme-dev", "web", false, "500m", "1Gi", "general", []usage{{0.8, 512 * mi}, {0.2, 1536 * mi}}},
	{"alice", "acme-prod", "api", false, "1", "2Gi", "general", []usage{{0.25, gi}}},
	{"dave", "globex-web", "app", false, "2", "4Gi", "highmem", []usage{{2.5, 3 * gi}}},
	{"erin", "initech-api", "db", true, "250m", "512Mi", "highmem", []usage{{0.1, 256 * mi}}},
}

// running is a pod kube-scheduler bound and kwok made Running, and what it uses.
type running struct {
	namespace, name string
	usage
}

// TestCost_ChargebackOfThreeTenantsToThePennyWithPrometheus runs the path a user's pods take: the tenants'
// users create Deployments and a StatefulSet in the namespaces naas provisioned them, kube-scheduler binds the
// pods onto kwok's nodes of the pool each asks for, kwok makes them Running. Prometheus's TSDB is back-filled
// with three hours of usage for exactly those pods (named once they exist) before it starts, and naas runs with
// it and a cost clock the test moves: the collector reads nodes and pods through the API server and stores
// the hours as they end.
//
// Prices, in GBP: the default PriceBook (which prices the general pool) a core-hour £0.03, a GiB-hour £0.004;
// the highmem pool's own PriceBook a core-hour £0.04, a GiB-hour £0.003. The cost policy is the default: dev
// charged half (dev-discount), prod 1.2 times (prod-markup), idle left out (an __idle__ line). Per hour,
// max(request, usage) of each pod:
//
//	acme-dev    web (general)  1st  max(0.5, 0.8) = 0.8 core,   max(1, 0.5) = 1 GiB       0.024 + 0.004  = 0.028
//	                                (uses more CPU than requested, less memory)
//	                           2nd  max(0.5, 0.2) = 0.5 core,   max(1, 1.5) = 1.5 GiB     0.015 + 0.006  = 0.021
//	                                (less CPU, more memory)
//	acme-prod   api (general)       max(1, 0.25) = 1 core,      max(2, 1) = 2 GiB         0.030 + 0.008  = 0.038
//	                                (less of both)
//	globex-web  app (highmem)       max(2, 2.5) = 2.5 cores,    max(4, 3) = 4 GiB         0.100 + 0.012  = 0.112
//	                                (more CPU, less memory)
//	initech-api db-0 (highmem)      max(0.25, 0.1) = 0.25 core, max(0.5, 0.25) = 0.5 GiB  0.010 + 0.0015 = 0.0115
//	                                (less of both)
//
// Over the three hours, charged:
//
//	acme     (0.028 + 0.021) × 3 × 0.5 + 0.038 × 3 × 1.2 = 0.0735 + 0.1368 = £0.2103
//	globex   0.112 × 3                                   =                   £0.336
//	initech  0.0115 × 3 × 1.2                            =                   £0.0414
//	total                                                                    £0.5877, £0.59 to the penny
//
// (Priced by the default book, as if pools were ignored, globex would be £0.273 and initech £0.0342.)
//
// Idle: the general nodes cost 2 × (4 × 0.03 + 16 × 0.004) = £0.368 an hour, the highmem node 4 × 0.04 +
// 32 × 0.003 = £0.256; allocated are 2.3 cores and 4.5 GiB on general (0.069 + 0.018 = £0.087) and 2.75 cores
// and 4.5 GiB on highmem (0.11 + 0.0135 = £0.1235), so 0.624 - 0.2105 = £0.4135 an hour is idle: £1.2405 over
// the window.
func TestCost_ChargebackOfThreeTenantsToThePennyWithPrometheus(t *testing.T) {
	ctx := testenv.Context(t)
	// The window: three whole hours starting two hours from now, so that the pods run all of it.
	h0 := time.Now().UTC().Truncate(time.Hour).Add(2 * time.Hour)

	// naas provisions the tenants' namespaces and admits their workloads. It runs without Prometheus until the
	// pods exist: their usage is back-filled by name before Prometheus starts.
	provisioner := start(t, setup.CostOptions{})
	testenv.Tenant("acme").Admin("alice").Developer("bob").With(func(s *naasv1alpha1.TenantSpec) { s.CostCenter = "cc-retail" }).Create(t, env)
	testenv.Tenant("globex").Admin("carol").Developer("dave").With(func(s *naasv1alpha1.TenantSpec) { s.CostCenter = "cc-web" }).Create(t, env)
	testenv.Tenant("initech").Admin("erin").With(func(s *naasv1alpha1.TenantSpec) { s.CostCenter = "cc-retail" }).Create(t, env)
	for _, n := range []struct{ name, tenant, tier string }{
		{"acme-dev", "acme", "dev"}, {"acme-prod", "acme", "prod"}, {"globex-web", "globex", "staging"}, {"initech-api", "initech", "prod"},
	} {
		env.Provision(t, testenv.Claim(n.name, n.tenant).Template("standard").Tier(n.tier).Param("owner_email", "owner@example.com").Obj())
	}
	setPrices(t)
	var pods []running
	for _, w := range workloads {
		if err := env.UserClient(w.user).Create(ctx, w.object()); err != nil {
			t.Fatalf("%s creates %s/%s: %v", w.user, w.namespace, w.name, err)
		}
	}
	for _, w := range workloads {
		var got []corev1.Pod
		testenv.Eventually(t, 3*time.Minute, fmt.Sprintf("%s/%s Running on kwok's nodes", w.namespace, w.name), func() (err error) {
			got, err = testenv.RunningPods(ctx, env.Client, w.namespace, w.name, len(w.replicas))
			return err
		})
		slices.SortFunc(got, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
		for i, p := range got {
			node := &corev1.Node{}
			if err := env.Client.Get(ctx, client.ObjectKey{Name: p.Spec.NodeName}, node); err != nil {
				t.Fatal(err)
			}
			if pool := node.Labels[naasv1alpha1.NodePoolLabel]; pool != w.pool || !strings.HasPrefix(node.Name, "kwok-") {
				t.Fatalf("pod %s/%s on node %s of pool %q; want a kwok node of pool %s", p.Namespace, p.Name, node.Name, pool, w.pool)
			}
			pods = append(pods, running{p.Namespace, p.Name, w.replicas[i]})
		}
	}
	if !slices.ContainsFunc(pods, func(r running) bool { return r.name == "db-0" }) {
		t.Fatalf("pods %v; want initech's StatefulSet's db-0", pods)
	}
	provisioner.Stop()

	promURL := testenv.StartPrometheus(t, usageSeries(pods, h0.Add(-15*time.Minute), h0.Add(3*time.Hour+15*time.Minute)))
	// The cost clock: first five minutes into the window, so that the collector, which starts at the last complete
	// hour, stores the hour before it; then past the window, so that it fills the window's three hours after that
	// one (the test waits for each: nothing depends on how fast the collector runs).
	var now atomic.Int64
	now.Store(h0.Add(5 * time.Minute).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	p := start(t, setup.CostOptions{PrometheusURL: promURL, Now: clock, Interval: 200 * time.Millisecond}).url
	waitForLine(t, p, hourWindow(h0.Add(-time.Hour)), "acme")
	now.Store(h0.Add(3*time.Hour + 5*time.Minute).UnixNano())
	waitForLine(t, p, hourWindow(h0.Add(2*time.Hour)), "initech")
	w := "window=" + url.QueryEscape(h0.Format(time.RFC3339)+","+h0.Add(3*time.Hour).Format(time.RFC3339))

	t.Run("chargeback to the penny", func(t *testing.T) {
		var rep restv1.CostReport
		if err := getJSON(t, p, "platform-admin", "/analytics/costs?aggregate=tenant&"+w, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Currency != "GBP" || rep.UsageSource != restv1.UsageSourcePrometheus || rep.InProgress != nil {
			t.Errorf("currency %s, usage %s, in progress %v; want GBP, prometheus, none", rep.Currency, rep.UsageSource, rep.InProgress)
		}
		// __unallocated__ is the namespaces of no tenant (naas-system and the like): nothing runs there.
		want := map[string]string{"acme": "0.2103", "globex": "0.336", "initech": "0.0414", "__idle__": "1.2405", "__unallocated__": "0"}
		got := map[string]string{}
		var total money.Amount
		for _, l := range rep.Lines {
			got[l.Key] = exact(t, l.Charged)
			if !strings.HasPrefix(l.Key, "__") {
				total = total.Add(amount(t, l.Charged))
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("charged per tenant (-want +got):\n%s", diff)
		}
		if total.Decimal("GBP") != "0.59" || total.Exact() != "0.5877" {
			t.Errorf("the three tenants' total = £%s (%s); want £0.59 (0.5877)", total.Decimal("GBP"), total.Exact())
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
		if dev == nil || prod == nil || exact(t, dev.Charged) != "0.0735" || exact(t, prod.Charged) != "0.1368" ||
			len(dev.Rules) != 1 || dev.Rules[0].Name != "dev-discount" || len(prod.Rules) != 1 || prod.Rules[0].Name != "prod-markup" {
			t.Errorf("acme's namespaces = %+v; want acme-dev £0.0735 (dev-discount) and acme-prod £0.1368 (prod-markup)", ns.Lines)
		}
		// The highmem pool's book priced the pods on its node, resource by resource.
		var all restv1.CostReport
		if err := getJSON(t, p, "platform-admin", "/analytics/costs?aggregate=namespace&"+w, &all); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ namespace, cpu, memory string }{
			{"globex-web", "0.3", "0.036"},    // 2.5 cores × £0.04 × 3, 4 GiB × £0.003 × 3
			{"initech-api", "0.03", "0.0045"}, // 0.25 core × £0.04 × 3, 0.5 GiB × £0.003 × 3
			{"acme-prod", "0.09", "0.024"},    // 1 core × £0.03 × 3, 2 GiB × £0.004 × 3 (the default book)
		} {
			l := line(all, c.namespace)
			if l == nil || exact(t, l.Cost.CPU) != c.cpu || exact(t, l.Cost.Memory) != c.memory {
				t.Errorf("%s's cost = %+v; want CPU £%s and memory £%s", c.namespace, l, c.cpu, c.memory)
			}
		}
		// Hourly series, one call: three points per line.
		var hourly restv1.CostReport
		if err := getJSON(t, p, "alice", "/analytics/costs?aggregate=namespace&step=hour&"+w, &hourly); err != nil {
			t.Fatal(err)
		}
		if hourly.Step != "hour" || len(hourly.Totals.Series) != 3 || exact(t, hourly.Totals.Series[0].Cost) != "0.0701" {
			t.Errorf("alice's hourly series: step %q, %+v; want hour, 3 points of £0.0701", hourly.Step, hourly.Totals.Series)
		}
		// A one-hour window's series has one point, and is still hourly.
		var one restv1.CostReport
		if err := getJSON(t, p, "alice", "/analytics/costs?step=hour&"+hourWindow(h0.Add(2*time.Hour)), &one); err != nil {
			t.Fatal(err)
		}
		if one.Step != "hour" || len(one.Totals.Series) != 1 {
			t.Errorf("one hour's series: step %q, %+v; want hour, one point", one.Step, one.Totals.Series)
		}
	})

	t.Run("filters, breakdown per point, CSV name", func(t *testing.T) { filters(t, p, w, h0) })

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

// filters: namespace= and costcenter= narrow a report; each point of a series has its breakdown; the CSV is
// named after the tenant, aggregate and window.
func filters(t *testing.T, p, w string, h0 time.Time) {
	charged := func(rep restv1.CostReport) map[string]string {
		m := map[string]string{}
		for _, l := range rep.Lines {
			m[l.Key] = l.Charged
		}
		return m
	}
	for _, tt := range []struct {
		user, query string
		want        map[string]string
	}{
		{"platform-admin", "aggregate=namespace&namespace=acme-dev,globex-web", map[string]string{"acme-dev": "0.0735", "globex-web": "0.336"}},
		{"platform-admin", "aggregate=namespace&namespace=acme-dev&namespace=initech-api", map[string]string{"acme-dev": "0.0735", "initech-api": "0.0414"}},
		{"platform-admin", "aggregate=tenant&costcenter=cc-retail", map[string]string{"acme": "0.2103", "initech": "0.0414"}},
		{"platform-admin", "aggregate=costcenter&costcenter=cc-retail,cc-web", map[string]string{"cc-retail": "0.2517", "cc-web": "0.336"}},
		{"alice", "aggregate=namespace&namespace=acme-prod", map[string]string{"acme-prod": "0.1368"}},
		{"alice", "aggregate=tenant&costcenter=cc-retail", map[string]string{"acme": "0.2103"}}, // not initech's
		{"alice", "aggregate=namespace&costcenter=cc-web", map[string]string{}},
	} {
		var rep restv1.CostReport
		if err := getJSON(t, p, tt.user, "/analytics/costs?"+tt.query+"&"+w, &rep); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, charged(rep)); diff != "" {
			t.Errorf("%s: %s (-want +got):\n%s", tt.user, tt.query, diff)
		}
	}

	// acme-dev's hours, each: CPU 0.8 + 0.5 cores (£0.039), memory 1 + 1.5 GiB (£0.01), charged half.
	var hourly restv1.CostReport
	if err := getJSON(t, p, "bob", "/analytics/costs?aggregate=namespace&step=hour&namespace=acme-dev&"+w, &hourly); err != nil {
		t.Fatal(err)
	}
	l := line(hourly, "acme-dev")
	if l == nil || len(l.Series) != 3 || len(hourly.Lines) != 1 {
		t.Fatalf("acme-dev's hourly series = %+v; want one line of 3 points", hourly.Lines)
	}
	for i, pt := range l.Series {
		want := restv1.CostPoint{Start: h0.Add(time.Duration(i) * time.Hour), Cost: "0.0245", Breakdown: restv1.CostBreakdown{
			CPU: "0.039", Memory: "0.01", GPU: "0", Storage: "0", LoadBalancer: "0", Idle: "0", Shared: "0", Total: "0.049",
		}}
		if diff := cmp.Diff(want, pt); diff != "" {
			t.Errorf("acme-dev's point %d (-want +got):\n%s", i, diff)
		}
	}

	raw := get(t, p, "alice", "/analytics/costs?tenant=acme&aggregate=label:team&format=csv&"+w)
	name := fmt.Sprintf(`attachment; filename="naas-costs_acme_label-team_%s_%s.csv"`, h0.Format("2006-01-02T15Z"), h0.Add(3*time.Hour).Format("2006-01-02T15Z"))
	if raw.Status != http.StatusOK || raw.Header.Get("Content-Disposition") != name {
		t.Errorf("CSV: %d, Content-Disposition %q; want 200, %s", raw.Status, raw.Header.Get("Content-Disposition"), name)
	}
	if got := get(t, p, "platform-admin", "/analytics/costs?format=csv&window=lastmonth").Header.Get("Content-Disposition"); !strings.HasPrefix(got, `attachment; filename="naas-costs_all_namespace_`) || strings.Contains(got, "T") {
		t.Errorf("last month's CSV is named %q; want naas-costs_all_namespace_<first day>_<first day of this month>.csv", got)
	}

	for _, bad := range []string{"namespace=Acme_Dev", "namespace=", "namespace=a,,b", "costcenter=" + strings.Repeat("c", 65)} {
		if pr := expectProblem(t, p, "alice", "/analytics/costs?"+bad, http.StatusBadRequest); len(pr.Errors) == 0 {
			t.Errorf("%s: problem %+v names no field", bad, pr)
		}
	}
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
					want = "0.336" // globex's own, nothing more
				}
				if exact(t, rep.Totals.Charged) != want || strings.Contains(fmt.Sprint(rep.Lines, rep.Namespaces, rep.Tenants), "acme") {
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
			wantTotal := "0.34"
			if who == "mallory" {
				wantTotal = "0.00"
			}
			if last := rows[len(rows)-1]; last[3] != "total" || last[15] != wantTotal {
				t.Errorf("%s's CSV total = %q; want charged %s", who, last, wantTotal)
			}
			// Filters narrow what a caller sees, never widen it: naming acme's namespaces or cost center shows nothing.
			for _, f := range []string{
				"aggregate=namespace&namespace=acme-dev,acme-prod", "aggregate=tenant&costcenter=cc-retail",
				"aggregate=costcenter&costcenter=cc-retail", "aggregate=namespace&namespace=acme-dev&costcenter=cc-retail&step=hour",
			} {
				var rep restv1.CostReport
				if err := getJSON(t, p, who, "/analytics/costs?"+f+"&"+w, &rep); err != nil {
					t.Fatal(err)
				}
				if rep.Totals.Charged != "0" || len(rep.Lines) != 0 || strings.Contains(string(get(t, p, who, "/analytics/costs?format=csv&"+f+"&"+w).Body), "acme") {
					t.Errorf("%s with %s: total %s, lines %+v; want nothing", who, f, rep.Totals.Charged, rep.Lines)
				}
			}
			expectProblem(t, p, who, "/analytics/costs?tenant=acme&namespace=acme-dev&"+w, http.StatusForbidden)
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
	p := start(t, setup.CostOptions{}).url
	testenv.Tenant("hooli").Admin("alice").Create(t, env)
	env.Provision(t, testenv.Claim("hooli-dev", "hooli").Template("standard").Tier("dev").Param("owner_email", "owner@example.com").Obj())
	pr := expectProblem(t, p, "alice", "/namespaces/hooli-dev/recommendations", http.StatusConflict)
	if pr.Type != restv1.ProblemUsageUnavailable || !strings.Contains(pr.Detail, "--prometheus-url") {
		t.Errorf("problem = %+v; want type usage-unavailable naming --prometheus-url", pr)
	}
	expectProblem(t, p, "mallory", "/namespaces/hooli-dev/recommendations", http.StatusNotFound)
}

// instance is naas running for one test: the base URL of its REST API, and Stop (which the test's cleanup calls
// too).
type instance struct {
	url string
	*testenv.Platform
}

// start runs naas with cost options o, its API on the environment's token users and a SQLite audit store.
func start(t *testing.T, o setup.CostOptions) instance {
	t.Helper()
	p, stop, err := env.StartPlatform(func(opts *setup.Options) {
		opts.API = setup.APIOptions{TokenFile: env.APITokenFile(), AuditDB: filepath.Join(t.TempDir(), "audit.db"), Cost: o}
	})
	if err != nil {
		t.Fatalf("start naas: %v", err)
	}
	running := testenv.NewPlatform(p, stop)
	t.Cleanup(running.Stop)
	return instance{url: "http://" + p.Addr() + restv1.Prefix, Platform: running}
}

// setPrices makes the seeded default PriceBook GBP (a core-hour £0.03, a GiB-hour £0.004) and prices the highmem
// node pool apart (a core-hour £0.04, a GiB-hour £0.003).
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
	highmem := &naasv1alpha1.PriceBook{
		ObjectMeta: metav1.ObjectMeta{Name: "highmem"},
		Spec:       naasv1alpha1.PriceBookSpec{NodePool: "highmem", Currency: "GBP", CPUCoreHour: "0.04", MemoryGiBHour: "0.003"},
	}
	env.Create(t, highmem)
	t.Cleanup(func() { _ = env.Client.Delete(ctx, highmem) })
}

// object is the workload as its user creates it: RestrictedDeployment's pods with the workload's requests (and
// limits), on its node pool; a StatefulSet of the same pods when w.statefulSet.
func (w workload) object() client.Object {
	d := testenv.RestrictedDeployment(w.namespace, w.name, int32(len(w.replicas)), w.cpu)
	pod := &d.Spec.Template.Spec
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(w.cpu), corev1.ResourceMemory: resource.MustParse(w.memory)}
	pod.Containers[0].Resources = corev1.ResourceRequirements{Requests: res, Limits: res.DeepCopy()}
	pod.NodeSelector = map[string]string{naasv1alpha1.NodePoolLabel: w.pool}
	if !w.statefulSet {
		return d
	}
	return &appsv1.StatefulSet{
		ObjectMeta: d.ObjectMeta,
		Spec:       appsv1.StatefulSetSpec{Replicas: d.Spec.Replicas, Selector: d.Spec.Selector, Template: d.Spec.Template},
	}
}

// usageSeries is every pod's usage from start to end, a sample a minute: a CPU counter growing at its cores, a
// constant working set.
func usageSeries(pods []running, start, end time.Time) string {
	cpu := map[string][]testenv.OpenMetricsSample{}
	memory := map[string][]testenv.OpenMetricsSample{}
	for _, r := range pods {
		labels := fmt.Sprintf(`namespace=%q,pod=%q,container="app"`, r.namespace, r.name)
		for at := start; !at.After(end); at = at.Add(time.Minute) {
			cpu[labels] = append(cpu[labels], testenv.OpenMetricsSample{At: at, Value: r.cpu * at.Sub(start).Seconds()})
			memory[labels] = append(memory[labels], testenv.OpenMetricsSample{At: at, Value: float64(r.memory)})
		}
	}
	return testenv.OpenMetricsFamily("container_cpu_usage_seconds", "counter", cpu) +
		testenv.OpenMetricsFamily("container_memory_working_set_bytes", "gauge", memory) + "# EOF\n"
}

// hourWindow is the window= parameter of the hour starting at h.
func hourWindow(h time.Time) string {
	return "window=" + url.QueryEscape(h.Format(time.RFC3339)+","+h.Add(time.Hour).Format(time.RFC3339))
}

// waitForLine waits until the collector has stored the hour of window, which has a line for tenant then.
func waitForLine(t *testing.T, base, window, tenant string) {
	t.Helper()
	testenv.Eventually(t, 2*time.Minute, "the hour "+window+" stored", func() error {
		var rep restv1.CostReport
		if err := getJSON(t, base, "platform-admin", "/analytics/costs?aggregate=tenant&"+window, &rep); err != nil {
			return err
		}
		if line(rep, tenant) == nil {
			return fmt.Errorf("no %s line yet: %+v", tenant, rep.Lines)
		}
		return nil
	})
}

// amount parses an amount of a report.
func amount(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.ParseExact(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return a
}

// exact is an amount of a report without trailing zeros, as the hand computation writes it.
func exact(t *testing.T, s string) string { t.Helper(); return amount(t, s).Exact() }

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
