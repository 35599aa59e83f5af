package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	costbudget "github.com/naas-dev/naas/internal/cost/budget"
	"github.com/naas-dev/naas/internal/tenancy"
)

// ActionBudgetLift is the audit action of lifting a hard budget.
const ActionBudgetLift = "budget.lift"

// Scope kinds a lift names: a namespace's budget is its tier's.
const liftTier = "tier"

func budgetRoutes() []*route {
	return []*route{
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/budgets", operationID: "listBudgets", tag: tagAnalytics,
			summary: "Budgets and their state this month",
			description: "Each namespace's budget (its tier's monthlyBudget), each tenant's and, for platform admins, each cost " +
				"center's, with spend and forecast this month (UTC), the thresholds fired and whether a hard budget blocks. " +
				"Tenant members see their tenants' budgets and their namespaces'.",
			query:     []queryParam{tenantFilter},
			responses: []response{{status: 200, description: "The budgets.", body: typeOf[restv1.BudgetList]()}},
			handle:    (*Server).listBudgets,
		},
		{
			method: http.MethodPost, pattern: restv1.Prefix + "/budgets/lift", operationID: "liftBudget", tag: tagAnalytics,
			action:  ActionBudgetLift,
			summary: "Lift a hard budget for the current month (platform admins)",
			description: "Sets spec.monthlyBudget.liftedPeriod (a tenant's or a tier's) or the cost center budget's liftedPeriod " +
				"to the current month: the scope may create namespaces and grow quota again until the month ends. Lifting " +
				"again changes nothing.",
			body:      typeOf[restv1.BudgetLift](),
			responses: []response{{status: 200, description: "Lifted.", body: typeOf[restv1.BudgetLift]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).liftBudget,
		},
	}
}

func (s *Server) listBudgets(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := callerOf(r)
	claims, tenants, err := s.visibleClaims(ctx, u, r.URL.Query().Get("tenant"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tiers := &naasv1alpha1.TierList{}
	if err := s.cfg.Cache.List(ctx, tiers); err != nil {
		s.fail(w, r, fmt.Errorf("list tiers: %w", err))
		return
	}
	out := restv1.BudgetList{Items: []restv1.Budget{}}
	only := r.URL.Query().Get("tenant")
	for _, name := range sortedKeys(tenants) {
		t := tenants[name]
		if t.Spec.MonthlyBudget == nil || (only != "" && name != only) || !tenancy.Authorize(u, t, tenancy.ActionView, nil).Allowed {
			continue
		}
		out.Items = append(out.Items, budgetView(costbudget.ScopeTenant, name, name, t.Spec.MonthlyBudget, t.Status.Budget))
	}
	for i := range claims {
		c := &claims[i]
		tier := findTier(tiers.Items, c.Status.Tier)
		if tier == nil || tier.Spec.MonthlyBudget == nil || c.Spec.Tenant != "" && tenants[c.Spec.Tenant] == nil {
			continue
		}
		// Collaborators see a claim, not its owner's spending.
		if _, member := tenancy.RoleOf(u, tenants[c.Spec.Tenant]); !member && !tenancy.IsPlatformAdmin(u) {
			continue
		}
		out.Items = append(out.Items, budgetView(costbudget.ScopeNamespace, c.Name, c.Spec.Tenant, tier.Spec.MonthlyBudget, c.Status.Budget))
	}
	if tenancy.IsPlatformAdmin(u) && only == "" {
		policy := &naasv1alpha1.CostPolicy{}
		if err := s.cfg.Cache.Get(ctx, client.ObjectKey{Name: naasv1alpha1.DefaultCostPolicyName}, policy); client.IgnoreNotFound(err) != nil {
			s.fail(w, r, fmt.Errorf("get the cost policy: %w", err))
			return
		}
		for _, ccb := range policy.Spec.CostCenterBudgets {
			var st *naasv1alpha1.BudgetStatus
			if i := slices.IndexFunc(policy.Status.CostCenterBudgets, func(n naasv1alpha1.NamedBudgetStatus) bool { return n.Name == ccb.CostCenter }); i >= 0 {
				st = &policy.Status.CostCenterBudgets[i].BudgetStatus
			}
			out.Items = append(out.Items, budgetView(costbudget.ScopeCostCenter, ccb.CostCenter, "", &ccb.Budget, st))
		}
	}
	s.writeJSON(w, http.StatusOK, out)
}

func findTier(tiers []naasv1alpha1.Tier, name string) *naasv1alpha1.Tier {
	for i := range tiers {
		if tiers[i].Name == name {
			return &tiers[i]
		}
	}
	return nil
}

func budgetView(kind costbudget.ScopeKind, name, tenant string, b *naasv1alpha1.Budget, st *naasv1alpha1.BudgetStatus) restv1.Budget {
	out := restv1.Budget{
		ScopeKind: string(kind), Scope: name, Tenant: tenant, Limit: b.Amount.String(), Currency: b.Currency,
		Thresholds: b.Thresholds, Hard: b.Hard, LiftedPeriod: b.LiftedPeriod, Fired: []restv1.BudgetFired{},
	}
	if len(out.Thresholds) == 0 {
		out.Thresholds = costbudget.DefaultThresholds
	}
	if st != nil {
		out.Period, out.Spent, out.Forecast, out.Blocked, out.Message = st.Period, string(st.Spent), string(st.Forecast), st.Blocked, st.Message
		for _, f := range st.Fired {
			out.Fired = append(out.Fired, restv1.BudgetFired{Threshold: f.Percent, Kind: f.Kind, FiredAt: f.FiredAt.UTC()})
		}
	}
	return out
}

func (s *Server) liftBudget(w http.ResponseWriter, r *http.Request) {
	var req restv1.BudgetLift
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	st := stateOf(r)
	st.target = req.ScopeKind + "/" + req.Scope
	var errs field.ErrorList
	if !slices.Contains([]string{string(costbudget.ScopeTenant), string(costbudget.ScopeCostCenter), liftTier}, req.ScopeKind) {
		errs = append(errs, field.NotSupported(field.NewPath("scopeKind"), req.ScopeKind, []string{"tenant", "costcenter", "tier"}))
	}
	if req.Scope == "" || len(req.Scope) > maxNameLength {
		errs = append(errs, field.Required(field.NewPath("scope"), "name the tenant, cost center or tier whose hard budget to lift"))
	}
	if len(errs) > 0 {
		s.fail(w, r, invalid(errs))
		return
	}
	u := callerOf(r)
	if !tenancy.IsPlatformAdmin(u) {
		s.fail(w, r, forbidden("only platform admins lift hard budgets; ask one to run: %s", liftCommand(req)))
		return
	}
	if req.ScopeKind == string(costbudget.ScopeTenant) {
		st.tenant = req.Scope
	}
	period := costbudget.Period(s.cfg.Now())
	if err := s.lift(withCaller(r.Context(), st.user), req, period); err != nil {
		s.fail(w, r, err)
		return
	}
	st.detail("period", period)
	s.writeJSON(w, http.StatusOK, req)
}

func liftCommand(req restv1.BudgetLift) string {
	switch req.ScopeKind {
	case string(costbudget.ScopeCostCenter):
		return "naas budget lift --cost-center " + req.Scope
	case liftTier:
		return "naas budget lift --tier " + req.Scope
	}
	return "naas budget lift " + req.Scope
}

// lift sets the liftedPeriod of the scope's budget as the caller, retrying on a concurrent update.
func (s *Server) lift(ctx context.Context, req restv1.BudgetLift, period string) error {
	var obj client.Object
	var budgetOf func() *naasv1alpha1.Budget
	switch req.ScopeKind {
	case string(costbudget.ScopeTenant):
		t := &naasv1alpha1.Tenant{}
		obj, budgetOf = t, func() *naasv1alpha1.Budget { return t.Spec.MonthlyBudget }
	case liftTier:
		t := &naasv1alpha1.Tier{}
		obj, budgetOf = t, func() *naasv1alpha1.Budget { return t.Spec.MonthlyBudget }
	default:
		p := &naasv1alpha1.CostPolicy{}
		obj, budgetOf = p, func() *naasv1alpha1.Budget {
			for i := range p.Spec.CostCenterBudgets {
				if p.Spec.CostCenterBudgets[i].CostCenter == req.Scope {
					return &p.Spec.CostCenterBudgets[i].Budget
				}
			}
			return nil
		}
	}
	name := req.Scope
	if req.ScopeKind == string(costbudget.ScopeCostCenter) {
		name = naasv1alpha1.DefaultCostPolicyName
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := s.cfg.Reader.Get(ctx, client.ObjectKey{Name: name}, obj); err != nil {
			return err
		}
		b := budgetOf()
		if b == nil {
			return notFound("%s %q has no monthly budget", strings.ReplaceAll(req.ScopeKind, "costcenter", "cost center"), req.Scope)
		}
		if !b.Hard {
			return conflict("the budget of %s %q is not hard: it blocks nothing, so there is nothing to lift", req.ScopeKind, req.Scope)
		}
		if b.LiftedPeriod == period {
			return nil
		}
		b.LiftedPeriod = period
		return s.cfg.AsCaller.Update(ctx, obj)
	})
	if apierrors.IsNotFound(err) {
		return notFound("%s %q not found", req.ScopeKind, req.Scope)
	}
	if err != nil {
		return fmt.Errorf("lift the budget of %s %s: %w", req.ScopeKind, req.Scope, err)
	}
	return nil
}
