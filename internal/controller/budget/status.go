package budget

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// writeStatuses writes the budget status of every claim, tenant and the cost policy whose status differs from
// the evaluation: an idle pass writes nothing. A tenant's status is blocked by its own hard budget or by its
// cost center's, with the message of the one that blocks.
func (e *Evaluator) writeStatuses(ctx context.Context, w *world) []error {
	var errs []error
	for i := range w.claims {
		c := &w.claims[i]
		var want *naasv1alpha1.BudgetStatus
		if b := w.byClaim[c.Name]; b != nil {
			want = &b.ev.Status
		}
		if apiequality.Semantic.DeepEqual(c.Status.Budget, want) {
			continue
		}
		orig := c.DeepCopy()
		c.Status.Budget = want
		if err := e.Client.Status().Patch(ctx, c, client.MergeFrom(orig)); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("write the budget status of namespace claim %s: %w", c.Name, err))
		}
	}
	for i := range w.tenants {
		t := &w.tenants[i]
		want := tenantStatus(w, t)
		if apiequality.Semantic.DeepEqual(t.Status.Budget, want) {
			continue
		}
		orig := t.DeepCopy()
		t.Status.Budget = want
		if err := e.Client.Status().Patch(ctx, t, client.MergeFrom(orig)); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("write the budget status of tenant %s: %w", t.Name, err))
		}
	}
	if p := w.policy; p != nil {
		var want []naasv1alpha1.NamedBudgetStatus
		for _, ccb := range p.Spec.CostCenterBudgets {
			want = append(want, naasv1alpha1.NamedBudgetStatus{Name: ccb.CostCenter, BudgetStatus: w.byCC[ccb.CostCenter].ev.Status})
		}
		if !apiequality.Semantic.DeepEqual(p.Status.CostCenterBudgets, want) {
			orig := p.DeepCopy()
			p.Status.CostCenterBudgets = want
			if err := e.Client.Status().Patch(ctx, p, client.MergeFrom(orig)); client.IgnoreNotFound(err) != nil {
				errs = append(errs, fmt.Errorf("write the cost center budgets' status: %w", err))
			}
		}
	}
	return errs
}

// tenantStatus is the budget status tenant t should have: its own budget's, blocked too while its cost
// center's hard budget is spent; nil when neither applies.
func tenantStatus(w *world, t *naasv1alpha1.Tenant) *naasv1alpha1.BudgetStatus {
	var st *naasv1alpha1.BudgetStatus
	if own := w.byTenant[t.Name]; own != nil {
		s := own.ev.Status
		st = &s
	}
	if cc := w.byCC[t.Spec.CostCenter]; t.Spec.CostCenter != "" && cc != nil && cc.ev.Blocked && (st == nil || !st.Blocked) {
		if st == nil {
			st = &naasv1alpha1.BudgetStatus{Period: cc.ev.Period}
		}
		st.Blocked, st.Message = true, cc.ev.Message
	}
	return st
}
