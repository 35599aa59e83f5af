// Package budget runs naas's budgets: every interval, and when poked (spend rows written, a budget changed or
// lifted), it computes each budget's spend and forecast for the month (UTC), fires each threshold once per
// threshold, kind and month, notifies, and writes the budget status of tenants, claims and the cost policy
// that admission reads to stop growth past a hard budget. It runs on the leader only. The decisions are
// internal/cost/budget's; this package does the I/O.
package budget

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrl "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	costbudget "github.com/naas-dev/naas/internal/cost/budget"
	"github.com/naas-dev/naas/internal/cost/money"
)

// DefaultInterval is how often budgets are evaluated without a poke. The seed checked every 6 hours; spend
// rows land hourly and the hour in progress is computed when asked, so 5 minutes lets a hard budget stop
// growth within minutes of being spent, at the cost of one spend query per scope kind and currency per pass.
const DefaultInterval = 5 * time.Minute

// maxDeliveries bounds the notifications one pass sends.
const maxDeliveries = 100

// redeliverAfter is how old an undelivered notification another evaluator fired must be before this one sends
// it: the evaluator that fires a threshold sends it in the same pass, so one still undelivered after this long
// was left by an evaluator that crashed or met a failing endpoint. Two evaluators racing (a leader change) thus
// do not both send a fresh notification.
const redeliverAfter = 2 * time.Minute

// Evaluator evaluates every budget, periodically and when poked. It is a manager.Runnable that runs on the
// leader only; two evaluators racing (a leader change) still fire each threshold once, by the ledger.
type Evaluator struct {
	Client client.Client
	Spend  SpendSource
	Ledger audit.BudgetLedger
	// Notifier sends notifications to the cost policy's webhook; NewWebhookNotifier's defaults when nil.
	Notifier *WebhookNotifier
	Metrics  *Metrics
	Clock    clock.Clock
	Interval time.Duration

	poke chan struct{}
	// mine are the notifications this evaluator fired and has not delivered yet.
	mine map[audit.BudgetKey]bool
}

var _ manager.Runnable = (*Evaluator)(nil)

// Poke asks for an evaluation soon: spend rows were written or a budget changed. It never blocks.
func (e *Evaluator) Poke() {
	select {
	case e.pokes() <- struct{}{}:
	default:
	}
}

func (e *Evaluator) pokes() chan struct{} {
	if e.poke == nil {
		e.poke = make(chan struct{}, 1)
	}
	return e.poke
}

// Start evaluates until ctx ends.
func (e *Evaluator) Start(ctx context.Context) error {
	log := ctrl.FromContext(ctx).WithName("budget")
	ctx = ctrl.IntoContext(ctx, log)
	if e.Clock == nil {
		e.Clock = clock.RealClock{}
	}
	interval := cmp.Or(e.Interval, DefaultInterval)
	poke := e.pokes()
	for {
		if err := e.Evaluate(ctx); err != nil && ctx.Err() == nil {
			log.Error(err, "Budget evaluation failed; retrying at the next pass")
		}
		t := e.Clock.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		case <-poke:
			t.Stop()
		}
	}
}

func (e *Evaluator) notifier() *WebhookNotifier {
	if e.Notifier == nil {
		e.Notifier = NewWebhookNotifier()
	}
	return e.Notifier
}

// scoped is one budget to evaluate.
type scoped struct {
	scope  costbudget.Scope
	budget naasv1alpha1.Budget
	// tenants are the tenants the budget's alerts go to: the namespace's or tenant's one, a cost center's all.
	tenants []string
	// previous is the status last written.
	previous naasv1alpha1.BudgetStatus
	// ev is the evaluation, filled in by the pass.
	ev costbudget.Evaluation
}

// world is what one pass reads.
type world struct {
	tenants  []naasv1alpha1.Tenant
	claims   []naasv1alpha1.NamespaceClaim
	tiers    map[string]*naasv1alpha1.Tier
	policy   *naasv1alpha1.CostPolicy
	budgets  []*scoped
	byTenant map[string]*scoped
	byCC     map[string]*scoped
	byClaim  map[string]*scoped
}

// Evaluate runs one pass: evaluate every budget, fire and notify, write the statuses that changed.
func (e *Evaluator) Evaluate(ctx context.Context) error {
	if e.Clock == nil {
		e.Clock = clock.RealClock{}
	}
	now := e.Clock.Now().UTC()
	w, err := e.read(ctx)
	if err != nil {
		return err
	}
	if err := e.spend(ctx, w, now); err != nil {
		return err
	}
	var errs []error
	for _, b := range w.budgets {
		if err := e.fire(ctx, b, now); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, e.writeStatuses(ctx, w)...)
	if e.Metrics != nil {
		e.Metrics.set(w)
	}
	url := ""
	if w.policy != nil && w.policy.Spec.Webhook != nil {
		url = w.policy.Spec.Webhook.URL
	}
	errs = append(errs, e.deliver(ctx, url))
	return errors.Join(errs...)
}

// read lists the budgets: each claim's tier budget, each tenant's, each cost center's.
func (e *Evaluator) read(ctx context.Context) (*world, error) {
	w := &world{tiers: map[string]*naasv1alpha1.Tier{}, byTenant: map[string]*scoped{}, byCC: map[string]*scoped{}, byClaim: map[string]*scoped{}}
	var tenants naasv1alpha1.TenantList
	if err := e.Client.List(ctx, &tenants); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	var claims naasv1alpha1.NamespaceClaimList
	if err := e.Client.List(ctx, &claims); err != nil {
		return nil, fmt.Errorf("list namespace claims: %w", err)
	}
	var tiers naasv1alpha1.TierList
	if err := e.Client.List(ctx, &tiers); err != nil {
		return nil, fmt.Errorf("list tiers: %w", err)
	}
	policy := &naasv1alpha1.CostPolicy{}
	if err := e.Client.Get(ctx, client.ObjectKey{Name: naasv1alpha1.DefaultCostPolicyName}, policy); err != nil {
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("get the cost policy: %w", err)
		}
		policy = nil
	}
	w.tenants, w.claims, w.policy = tenants.Items, claims.Items, policy
	for i := range tiers.Items {
		w.tiers[tiers.Items[i].Name] = &tiers.Items[i]
	}
	for i := range w.claims {
		c := &w.claims[i]
		tier := w.tiers[c.Status.Tier]
		if tier == nil || tier.Spec.MonthlyBudget == nil || c.DeletionTimestamp != nil {
			continue
		}
		b := &scoped{scope: costbudget.Scope{Kind: costbudget.ScopeNamespace, Name: c.Name, Tier: tier.Name}, budget: *tier.Spec.MonthlyBudget,
			tenants: []string{c.Spec.Tenant}, previous: deref(c.Status.Budget)}
		w.budgets = append(w.budgets, b)
		w.byClaim[c.Name] = b
	}
	ccTenants := map[string][]string{}
	for i := range w.tenants {
		t := &w.tenants[i]
		if t.Spec.CostCenter != "" {
			ccTenants[t.Spec.CostCenter] = append(ccTenants[t.Spec.CostCenter], t.Name)
		}
		if t.Spec.MonthlyBudget == nil {
			continue
		}
		b := &scoped{scope: costbudget.Scope{Kind: costbudget.ScopeTenant, Name: t.Name}, budget: *t.Spec.MonthlyBudget,
			tenants: []string{t.Name}, previous: deref(t.Status.Budget)}
		w.budgets = append(w.budgets, b)
		w.byTenant[t.Name] = b
	}
	if policy != nil {
		for _, ccb := range policy.Spec.CostCenterBudgets {
			var prev naasv1alpha1.BudgetStatus
			if i := slices.IndexFunc(policy.Status.CostCenterBudgets, func(s naasv1alpha1.NamedBudgetStatus) bool { return s.Name == ccb.CostCenter }); i >= 0 {
				prev = policy.Status.CostCenterBudgets[i].BudgetStatus
			}
			b := &scoped{scope: costbudget.Scope{Kind: costbudget.ScopeCostCenter, Name: ccb.CostCenter}, budget: ccb.Budget,
				tenants: ccTenants[ccb.CostCenter], previous: prev}
			w.budgets = append(w.budgets, b)
			w.byCC[ccb.CostCenter] = b
		}
	}
	return w, nil
}

func deref(s *naasv1alpha1.BudgetStatus) naasv1alpha1.BudgetStatus {
	if s == nil {
		return naasv1alpha1.BudgetStatus{}
	}
	return *s
}

// spend evaluates every budget with one spend query per scope kind and currency.
func (e *Evaluator) spend(ctx context.Context, w *world, now time.Time) error {
	type query struct {
		kind     costbudget.ScopeKind
		currency string
	}
	period := costbudget.Period(now)
	start, _, _ := costbudget.PeriodBounds(period)
	answers := map[query]map[string]money.Amount{}
	for _, b := range w.budgets {
		q := query{b.scope.Kind, b.budget.Currency}
		spent, ok := answers[q]
		if !ok {
			var err error
			if spent, err = e.Spend.Spend(ctx, q.kind, start, now, q.currency); err != nil {
				return fmt.Errorf("spend of every %s in %s: %w", q.kind, q.currency, err)
			}
			answers[q] = spent
		}
		ev, err := costbudget.Evaluate(costbudget.Input{Budget: b.budget, Spent: spent[b.scope.Name], Now: now, Previous: b.previous})
		if err != nil {
			return fmt.Errorf("budget of %s: %w", b.scope, err)
		}
		if ev.Blocked {
			ev.Message = costbudget.BlockedMessage(b.scope, ev)
			ev.Status.Message = ev.Message
		}
		b.ev = ev
	}
	return nil
}

// fire records each threshold that fires now in the ledger; the firing time in the status is the ledger's, so
// a threshold another evaluator fired first (or this one before a restart lost its status write) keeps its time
// and is not notified again.
func (e *Evaluator) fire(ctx context.Context, b *scoped, now time.Time) error {
	for _, c := range b.ev.Fire {
		key := audit.BudgetKey{Scope: b.scope.String(), Period: b.ev.Period, Threshold: c.Percent, Kind: c.Kind}
		payload, err := json.Marshal(notification(b, key, c, now))
		if err != nil {
			return err
		}
		stored, inserted, err := e.Ledger.FireBudgetThreshold(ctx, audit.BudgetNotification{BudgetKey: key, FiredAt: now, Payload: string(payload)})
		if err != nil {
			return err
		}
		if inserted && e.Metrics != nil {
			e.Metrics.fired(b.scope.Kind, c.Kind, c.Percent)
		}
		if inserted {
			if e.mine == nil {
				e.mine = map[audit.BudgetKey]bool{}
			}
			e.mine[key] = true
			ctrl.FromContext(ctx).Info("Budget threshold fired", "scope", b.scope.String(), "period", key.Period, "threshold", c.Percent, "kind", c.Kind)
		}
		for i := range b.ev.Status.Fired {
			f := &b.ev.Status.Fired[i]
			if f.Percent == c.Percent && f.Kind == c.Kind {
				f.FiredAt = metav1.NewTime(stored.FiredAt.Truncate(time.Second))
			}
		}
	}
	return nil
}

func notification(b *scoped, key audit.BudgetKey, c costbudget.Crossing, now time.Time) restv1.BudgetNotification {
	n := restv1.BudgetNotification{
		IdempotencyKey: key.String(), ScopeKind: string(b.scope.Kind), Scope: b.scope.Name,
		Threshold: c.Percent, Kind: c.Kind, Spent: string(b.ev.Spent.ToMoney()), Forecast: string(b.ev.Forecast.ToMoney()),
		Limit: string(b.ev.Amount.ToMoney()), Currency: b.ev.Currency, Period: b.ev.Period, Hard: b.budget.Hard,
		Blocked: b.ev.Blocked, Message: b.ev.Message, FiredAt: now,
	}
	if b.scope.Kind != costbudget.ScopeCostCenter && len(b.tenants) == 1 {
		n.Tenant = b.tenants[0]
	}
	return n
}

// deliver sends the notifications the ledger holds undelivered, oldest first, then marks them delivered: at
// least once (see audit.BudgetLedger).
// Without a webhook there is nothing to send: the notifications are marked delivered, as the metrics and alert
// rules carry them.
func (e *Evaluator) deliver(ctx context.Context, url string) error {
	pending, err := e.Ledger.UndeliveredBudgetNotifications(ctx, maxDeliveries)
	if err != nil {
		return err
	}
	var errs []error
	now := e.Clock.Now()
	for _, n := range pending {
		if !e.mine[n.BudgetKey] && now.Sub(n.FiredAt) < redeliverAfter {
			continue // Another evaluator fired it just now and is sending it.
		}
		if url != "" {
			if err := e.notifier().Send(ctx, url, n.String(), []byte(n.Payload)); err != nil {
				errs = append(errs, err)
				break // The endpoint is down: the rest wait for the next pass, in order.
			}
		}
		if err := e.Ledger.MarkBudgetNotificationDelivered(ctx, n.BudgetKey, now); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(e.mine, n.BudgetKey)
	}
	return errors.Join(errs...)
}
