// Package budgets tests budgets against the real local control plane and a real audit store (SQLite): cost rows
// written through the store's API, thresholds fired once across restarts and racing evaluators, the webhook on a
// loopback server, and hard budgets stopping new namespaces and tier upgrades through kubectl and the REST API
// until an admin lifts them or the month ends.
package budgets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/controller/budget"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.Options{}) }

// t0 is 10 days into December 2026 (31 days): the forecast is spent × 3.1.
var t0 = time.Date(2026, 12, 11, 0, 0, 0, 0, time.UTC)

// writeCost stores one hour of cost for a namespace of a tenant, in GBP, through the store's public API.
func writeCost(t *testing.T, s audit.CostStore, hour time.Time, ns, tenant, costCenter string, pounds int64) {
	t.Helper()
	err := s.ReplaceCostHour(context.Background(), audit.CostHour{Cluster: "local", Hour: hour, UsageSource: audit.UsageSourceRequests,
		Rows: []audit.CostRow{{Namespace: ns, Tenant: tenant, CostCenter: costCenter, Tier: "dev", Template: "standard", Currency: "GBP",
			Amounts: audit.CostAmounts{CPU: pounds * 1_000_000_000}}}})
	if err != nil {
		t.Fatalf("write cost of %s at %s: %v", ns, hour, err)
	}
}

// hook is a loopback webhook receiver that counts notifications by idempotency key.
type hook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  map[string]int
	body map[string]restv1.BudgetNotification
	fail int // answer 503 to this many requests first
}

func newHook(t *testing.T) *hook {
	h := &hook{got: map[string]int{}, body: map[string]restv1.BudgetNotification{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.fail > 0 {
			h.fail--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		data, _ := io.ReadAll(r.Body)
		var n restv1.BudgetNotification
		if err := json.Unmarshal(data, &n); err != nil || n.IdempotencyKey != r.Header.Get(budget.IdempotencyKeyHeader) {
			t.Errorf("webhook got %s (%v), header key %q", data, err, r.Header.Get(budget.IdempotencyKeyHeader))
		}
		h.got[n.IdempotencyKey]++
		h.body[n.IdempotencyKey] = n
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.got {
		out[k] = v
	}
	return out
}

func openStore(t *testing.T, path string) *audit.SQLiteStore {
	t.Helper()
	s, err := audit.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func costPolicy(t *testing.T, url string, ccBudgets ...naasv1alpha1.CostCenterBudget) {
	t.Helper()
	p := &naasv1alpha1.CostPolicy{ObjectMeta: metav1.ObjectMeta{Name: naasv1alpha1.DefaultCostPolicyName},
		Spec: naasv1alpha1.CostPolicySpec{CostCenterBudgets: ccBudgets}}
	if url != "" {
		p.Spec.Webhook = &naasv1alpha1.BudgetWebhook{URL: url}
	}
	// naas up seeds a default policy: replace its spec.
	existing := &naasv1alpha1.CostPolicy{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: p.Name}, existing); err == nil {
		existing.Spec = p.Spec
		if err := env.Client.Update(context.Background(), existing); err != nil {
			t.Fatalf("update the cost policy: %v", err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), existing) })
		return
	}
	env.Create(t, p)
}

func gbp(amount string, hard bool, thresholds ...int32) *naasv1alpha1.Budget {
	return &naasv1alpha1.Budget{Amount: resource.MustParse(amount), Currency: "GBP", Hard: hard, Thresholds: thresholds}
}

// TestBudget_ThresholdsFireOncePerPeriodAcrossRestartsAndRacingEvaluators: a tenant's spend crosses its
// thresholds over days; two evaluators on one database (two replicas during a leader change) evaluate
// concurrently every step, and one is replaced by a fresh one (a restart, its status writes lost) half-way.
// Every threshold reaches the webhook exactly once, the forecast before the actual spend, and the status records
// each with the time it first fired; the next month fires again.
func TestBudget_ThresholdsFireOncePerPeriodAcrossRestartsAndRacingEvaluators(t *testing.T) {
	ctx := context.Background()
	h := newHook(t)
	costPolicy(t, h.srv.URL)
	testenv.Tenant("fire").Admin("alice").With(func(s *naasv1alpha1.TenantSpec) { s.MonthlyBudget = gbp("1000", false, 50, 100) }).Create(t, env)

	db := filepath.Join(t.TempDir(), "audit.db")
	clk := clocktesting.NewFakeClock(t0)
	evaluator := func() *budget.Evaluator {
		s := openStore(t, db)
		return &budget.Evaluator{Client: env.Client, Spend: budget.StoreSpend{Store: s}, Ledger: s, Clock: clk,
			Notifier: &budget.WebhookNotifier{Client: http.DefaultClient, Attempts: 3, Backoff: time.Millisecond}}
	}
	writer := openStore(t, db)
	a, b := evaluator(), evaluator()
	firstSeen := map[string]int{}
	// £40 a day from the 1st: the forecast (spend × 31/days) passes £500 on day 1 and £1000 on day 1 too;
	// spend passes £500 on day 13 and £1000 on day 25.
	for day := 1; day <= 27; day++ {
		hour := time.Date(2026, 12, day, 0, 0, 0, 0, time.UTC)
		writeCost(t, writer, hour, "fire-api", "fire", "", 40)
		clk.SetTime(hour.Add(24 * time.Hour))
		if day == 14 {
			b = evaluator() // a restart: a fresh evaluator on the same database
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, e := range []*budget.Evaluator{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = e.Evaluate(ctx) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("day %d: evaluate: %v", day, err)
			}
		}
		for k := range h.counts() {
			if _, ok := firstSeen[k]; !ok {
				firstSeen[k] = day
			}
		}
	}
	want := map[string]int{
		"tenant/fire/2026-12/50/Forecast": 1, "tenant/fire/2026-12/100/Forecast": 1,
		"tenant/fire/2026-12/50/Actual": 13, "tenant/fire/2026-12/100/Actual": 25,
	}
	got := h.counts()
	for k, day := range want {
		if got[k] != 1 || firstSeen[k] != day {
			t.Errorf("%s: delivered %d times, first on day %d; want once, on day %d", k, got[k], firstSeen[k], day)
		}
	}
	if len(got) != len(want) {
		t.Errorf("webhook got %v; want exactly %v", got, want)
	}
	n := h.body["tenant/fire/2026-12/50/Actual"]
	if n.Scope != "fire" || n.ScopeKind != "tenant" || n.Tenant != "fire" || n.Limit != "1000" || n.Currency != "GBP" || n.Period != "2026-12" || n.Spent != "520" {
		t.Errorf("notification %+v: want scope, tenant, limit, currency, period and the spend when it fired", n)
	}
	tn := &naasv1alpha1.Tenant{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "fire"}, tn); err != nil {
		t.Fatal(err)
	}
	st := tn.Status.Budget
	if st == nil || st.Period != "2026-12" || len(st.Fired) != 4 || st.Spent != "1080" {
		t.Fatalf("tenant status %+v: want December's four thresholds and £1080 spent", st)
	}
	for _, f := range st.Fired {
		if f.Kind == "Actual" && f.Percent == 50 && !f.FiredAt.Time.Equal(time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("50%% Actual fired at %s; want the first firing, 2026-12-14", f.FiredAt)
		}
	}

	// An idle pass writes nothing and notifies nobody.
	before := tn.ResourceVersion
	if err := a.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "fire"}, tn); err != nil || tn.ResourceVersion != before {
		t.Errorf("an idle pass changed the tenant (%s → %s, %v)", before, tn.ResourceVersion, err)
	}

	// January: the thresholds fire again.
	writeCost(t, writer, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "fire-api", "fire", "", 600)
	clk.SetTime(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))
	if err := a.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.counts()["tenant/fire/2027-01/50/Actual"]; got != 1 {
		t.Errorf("January's 50%% Actual delivered %d times; want once", got)
	}
}

// TestBudget_WebhookIsRetriedAndAtLeastOnceAfterACrash: the endpoint failing at first gets the notification
// when it recovers; a notification recorded but never sent (naas crashed in between) is sent by the next
// evaluator, once.
func TestBudget_WebhookIsRetriedAndAtLeastOnceAfterACrash(t *testing.T) {
	ctx := context.Background()
	h := newHook(t)
	h.fail = 4 // more than one pass's attempts
	costPolicy(t, h.srv.URL)
	db := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, db)
	// A crash between recording and sending: the row is there, undelivered.
	key := audit.BudgetKey{Scope: "tenant/crashed", Period: "2026-12", Threshold: 80, Kind: "Actual"}
	payload, _ := json.Marshal(restv1.BudgetNotification{IdempotencyKey: key.String(), Scope: "crashed"})
	if _, _, err := s.FireBudgetThreshold(ctx, audit.BudgetNotification{BudgetKey: key, FiredAt: t0, Payload: string(payload)}); err != nil {
		t.Fatal(err)
	}
	// The crash was five minutes ago.
	e := &budget.Evaluator{Client: env.Client, Spend: budget.StoreSpend{Store: s}, Ledger: s, Clock: clocktesting.NewFakeClock(t0.Add(5 * time.Minute)),
		Notifier: &budget.WebhookNotifier{Client: http.DefaultClient, Attempts: 3, Backoff: time.Millisecond}}
	if err := e.Evaluate(ctx); err == nil {
		t.Fatal("the first pass met a failing endpoint and reported no error")
	}
	if got := h.counts()[key.String()]; got != 0 {
		t.Fatalf("delivered %d times while the endpoint failed", got)
	}
	if err := e.Evaluate(ctx); err != nil {
		t.Fatalf("second pass: %v", err)
	}
	if err := e.Evaluate(ctx); err != nil {
		t.Fatalf("third pass: %v", err)
	}
	if got := h.counts()[key.String()]; got != 1 {
		t.Fatalf("delivered %d times once the endpoint recovered; want once", got)
	}
}

// platformWithBudgets starts naas with its API, its budget evaluator on a fake clock and a real SQLite store.
func platformWithBudgets(t *testing.T, clk *clocktesting.FakeClock) (*setup.Platform, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "audit.db")
	// Spend is the stored rows alone (the collector would add the hour in progress of the real clock, which the
	// fake one is weeks away from).
	spend := budget.StoreSpend{Store: openStore(t, db)}
	p, stop, err := env.StartPlatform(func(o *setup.Options) {
		o.API = setup.APIOptions{TokenFile: env.APITokenFile(), AuditDB: db}
		o.Budgets = setup.BudgetOptions{Clock: clk, Interval: time.Hour, Spend: spend}
	})
	if err != nil {
		t.Fatalf("start naas: %v", err)
	}
	t.Cleanup(stop)
	return p, db
}

func call(t *testing.T, p *setup.Platform, user, method, path string, body any) testenv.Response {
	t.Helper()
	return testenv.Call(t, env.Token(user), method, "http://"+p.Addr()+path, body, nil)
}

// TestBudget_HardBudgetBlocksNewNamespacesAndTierGrowthUntilLiftedOrNextMonth: a tenant over its hard budget
// gets no new namespace (kubectl and API, with the message that says why) and cannot move a namespace to a
// bigger tier (but may to a smaller one); its admin cannot lift it or clear the block; a platform admin's lift
// lets it grow again; lifted or not, January unblocks it.
func TestBudget_HardBudgetBlocksNewNamespacesAndTierGrowthUntilLiftedOrNextMonth(t *testing.T) {
	ctx := context.Background()
	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC))
	p, db := platformWithBudgets(t, clk)
	testenv.Tenant("pay").Admin("alice").With(func(s *naasv1alpha1.TenantSpec) { s.MonthlyBudget = gbp("1000", true) }).Create(t, env)
	testenv.Tenant("other").Admin("mallory").Create(t, env)
	testenv.Claim("pay-api", "pay").Tier("dev").CreateAs(t, env, "alice")

	writer := openStore(t, db)
	writeCost(t, writer, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), "pay-api", "pay", "", 1012)
	p.Budgets.Poke()
	const msg = "tenant pay has spent £1012.00 of its £1000.00 hard budget for 2026-12: no new namespaces or quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift pay)"
	testenv.Eventually(t, 60*time.Second, "the tenant is blocked", func() error {
		tn := &naasv1alpha1.Tenant{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "pay"}, tn); err != nil {
			return err
		}
		if b := tn.Status.Budget; b == nil || !b.Blocked || b.Message != msg {
			return fmt.Errorf("status.budget = %+v", b)
		}
		return nil
	})

	// kubectl: the webhook refuses with the message.
	err := env.UserClient("alice").Create(ctx, testenv.Claim("pay-new", "pay").Obj())
	if err == nil || !strings.Contains(err.Error(), msg) {
		t.Fatalf("alice creates a claim over budget: %v; want the budget's message", err)
	}
	// The REST API: an RFC 7807 problem with the same message.
	r := call(t, p, "alice", http.MethodPost, restv1.Prefix+"/namespaces/request", map[string]any{"name": "pay-new2", "tenant": "pay", "template": "standard"})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), msg) || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("API request over budget: %s; want 422 problem with the message", r)
	}
	// A bigger tier is refused, kubectl and API; a smaller one would be allowed.
	err = env.UpdateClaimAs(t, "alice", "pay-api", func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Tier = "prod" })
	if err == nil || !strings.Contains(err.Error(), msg) {
		t.Fatalf("alice moves pay-api to prod over budget: %v; want the budget's message", err)
	}
	r = call(t, p, "alice", http.MethodPut, restv1.Prefix+"/namespaces/pay-api/quotas", map[string]any{"tier": "prod"})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), msg) {
		t.Fatalf("API tier upgrade over budget: %s; want 422 with the message", r)
	}

	// Attackers: the tenant's admin cannot lift its budget (API, kubectl) nor clear the block; another tenant
	// does not see it.
	if r := call(t, p, "alice", http.MethodPost, restv1.Prefix+"/budgets/lift", restv1.BudgetLift{ScopeKind: "tenant", Scope: "pay"}); r.Status != http.StatusForbidden {
		t.Errorf("alice lifts her own budget via the API: %s; want 403", r)
	}
	tn := &naasv1alpha1.Tenant{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "pay"}, tn); err != nil {
		t.Fatal(err)
	}
	lifted := tn.DeepCopy()
	lifted.Spec.MonthlyBudget.LiftedPeriod = "2026-12"
	if err := env.UserClient("alice").Update(ctx, lifted); !apierrors.IsForbidden(err) {
		t.Errorf("alice lifts her own budget with kubectl: %v; want forbidden", err)
	}
	cleared := tn.DeepCopy()
	cleared.Status.Budget.Blocked = false
	if err := env.UserClient("alice").Status().Update(ctx, cleared); !apierrors.IsForbidden(err) {
		t.Errorf("alice clears status.budget.blocked: %v; want forbidden", err)
	}
	var seen restv1.BudgetList
	r = call(t, p, "mallory", http.MethodGet, restv1.Prefix+"/budgets", nil)
	if err := json.Unmarshal(r.Body, &seen); err != nil || r.Status != http.StatusOK {
		t.Fatalf("mallory lists budgets: %s", r)
	}
	for _, b := range seen.Items {
		if b.Tenant == "pay" || b.Scope == "pay" || b.Scope == "pay-api" {
			t.Errorf("mallory sees pay's budget %+v", b)
		}
	}
	r = call(t, p, "alice", http.MethodGet, restv1.Prefix+"/budgets?tenant=pay", nil)
	if !strings.Contains(string(r.Body), `"blocked":true`) {
		t.Errorf("alice lists her budgets: %s; want pay's, blocked", r)
	}

	// A platform admin lifts it: growth is allowed again.
	if r := call(t, p, "platform-admin", http.MethodPost, restv1.Prefix+"/budgets/lift", restv1.BudgetLift{ScopeKind: "tenant", Scope: "pay"}); r.Status != http.StatusOK {
		t.Fatalf("platform admin lifts: %s", r)
	}
	testenv.Eventually(t, 60*time.Second, "the lift unblocks the tenant", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "pay"}, tn); err != nil {
			return err
		}
		if tn.Spec.MonthlyBudget.LiftedPeriod != "2026-12" || tn.Status.Budget == nil || tn.Status.Budget.Blocked {
			return fmt.Errorf("lifted %q, status %+v", tn.Spec.MonthlyBudget.LiftedPeriod, tn.Status.Budget)
		}
		return nil
	})
	testenv.Claim("pay-after-lift", "pay").CreateAs(t, env, "alice")

	// Next month, without a lift: a second tenant blocked in December is free on 1 January.
	testenv.Tenant("rent").Admin("bob").With(func(s *naasv1alpha1.TenantSpec) { s.MonthlyBudget = gbp("10", true) }).Create(t, env)
	writeCost(t, writer, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), "rent-x", "rent", "", 11)
	p.Budgets.Poke()
	testenv.Eventually(t, 60*time.Second, "rent is blocked", func() error {
		err := env.UserClient("bob").Create(ctx, testenv.Claim("rent-blocked", "rent").Obj())
		if err == nil {
			env.DeleteClaim("rent-blocked")
			return errors.New("bob created a claim over rent's hard budget")
		}
		if !strings.Contains(err.Error(), "hard budget") {
			return err
		}
		return nil
	})
	clk.SetTime(time.Date(2027, 1, 1, 0, 5, 0, 0, time.UTC))
	p.Budgets.Poke()
	testenv.Eventually(t, 60*time.Second, "January unblocks rent", func() error {
		rt := &naasv1alpha1.Tenant{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "rent"}, rt); err != nil {
			return err
		}
		if rt.Status.Budget == nil || rt.Status.Budget.Blocked || rt.Status.Budget.Period != "2027-01" {
			return fmt.Errorf("status %+v", rt.Status.Budget)
		}
		return nil
	})
	testenv.Claim("rent-january", "rent").CreateAs(t, env, "bob")
}

// TestBudget_TierAndCostCenterHardBudgets: a namespace over its tier's hard budget cannot move to a bigger tier
// (its tenant may still create namespaces); a cost center over its hard budget stops every one of its tenants.
func TestBudget_TierAndCostCenterHardBudgets(t *testing.T) {
	ctx := context.Background()
	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC))
	p, db := platformWithBudgets(t, clk)
	tiny := &naasv1alpha1.Tier{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "dev"}, tiny); err != nil {
		t.Fatal(err)
	}
	tiny = &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "tiny"}, Spec: *tiny.Spec.DeepCopy()}
	tiny.Spec.MonthlyBudget = gbp("5", true)
	env.Create(t, tiny)
	testenv.Tenant("ns").Admin("carol").Create(t, env)
	testenv.Claim("ns-svc", "ns").Tier("tiny").CreateAs(t, env, "carol")
	costPolicy(t, "", naasv1alpha1.CostCenterBudget{CostCenter: "cc-9", Budget: *gbp("5", true)})
	for _, name := range []string{"cca", "ccb"} {
		testenv.Tenant(name).Admin("dave").With(func(s *naasv1alpha1.TenantSpec) { s.CostCenter = "cc-9" }).Create(t, env)
	}
	testenv.Eventually(t, 60*time.Second, "ns-svc is provisioned in tier tiny", func() error {
		if c := env.GetClaim(t, "ns-svc"); c.Status.Tier != "tiny" {
			return fmt.Errorf("status.tier %q", c.Status.Tier)
		}
		return nil
	})

	writer := openStore(t, db)
	hour := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	if err := writer.ReplaceCostHour(ctx, audit.CostHour{Cluster: "local", Hour: hour, UsageSource: audit.UsageSourceRequests, Rows: []audit.CostRow{
		{Namespace: "ns-svc", Tenant: "ns", Tier: "tiny", Currency: "GBP", Amounts: audit.CostAmounts{CPU: 6_000_000_000}},
		{Namespace: "cca-x", Tenant: "cca", CostCenter: "cc-9", Currency: "GBP", Amounts: audit.CostAmounts{CPU: 6_000_000_000}},
	}}); err != nil {
		t.Fatal(err)
	}
	p.Budgets.Poke()
	const nsMsg = "namespace ns-svc has spent £6.00 of its £5.00 hard budget for 2026-12: no quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift --tier tiny)"
	testenv.Eventually(t, 60*time.Second, "ns-svc is blocked", func() error {
		if b := env.GetClaim(t, "ns-svc").Status.Budget; b == nil || !b.Blocked || b.Message != nsMsg {
			return fmt.Errorf("status.budget %+v", b)
		}
		return nil
	})
	if err := env.UpdateClaimAs(t, "carol", "ns-svc", func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Tier = "prod" }); err == nil || !strings.Contains(err.Error(), nsMsg) {
		t.Errorf("carol moves ns-svc to prod: %v; want the namespace budget's message", err)
	}
	testenv.Claim("ns-second", "ns").CreateAs(t, env, "carol") // the tenant itself is not blocked

	const ccMsg = "cost center cc-9 has spent £6.00 of its £5.00 hard budget for 2026-12: no new namespaces or quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift --cost-center cc-9)"
	testenv.Eventually(t, 60*time.Second, "both tenants of cc-9 are blocked", func() error {
		for _, name := range []string{"cca", "ccb"} {
			tn := &naasv1alpha1.Tenant{}
			if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, tn); err != nil {
				return err
			}
			if b := tn.Status.Budget; b == nil || !b.Blocked || b.Message != ccMsg {
				return fmt.Errorf("tenant %s status.budget %+v", name, b)
			}
		}
		return nil
	})
	if err := env.UserClient("dave").Create(ctx, testenv.Claim("ccb-new", "ccb").Obj()); err == nil || !strings.Contains(err.Error(), ccMsg) {
		t.Errorf("dave creates a claim in ccb: %v; want the cost center's message", err)
	}
	if r := call(t, p, "platform-admin", http.MethodPost, restv1.Prefix+"/budgets/lift", restv1.BudgetLift{ScopeKind: "costcenter", Scope: "cc-9"}); r.Status != http.StatusOK {
		t.Fatalf("lift cc-9: %s", r)
	}
	testenv.Eventually(t, 60*time.Second, "the lift frees ccb", func() error {
		tn := &naasv1alpha1.Tenant{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "ccb"}, tn); err != nil {
			return err
		}
		if tn.Status.Budget != nil && tn.Status.Budget.Blocked {
			return fmt.Errorf("status.budget %+v", tn.Status.Budget)
		}
		return nil
	})
	testenv.Claim("ccb-new", "ccb").CreateAs(t, env, "dave")
}
