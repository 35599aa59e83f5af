package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/testenv"
)

// The cost pages' test seeds naas up's audit database with known hourly cost rows for the three whole UTC days
// before today (tenant shop: shop-web £0.15 an hour, shop-db £0.02; tenant other: other-app £1.00; all tier dev),
// reports in GBP, and checks in headless Chromium that the pages draw exactly those figures over a custom window of
// those three days, that the CSV link downloads the API's CSV, and that outsiders (another tenant's admin and
// developer, a user in no tenant) get nothing of shop's through the pages or the download link. It saves
// cost-tenant.png, cost-namespace.png and recommendations.png.
//
// Why the figures cannot move: the rows are written with the store's ReplaceCostHour for cluster.Local, the
// cluster naas up collects, which also marks each hour computed (cost_hours). The collector fills only hours
// missing from cost_hours, from the first one stored on, so it never recomputes the seeded hours; what it does
// compute (today's hours, and the hour in progress) lies outside the window the test asks for.

// seedCostRows writes the known rows into the SQLite audit database naas up will open.
func seedCostRows(t *testing.T, dataDir string, days []time.Time) {
	t.Helper()
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	store, err := audit.OpenSQLite(filepath.Join(dataDir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const pence = 10_000_000 // nano-units in a penny
	row := func(ns, tenant, cc string, cpu, memory int64) audit.CostRow {
		return audit.CostRow{Namespace: ns, Tenant: tenant, CostCenter: cc, Template: "standard", Tier: "dev", Currency: "GBP",
			Amounts: audit.CostAmounts{CPU: cpu * pence, Memory: memory * pence}}
	}
	for _, day := range days {
		for h := range 24 {
			if err := store.ReplaceCostHour(context.Background(), audit.CostHour{
				Cluster: cluster.Local, Hour: day.Add(time.Duration(h) * time.Hour), UsageSource: audit.UsageSourceRequests,
				Rows: []audit.CostRow{
					row("shop-web", "shop", "CC-42", 10, 5),
					row("shop-db", "shop", "CC-42", 2, 0),
					row("other-app", "other", "CC-9", 100, 0),
				},
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// reportInGBP makes naas up report in GBP, as the seeded rows are: the cost policy's currency, the default
// price book's rate to it for the hours naas computes itself, and tier dev's budget. It waits until the API
// reports in GBP.
func reportInGBP(t *testing.T, c client.Client, addr, token string) {
	t.Helper()
	ctx := context.Background()
	for _, o := range []struct {
		obj         client.Object
		name, patch string
	}{
		{&naasv1alpha1.PriceBook{}, "", `{"spec":{"exchangeRates":[{"currency":"GBP","rate":"0.79","date":"2026-01-02"}]}}`},
		{&naasv1alpha1.CostPolicy{}, "", `{"spec":{"currency":"GBP"}}`},
		// The budget of tier dev in pounds too, so that the pages show one currency.
		{&naasv1alpha1.Tier{}, "dev", `{"spec":{"monthlyBudget":{"amount":"20","currency":"GBP"}}}`},
	} {
		o.obj.SetName(cmp.Or(o.name, "default"))
		testenv.Eventually(t, 90*time.Second, "the default "+fmt.Sprintf("%T", o.obj)+" patched", func() error {
			return c.Patch(ctx, o.obj, client.RawPatch(types.MergePatchType, []byte(o.patch)))
		})
	}
	testenv.Eventually(t, 60*time.Second, "the API's cost report in GBP", func() error {
		status, body, err := apiCall(ctx, addr, token, http.MethodGet, "/api/v1/analytics/costs?window=yesterday", nil)
		if err != nil {
			return err
		}
		var rep struct{ Currency string }
		if err := json.Unmarshal(body, &rep); err != nil || status != http.StatusOK || rep.Currency != "GBP" {
			return fmt.Errorf("%d %s", status, body)
		}
		return nil
	})
}

// webUsage is the usage of Deployment web's pod in shop-web over the day before now, a sample a minute: 0.31 of
// a core (a CPU counter growing at that rate) and a working set of 300Mi.
func webUsage(now time.Time) string {
	const labels = `namespace="shop-web",pod="web-5d4f8c7b9-abcde",container="web"`
	var cpu, memory []testenv.OpenMetricsSample
	start := now.Add(-24 * time.Hour).Truncate(time.Minute)
	for at := start; at.Before(now); at = at.Add(time.Minute) {
		cpu = append(cpu, testenv.OpenMetricsSample{At: at, Value: 0.31 * at.Sub(start).Seconds()})
		memory = append(memory, testenv.OpenMetricsSample{At: at, Value: 300 << 20})
	}
	return testenv.OpenMetricsFamily("container_cpu_usage_seconds", "counter", map[string][]testenv.OpenMetricsSample{labels: cpu}) +
		testenv.OpenMetricsFamily("container_memory_working_set_bytes", "gauge", map[string][]testenv.OpenMetricsSample{labels: memory}) + "# EOF\n"
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestPortal_CostPagesDrawKnownRowsAndKeepThemFromOutsiders(t *testing.T) {
	alice, carol, erin, dave := newPortalUser("alice"), newPortalUser("carol"), newPortalUser("erin"), newPortalUser("dave")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "users.csv")
	var lines []string
	for _, u := range []portalUser{alice, carol, erin, dave} {
		lines = append(lines, fmt.Sprintf("%s,%s,%s", u.token, u.name, u.name))
	}
	if err := os.WriteFile(tokenFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	days := []time.Time{today.AddDate(0, 0, -3), today.AddDate(0, 0, -2), today.AddDate(0, 0, -1)}
	dataDir := filepath.Join(dir, "data")
	seedCostRows(t, dataDir, days)

	promURL := testenv.StartPrometheus(t, webUsage(time.Now().UTC()))

	b := startBrowser(t)
	p := startUp(t, dataDir, "--token-file", tokenFile, "--prometheus-url", promURL)
	defer p.stop(t)
	b.base = "http://" + p.addr
	c := p.client(t)
	ctx := context.Background()
	for _, o := range []client.Object{
		&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop"}, Spec: naasv1alpha1.TenantSpec{
			DisplayName: "Shop team", CostCenter: "CC-42",
			MonthlyBudget: &naasv1alpha1.Budget{Amount: resource.MustParse("50"), Currency: "GBP", Thresholds: []int32{50, 80, 100}, Hard: true},
			Owners:        []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin}},
		}},
		&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Spec: naasv1alpha1.TenantSpec{
			CostCenter: "CC-9",
			Owners: []naasv1alpha1.Owner{
				{Kind: naasv1alpha1.SubjectUser, Name: "carol", Role: naasv1alpha1.RoleAdmin},
				{Kind: naasv1alpha1.SubjectUser, Name: "erin", Role: naasv1alpha1.RoleDeveloper},
			},
		}},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for name, tenant := range map[string]string{"shop-web": "shop", "shop-db": "shop", "other-app": "other"} {
		claim := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: "standard"}}
		if err := c.Create(ctx, claim); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 90*time.Second, "the namespaces", func() error {
		for _, name := range []string{"shop-web", "shop-db", "other-app"} {
			if err := c.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{}); err != nil {
				return err
			}
		}
		return nil
	})

	// The workload right-sizing sizes: Deployment web (paused: Prometheus's series stand for its pod).
	web := restrictedPod("web")
	requests := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	web.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: requests, Limits: requests.DeepCopy()}
	if err := c.Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop-web", Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1), Paused: true, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: web.Spec},
		},
	}); err != nil {
		t.Fatal(err)
	}
	reportInGBP(t, c, p.addr, alice.token)

	// A custom window of the three seeded days: the chart has one bar a day.
	window := fmt.Sprintf("?window=custom&from=%s&to=%s", days[0].Format(time.DateOnly), days[2].Format(time.DateOnly))
	chartBars := func() []string {
		return evalJS[[]string](t, b, `Array.from(document.querySelectorAll("svg.stacked g.bar"), g => g.dataset.bucket + " " + g.dataset.total)`)
	}
	wantBars := func(total string) []string {
		var out []string
		for _, d := range days {
			out = append(out, d.Format("Jan 2")+" "+total)
		}
		return out
	}
	t.Run("tenant page draws the seeded days and the chargeback, and the CSV downloads", func(t *testing.T) {
		b.signIn(t, alice.token)
		b.open(t, "/tenants/shop/costs"+window)
		// Each day: (15p + 2p) × 24 hours = £4.08, allocated cost before the rules.
		if got, want := strings.Join(chartBars(), "|"), strings.Join(wantBars("4.08"), "|"); got != want {
			t.Errorf("bars %s, want %s", got, want)
		}
		if n := evalJS[int](t, b, `document.querySelectorAll('svg.stacked rect[data-series="cpu"]').length`); n != 3 {
			t.Errorf("%d CPU segments, want one per seeded day", n)
		}
		// The default cost policy's dev-discount halves what tier dev is charged: 3 × £4.08 / 2.
		if got := b.text(t, "#charged"); got != "£6.12" {
			t.Errorf("tenant charged %q, want £6.12", got)
		}
		rows := evalJS[[]string](t, b, `Array.from(document.querySelectorAll("table.chargeback tbody tr"), tr => tr.innerText.replace(/\s+/g, " "))`)
		for _, want := range [][]string{
			{"shop-web", "£7.20", "£3.60", "£10.80", "dev-discount (discount 0.5): -£5.40", "£5.40"}, // 10p + 5p × 72h
			{"shop-db", "£1.44", "dev-discount (discount 0.5): -£0.72", "£0.72"},                     // 2p × 72h
		} {
			if !slices.ContainsFunc(rows, func(r string) bool { return containsAll(r, want) }) {
				t.Errorf("no chargeback line has %q:\n%s", want, strings.Join(rows, "\n"))
			}
		}
		if strings.Contains(b.text(t, "main"), "other-app") {
			t.Errorf("alice's tenant page names another tenant's namespace")
		}
		if n := evalJS[int](t, b, `document.querySelectorAll("svg.budget.hard line.budget-limit").length`); n != 1 {
			t.Errorf("the tenant's hard budget bar is missing")
		}
		b.checkPage(t, "cost-tenant")

		downloads := b.allowDownloads(t)
		b.do(t, chromedp.Click(chromedp.ID("csv")))
		var csv string
		testenv.Eventually(t, 30*time.Second, "the CSV download", func() error {
			files, err := filepath.Glob(filepath.Join(downloads, "*.csv"))
			if err != nil {
				return err
			}
			if len(files) != 1 {
				return fmt.Errorf("downloaded %v, want one CSV", files)
			}
			data, err := os.ReadFile(files[0])
			if err != nil {
				return err
			}
			if csv = string(data); !strings.Contains(csv, "shop-web") {
				return errors.New("incomplete")
			}
			return nil
		})
		if !slices.ContainsFunc(strings.Split(csv, "\n"), func(l string) bool {
			return containsAll(l, []string{",shop-web,1,GBP,7.20,3.60,", ",10.80,dev-discount:discount:0.5:-5.40,5.40,"})
		}) {
			t.Errorf("the CSV lacks shop-web's line with its figures:\n%s", csv)
		}
		if strings.Contains(csv, "other-app") {
			t.Errorf("alice's CSV has another tenant's namespace:\n%s", csv)
		}
	})

	t.Run("namespace and tenant pages show right-sizing from Prometheus, explained", func(t *testing.T) {
		b.open(t, "/namespaces/shop-web/costs"+window)
		if got, want := strings.Join(chartBars(), "|"), strings.Join(wantBars("3.60"), "|"); got != want { // 15p × 24
			t.Errorf("bars %s, want %s", got, want)
		}
		rows := evalJS[[]string](t, b, `Array.from(document.querySelectorAll("table.chargeback tbody tr"), tr => tr.dataset.key)`)
		if !slices.Equal(rows, []string{"shop-web"}) {
			t.Errorf("chargeback lines %v, want shop-web's alone", rows)
		}
		// Right-sizing from Prometheus: 0.31 of a core × 1.2 = 0.372, rounded up to 50m; 300Mi × 1.2 = 360Mi,
		// rounded up to 64Mi. Savings at the default PriceBook's USD prices, at 0.79 to the pound, 730 hours a
		// month: 0.6 core × $0.031611 × 0.79 × 730 = £10.94; 640Mi (0.625 GiB) × $0.004237 × 0.79 × 730 = £1.53.
		rs := b.text(t, "section[aria-labelledby=rightsizing]")
		for _, want := range []string{
			"CPU request 1 core, p95 usage 0.31 over 7 days: recommend 0.4; saves £10.94/month",
			"Memory request 1Gi, p95 usage 300Mi over 7 days: recommend 384Mi; saves £1.53/month",
			"Together they save £12.47 a month",
		} {
			if !strings.Contains(rs, want) {
				t.Errorf("the namespace page's right-sizing lacks %q:\n%s", want, rs)
			}
		}
		b.checkPage(t, "cost-namespace")
		b.open(t, "/tenants/shop/recommendations")
		if n := evalJS[int](t, b, `document.querySelectorAll('table.recommendations[data-namespace="shop-web"] tr.explanation').length`); n != 2 {
			t.Errorf("the tenant's right-sizing page has %d explained lines for shop-web, want 2 (CPU, memory):\n%s", n, b.text(t, "main"))
		}
		// shop-db has no workload: nothing to size, and the page says so.
		if got := b.text(t, "section[aria-labelledby=recs-shop-db]"); !strings.Contains(got, "Nothing to change in shop-db") {
			t.Errorf("shop-db's right-sizing says %q", got)
		}
		b.checkPage(t, "recommendations")
	})

	t.Run("outsiders get nothing of shop's through pages or downloads", func(t *testing.T) {
		for _, u := range []portalUser{carol, erin, dave} {
			b.do(t, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
			b.waitPath(t, "/signin?reason=signedout")
			b.signIn(t, u.token)
			for _, path := range []string{"/tenants/shop/costs", "/namespaces/shop-web/costs", "/tenants/shop/recommendations", "/costcenters/CC-42/costs"} {
				if status := b.open(t, path); status != http.StatusForbidden {
					t.Errorf("%s opens %s: %d, want 403", u.name, path, status)
				}
				if body := b.text(t, "main"); strings.Contains(body, "£") {
					t.Errorf("%s sees figures at %s:\n%s", u.name, path, body)
				}
			}
			// The download link of shop's CSV, with the outsider's session cookie.
			got := evalJS[string](t, b, `fetch("/api/v1/analytics/costs?aggregate=namespace&format=csv&tenant=shop&window=7d").then(async r => r.status + " " + await r.text())`)
			if strings.Contains(got, "shop-web") || strings.Contains(got, "shop-db") {
				t.Errorf("%s downloads shop's CSV: %s", u.name, got)
			}
		}
	})
}
