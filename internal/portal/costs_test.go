package portal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/httpx"
)

// The cost pages' tests use a stand-in for the API's cost routes that answers each user what the API would: the
// portal must show what it is given, ask for the right figures, and make the few decisions of its own (who sees
// a cost center, whose budget bars come from the cache). The API's own authorization is tested against the real
// control plane in test/e2e.

var costUsers = tokens{
	"alice-token":   {Name: "alice"},   // developer of tenant shop (cost center CC-42)
	"mallory-token": {Name: "mallory"}, // admin of tenant other (cost center CC-9)
	"nobody-token":  {Name: "nobody"},  // in no tenant
	"root-token":    {Name: "root", Groups: []string{"naas:platform-admins"}},
}

// costWorld is the stand-in API's data: tenants, their namespaces, and a cost per namespace and day.
type costWorld struct {
	mu      sync.Mutex
	queries []url.Values // of GET /analytics/costs, in order
	// rightSizing, when set, is the problem GET /namespaces/{namespace}/recommendations answers.
	rightSizing *httpx.Problem
}

var (
	may1 = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// The report's window: May 1 to May 4, three daily bars.
	fixtureWindow = restv1.CostWindow{Name: "month", Start: may1, End: may1.AddDate(0, 0, 3)}
	// cpuOf is each namespace's CPU cost (micro-units, as the API writes them) on each day of the window; memory is half of it.
	cpuOf = map[string][]int64{"shop-web": {2_000_000, 4_000_000, 1_000_000}, "shop-db": {1_000_000, 1_000_000, 0}, "other-app": {9_000_000, 9_000_000, 9_000_000}}
)

var tenantOfNS = map[string]string{"shop-web": "shop", "shop-db": "shop", "other-app": "other"}
var costCenterOf = map[string]string{"shop": "CC-42", "other": "CC-9"}

// tenantsOf are the tenants a user may see.
func tenantsOf(user authn.User) []string {
	switch {
	case slices.Contains(user.Groups, "naas:platform-admins"):
		return []string{"other", "shop"}
	case user.Name == "alice":
		return []string{"shop"}
	case user.Name == "mallory":
		return []string{"other"}
	}
	return nil
}

// formatMicros writes micro-units as the API writes amounts, to nine decimal places: "12.345678000".
func formatMicros(v int64) string { return fmt.Sprintf("%d.%06d000", v/1_000_000, v%1_000_000) }

func (w *costWorld) api(a authn.Authenticator, s *Sessions) http.Handler {
	mux := http.NewServeMux()
	user := func(r *http.Request) authn.User { u, _ := authn.UserFrom(r.Context()); return *u }
	visible := func(r *http.Request, tenant string) bool { return slices.Contains(tenantsOf(user(r)), tenant) }
	write := func(rw http.ResponseWriter, v any) { _ = json.NewEncoder(rw).Encode(v) }
	notFound := func(rw http.ResponseWriter) {
		rw.WriteHeader(http.StatusNotFound)
		write(rw, map[string]any{"status": 404, "title": "Not Found", "detail": "not found"})
	}
	mux.HandleFunc("GET /api/v1/me", func(rw http.ResponseWriter, r *http.Request) {
		u := user(r)
		me := restv1.Me{Username: u.Name, PlatformAdmin: slices.Contains(u.Groups, "naas:platform-admins"), Tenants: []restv1.TenantMembership{}}
		if !me.PlatformAdmin {
			for _, t := range tenantsOf(u) {
				me.Tenants = append(me.Tenants, restv1.TenantMembership{Tenant: t, Role: "developer"})
			}
		}
		write(rw, me)
	})
	tenant := func(name string) restv1.Tenant {
		return restv1.Tenant{TenantInput: restv1.TenantInput{Name: name, CostCenter: costCenterOf[name]}, YourRole: "developer"}
	}
	mux.HandleFunc("GET /api/v1/tenants", func(rw http.ResponseWriter, r *http.Request) {
		list := restv1.TenantList{Items: []restv1.Tenant{}}
		for _, t := range tenantsOf(user(r)) {
			list.Items = append(list.Items, tenant(t))
		}
		write(rw, list)
	})
	mux.HandleFunc("GET /api/v1/tenants/{tenant}", func(rw http.ResponseWriter, r *http.Request) {
		if !visible(r, r.PathValue("tenant")) {
			notFound(rw)
			return
		}
		write(rw, tenant(r.PathValue("tenant")))
	})
	mux.HandleFunc("GET /api/v1/namespaces/{namespace}/status", func(rw http.ResponseWriter, r *http.Request) {
		ns := r.PathValue("namespace")
		if !visible(r, tenantOfNS[ns]) {
			notFound(rw)
			return
		}
		write(rw, restv1.Namespace{Name: ns, Tenant: tenantOfNS[ns], Template: "standard", Tier: "dev", Phase: "Ready", Ready: true})
	})
	mux.HandleFunc("GET /api/v1/namespaces", func(rw http.ResponseWriter, r *http.Request) {
		list := restv1.NamespaceList{Items: []restv1.Namespace{}}
		for _, ns := range []string{"shop-db", "shop-web", "other-app"} {
			if t := tenantOfNS[ns]; visible(r, t) && t == r.URL.Query().Get("tenant") {
				list.Items = append(list.Items, restv1.Namespace{Name: ns, Tenant: t})
			}
		}
		write(rw, list)
	})
	mux.HandleFunc("GET /api/v1/namespaces/{namespace}/recommendations", func(rw http.ResponseWriter, r *http.Request) {
		ns := r.PathValue("namespace")
		if !visible(r, tenantOfNS[ns]) {
			notFound(rw)
			return
		}
		if p := w.rightSizing; p != nil {
			rw.WriteHeader(p.Status)
			write(rw, p)
			return
		}
		l := restv1.RecommendationList{Namespace: ns, Window: restv1.CostWindow{Name: "7d", Start: may1, End: may1.AddDate(0, 0, 7)},
			Currency: "GBP", UsageSource: "prometheus", PriceBook: "default", Tier: "dev", MonthlySaving: "0.000000000", Items: []restv1.Recommendation{}}
		if ns == "shop-web" {
			l.RecommendedTier, l.MonthlySaving = "small", "41.200000000"
			l.Requests, l.Recommended = restv1.ResourceTotals{CPU: "2", Memory: "1Gi"}, restv1.ResourceTotals{CPU: "500m", Memory: "1Gi"}
			l.Items = append(l.Items, restv1.Recommendation{
				Workload: "Deployment/web", Container: "web", Resource: "cpu", Request: "2", P95: "310m", Recommended: "500m", MonthlySaving: "41.200000000",
				Explanation: "CPU request 2 cores, p95 usage 0.31 over 7 days: recommend 0.5; saves £41.20/month",
			})
		}
		write(rw, l)
	})
	mux.HandleFunc("GET /api/v1/analytics/costs", func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.mu.Lock()
		w.queries = append(w.queries, q)
		w.mu.Unlock()
		write(rw, w.report(user(r), q))
	})
	return authn.MiddlewareWithOptions(a, s.AuthOptions(), mux)
}

// report answers a cost query: the fixture window, or one day of it given as start,end.
func (w *costWorld) report(u authn.User, q url.Values) restv1.CostReport {
	win := fixtureWindow
	if start, end, ok := strings.Cut(q.Get("window"), ","); ok {
		s, _ := time.Parse(time.RFC3339, start)
		e, _ := time.Parse(time.RFC3339, end)
		win = restv1.CostWindow{Name: q.Get("window"), Start: s, End: e}
	}
	rep := restv1.CostReport{Window: win, Aggregate: q.Get("aggregate"), Currency: "GBP", UsageSource: "requests", Lines: []restv1.CostLine{}}
	sums := map[string]int64{}
	var keys []string
	for _, ns := range []string{"shop-web", "shop-db", "other-app"} {
		t := tenantOfNS[ns]
		if !slices.Contains(tenantsOf(u), t) || (q.Get("tenant") != "" && q.Get("tenant") != t) {
			continue
		}
		var cpu int64
		for d, v := range cpuOf[ns] {
			day := may1.AddDate(0, 0, d)
			if !day.Before(win.Start) && day.Before(win.End) {
				cpu += v
			}
		}
		key := map[string]string{"namespace": ns, "tenant": t, "costcenter": costCenterOf[t]}[q.Get("aggregate")]
		if _, ok := sums[key]; !ok {
			keys = append(keys, key)
		}
		sums[key] += cpu
	}
	for _, k := range keys {
		cpu := sums[k]
		l := restv1.CostLine{Key: k, Namespaces: 1, UsageSource: restv1.UsageSourceRequests, Rules: []restv1.AppliedRule{},
			Cost: restv1.CostBreakdown{CPU: formatMicros(cpu), Memory: formatMicros(cpu / 2), Total: formatMicros(cpu + cpu/2)}, Charged: formatMicros(cpu + cpu/2)}
		if t, ok := tenantOfNS[k]; ok {
			l.Tenant, l.CostCenter, l.Tier = t, costCenterOf[t], "dev"
			if k == "shop-web" {
				l.Rules = append(l.Rules, restv1.AppliedRule{Name: "dev", Kind: "discount", Factor: "0.5", Change: "-" + formatMicros((cpu+cpu/2)/2)})
				l.Charged = formatMicros((cpu + cpu/2) / 2)
			}
		} else if cc, ok := costCenterOf[k]; ok {
			l.CostCenter = cc
		}
		rep.Lines = append(rep.Lines, l)
	}
	return rep
}

func (w *costWorld) costQueries() []url.Values {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.queries)
}

// budget cache: tenant shop has a hard budget with status; its namespaces' tier dev a soft one; cost center CC-42
// a budget in the cost policy.
func costCache(t *testing.T) client.Reader {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := naasv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	budget := func(amount string, hard bool) *naasv1alpha1.Budget {
		return &naasv1alpha1.Budget{Amount: resource.MustParse(amount), Currency: "GBP", Thresholds: []int32{50, 80, 100}, Hard: hard}
	}
	status := func(spent, forecast string) *naasv1alpha1.BudgetStatus {
		return &naasv1alpha1.BudgetStatus{Period: "2026-05", Spent: naasv1alpha1.Money(spent), Forecast: naasv1alpha1.Money(forecast)}
	}
	shop := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop"}, Spec: naasv1alpha1.TenantSpec{MonthlyBudget: budget("100", true)},
		Status: naasv1alpha1.TenantStatus{Budget: status("60", "95")}}
	other := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Spec: naasv1alpha1.TenantSpec{MonthlyBudget: budget("999", false)},
		Status: naasv1alpha1.TenantStatus{Budget: status("777", "888")}}
	dev := &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "dev"}, Spec: naasv1alpha1.TierSpec{MonthlyBudget: budget("50", false)}}
	web := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "shop-web"}, Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: "shop"},
		Status: naasv1alpha1.NamespaceClaimStatus{Tier: "dev", Budget: status("10.5", "40")}}
	policy := &naasv1alpha1.CostPolicy{ObjectMeta: metav1.ObjectMeta{Name: naasv1alpha1.DefaultCostPolicyName},
		Spec: naasv1alpha1.CostPolicySpec{CostCenterBudgets: []naasv1alpha1.CostCenterBudget{{CostCenter: "CC-42", Budget: *budget("5000", false)}}},
		Status: naasv1alpha1.CostPolicyStatus{CostCenterBudgets: []naasv1alpha1.NamedBudgetStatus{
			{Name: "CC-42", BudgetStatus: *status("4321", "4500")},
		}}}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(shop, other, dev, web, policy).Build()
}

func startCostPortal(t *testing.T, opts ...func(*costWorld)) (*testPortal, *costWorld) {
	t.Helper()
	world := &costWorld{}
	for _, o := range opts {
		o(world)
	}
	tp := startPortal(t, costUsers, func(c *Config, _ string) {
		c.API = world.api(costUsers, c.Sessions)
		c.Cache = costCache(t)
	})
	return tp, world
}

func signedIn(t *testing.T, tp *testPortal, token string) *http.Client {
	t.Helper()
	c := browser(t)
	if resp := signIn(t, tp, c, token, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with %s: %d", token, resp.StatusCode)
	}
	return c
}

var (
	barPattern     = regexp.MustCompile(`<g class="bar" data-bucket="([^"]*)" data-total="([^"]*)">`)
	segmentPattern = regexp.MustCompile(`data-series="([a-z-]+)" data-value="([^"]*)"`)
)

// bars are a page's chart bars as "bucket total" strings.
func bars(body string) []string {
	var out []string
	for _, m := range barPattern.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

func TestTenantCosts_ChartAsksTheAPIForEachDayAndTableBudgetAndCSVFollow(t *testing.T) {
	tp, world := startCostPortal(t)
	c := signedIn(t, tp, "alice-token")

	resp, body := get(t, c, tp.srv.URL+"/tenants/shop/costs")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d:\n%s", resp.StatusCode, body)
	}
	// One bar per day, each the tenant's cost of that day: shop-web and shop-db, CPU plus half for memory.
	if diff := cmp.Diff([]string{"May 1 4.50", "May 2 7.50", "May 3 1.50"}, bars(body)); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}
	var segs []string
	for _, m := range segmentPattern.FindAllStringSubmatch(body, -1) {
		segs = append(segs, m[1]+"="+m[2])
	}
	if diff := cmp.Diff([]string{"cpu=3.00", "memory=1.50", "cpu=5.00", "memory=2.50", "cpu=1.00", "memory=0.50"}, segs); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
	// Every question went to the API with the tenant's filter; the bars asked for their own day.
	var windows []string
	for _, q := range world.costQueries() {
		if q.Get("tenant") != "shop" {
			t.Errorf("a cost query without the tenant's filter: %v", q)
		}
		windows = append(windows, q.Get("aggregate")+" "+q.Get("window"))
	}
	want := []string{
		"namespace month",
		"tenant 2026-05-01T00:00:00Z,2026-05-02T00:00:00Z",
		"tenant 2026-05-02T00:00:00Z,2026-05-03T00:00:00Z",
		"tenant 2026-05-03T00:00:00Z,2026-05-04T00:00:00Z",
		"tenant month",
	}
	if diff := cmp.Diff(want, windows); diff != "" {
		t.Errorf("API cost queries (-want +got):\n%s", diff)
	}
	for _, want := range []string{
		// The chart's text alternative.
		`<th scope="row">May 2</th><td class="num">£5.00</td><td class="num">£2.50</td>`,
		// The chargeback table: the rule applied on shop-web's line, and what it is charged.
		`<span class="rule">dev (discount 0.5): -£5.25</span>`, `<strong>£5.25</strong>`,
		`href="/namespaces/shop-web/costs?window=month"`,
		// The total the API charges the tenant.
		`Charged: <strong id="charged">£13.50</strong>`,
		// The CSV is the API's.
		`href="/api/v1/analytics/costs?aggregate=namespace&amp;format=csv&amp;tenant=shop&amp;window=month" download>`,
		// The tenant's hard budget from its status.
		`budget-warn hard`, "£60.00 spent of £100.00 in 2026-05 (60%); forecast £95.00 (95%)",
		`href="/tenants/shop/recommendations"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(body, "other-app") || strings.Contains(body, "£999") {
		t.Errorf("the page shows another tenant's figures")
	}

	// The CSV link works with the session cookie (the stand-in API answers JSON; the real one CSV).
	if resp, _ := get(t, c, tp.srv.URL+"/api/v1/analytics/costs?aggregate=namespace&format=csv&tenant=shop&window=month"); resp.StatusCode != http.StatusOK {
		t.Errorf("the CSV link with the session: %d", resp.StatusCode)
	}
}

func TestNamespaceCosts_ShowItsOwnLineBudgetAndExplainedRecommendations(t *testing.T) {
	tp, _ := startCostPortal(t)
	c := signedIn(t, tp, "alice-token")
	resp, body := get(t, c, tp.srv.URL+"/namespaces/shop-web/costs?window=week")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d:\n%s", resp.StatusCode, body)
	}
	if diff := cmp.Diff([]string{"May 1 3.00", "May 2 6.00", "May 3 1.50"}, bars(body)); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}
	if n := strings.Count(body, `<tr data-key=`); n != 1 || !strings.Contains(body, `<tr data-key="shop-web">`) {
		t.Errorf("%d chargeback lines, want shop-web's alone", n)
	}
	for _, want := range []string{
		"£10.50 spent of £50.00 in 2026-05 (21%)",
		"CPU request 2 cores, p95 usage 0.31 over 7 days: recommend 0.5; saves £41.20/month",
		`<strong class="saving">£41.20</strong>`, "tier <strong>small</strong>",
		"All replicas request 2 CPU and 1Gi memory today; naas recommends 500m and 1Gi, priced with PriceBook default.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

func TestCostPages_WindowFormErrorsAreShownAndNothingIsAsked(t *testing.T) {
	tp, world := startCostPortal(t)
	c := signedIn(t, tp, "alice-token")
	resp, body := get(t, c, tp.srv.URL+"/tenants/shop/costs?window=custom&from=2026-05-10&to=2026-05-01")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if !strings.Contains(body, `id="f-to-error">The last day must not be before the first.`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("the error is not at the input:\n%s", body)
	}
	if q := world.costQueries(); len(q) != 0 {
		t.Errorf("the portal asked the API %v for a bad window", q)
	}
	_, body = get(t, c, tp.srv.URL+"/tenants/shop/costs?window=custom&from=2026-05-01&to=2026-05-02")
	if q := world.costQueries(); len(q) == 0 || q[0].Get("window") != "2026-05-01T00:00:00Z,2026-05-03T00:00:00Z" {
		t.Errorf("a custom window's query: %v", q)
	}
	if !strings.Contains(body, `value="2026-05-01"`) {
		t.Errorf("the form forgets the dates entered")
	}
}

// Attackers: another tenant's member, a user in no tenant. They get the 403 that does not say whether the tenant,
// namespace or cost center exists, and the portal asks the API for none of its figures.
func TestCostPages_OutsidersGetNothingOfOthers(t *testing.T) {
	tp, world := startCostPortal(t)
	for _, token := range []string{"mallory-token", "nobody-token"} {
		c := signedIn(t, tp, token)
		for _, path := range []string{
			"/tenants/shop/costs", "/namespaces/shop-web/costs", "/tenants/shop/recommendations", "/costcenters/CC-42/costs",
			"/tenants/nosuch/costs", "/namespaces/nosuch/costs", "/costcenters/nosuch/costs",
		} {
			resp, body := get(t, c, tp.srv.URL+path)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s: %d, want 403", token, path, resp.StatusCode)
			}
			for _, leak := range []string{"£", "shop-db", "data-bucket"} {
				if strings.Contains(body, leak) {
					t.Errorf("%s %s shows %q", token, path, leak)
				}
			}
		}
		// The overview shows their own tenants only.
		_, body := get(t, c, tp.srv.URL+"/costs")
		if strings.Contains(body, "shop") || strings.Contains(body, "CC-42") {
			t.Errorf("%s: the overview names tenant shop or its cost center", token)
		}
	}
	for _, q := range world.costQueries() {
		if q.Get("tenant") == "shop" {
			t.Errorf("the portal asked the API for shop's costs on an outsider's behalf: %v", q)
		}
	}
}

func TestCostCenterCosts_MembersSeeTheirShareAdminsTheWholeAndTheBudget(t *testing.T) {
	tp, _ := startCostPortal(t)
	alice := signedIn(t, tp, "alice-token")
	resp, body := get(t, alice, tp.srv.URL+"/costcenters/CC-42/costs")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("alice: %d:\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "You see the share of your own tenants (shop)") {
		t.Errorf("alice's page does not say it is her tenants' share")
	}
	if strings.Contains(body, "Budget of cost center") || strings.Contains(body, "£4321") {
		t.Errorf("alice sees the cost center's budget, which tells what other tenants spend")
	}
	if diff := cmp.Diff([]string{"May 1 4.50", "May 2 7.50", "May 3 1.50"}, bars(body)); diff != "" {
		t.Errorf("alice's bars (-want +got):\n%s", diff)
	}

	root := signedIn(t, tp, "root-token")
	resp, body = get(t, root, tp.srv.URL+"/costcenters/CC-42/costs")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("root: %d", resp.StatusCode)
	}
	for _, want := range []string{"Budget of cost center CC-42", "£4321.00 spent of £5000.00", `<tr data-key="shop">`} {
		if !strings.Contains(body, want) {
			t.Errorf("root's page lacks %s", want)
		}
	}
	if strings.Contains(body, `<tr data-key="other">`) {
		t.Errorf("tenant other (CC-9) is a line of CC-42")
	}
	if strings.Contains(body, "You see the share") {
		t.Errorf("root is told it sees a share")
	}
}

func TestTenantRecommendations_ListEachNamespaceWithItsReasons(t *testing.T) {
	tp, _ := startCostPortal(t)
	c := signedIn(t, tp, "alice-token")
	resp, body := get(t, c, tp.srv.URL+"/tenants/shop/recommendations")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<table class="recommendations" data-namespace="shop-web">`,
		"CPU request 2 cores, p95 usage 0.31 over 7 days: recommend 0.5; saves £41.20/month",
		"Nothing to change in shop-db",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

func TestTenantRecommendations_SayOnceWhyTheAPIHasNone(t *testing.T) {
	for _, tc := range []struct {
		name    string
		problem httpx.Problem
		want    string
	}{
		{"no Prometheus", httpx.Problem{Type: restv1.ProblemUsageUnavailable, Status: http.StatusConflict, Title: "Conflict",
			Detail: "no Prometheus is configured (naas --prometheus-url): without measured usage there is nothing to size requests by"},
			"No right-sizing for this tenant's namespaces: no Prometheus is configured (naas --prometheus-url): without measured usage there is nothing to size requests by."},
		{"Prometheus down", httpx.Problem{Status: http.StatusServiceUnavailable, Title: "Service Unavailable", Detail: "prometheus did not answer: connection refused."},
			"No right-sizing for this tenant's namespaces: prometheus did not answer: connection refused."},
		{"an API server without right-sizing", httpx.Problem{Status: http.StatusNotFound, Title: "Not Found"},
			"No right-sizing for this tenant's namespaces: this API server does not compute right-sizing."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp, _ := startCostPortal(t, func(w *costWorld) { w.rightSizing = &tc.problem })
			c := signedIn(t, tp, "alice-token")
			resp, body := get(t, c, tp.srv.URL+"/tenants/shop/recommendations")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for _, want := range []string{tc.want, `href="/namespaces/shop-web/costs"`, `href="/namespaces/shop-db/costs"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the page lacks %s:\n%s", want, body)
				}
			}
			if n := strings.Count(body, "No right-sizing for"); n != 1 {
				t.Errorf("the reason is said %d times, want once", n)
			}
			// The namespace's cost page renders, and says why too.
			resp, body = get(t, c, tp.srv.URL+"/namespaces/shop-web/costs")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "No right-sizing for shop-web: ") {
				t.Errorf("namespace page: status %d, reason missing", resp.StatusCode)
			}
		})
	}
}
