package apiserver

import (
	"context"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
)

func (s *Server) getUsage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	claims, _, err := s.visibleClaims(ctx, callerOf(r), r.URL.Query().Get("tenant"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	quotas := map[string]*corev1.ResourceQuota{}
	for _, c := range claims {
		q, err := s.quotaOf(ctx, c.Name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		quotas[c.Name] = q
	}
	s.writeJSON(w, http.StatusOK, usageReport(claims, quotas))
}

// quotaOf reads the naas quota of a namespace; nil when it has none (yet).
func (s *Server) quotaOf(ctx context.Context, namespace string) (*corev1.ResourceQuota, error) {
	q := &corev1.ResourceQuota{}
	err := s.cfg.Cache.Get(ctx, client.ObjectKey{Namespace: namespace, Name: bundle.QuotaName}, q)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read the quota of namespace %s: %w", namespace, err)
	}
	return q, nil
}

// usageReport sums, per namespace and per tenant, the hard limits and usage of the namespaces' quotas. The hard
// limits are the quota's status (what the API server enforces) or, before kube-controller-manager has filled it
// in, its spec; usage the kube-controller-manager has not counted yet is zero.
func usageReport(claims []naasv1alpha1.NamespaceClaim, quotas map[string]*corev1.ResourceQuota) UsageReport {
	out := UsageReport{Namespaces: []NamespaceUsage{}, Tenants: []TenantUsage{}}
	type sums struct {
		count      int
		hard, used corev1.ResourceList
	}
	byTenant := map[string]*sums{}
	for _, c := range claims {
		nu := NamespaceUsage{Namespace: c.Name, Tenant: c.Spec.Tenant, Tier: c.Status.Tier, Resources: Usage{}}
		t := byTenant[c.Spec.Tenant]
		if t == nil {
			t = &sums{hard: corev1.ResourceList{}, used: corev1.ResourceList{}}
			byTenant[c.Spec.Tenant] = t
		}
		t.count++
		if q := quotas[c.Name]; q != nil {
			hard := q.Status.Hard
			if len(hard) == 0 {
				hard = q.Spec.Hard
			}
			for name, h := range hard {
				used := q.Status.Used[name]
				nu.Resources[string(name)] = ResourceUsage{Hard: h.String(), Used: zeroIfEmpty(used)}
				add(t.hard, name, h)
				add(t.used, name, used)
			}
		}
		out.Namespaces = append(out.Namespaces, nu)
	}
	for _, name := range sortedKeys(byTenant) {
		t := byTenant[name]
		tu := TenantUsage{Tenant: name, NamespaceCount: t.count, Resources: Usage{}}
		for res, h := range t.hard {
			used := t.used[res]
			tu.Resources[string(res)] = ResourceUsage{Hard: h.String(), Used: zeroIfEmpty(used)}
		}
		out.Tenants = append(out.Tenants, tu)
	}
	return out
}

func add(l corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
	sum := l[name]
	sum.Add(q)
	l[name] = sum
}

func zeroIfEmpty(q resource.Quantity) string {
	if q.IsZero() {
		return "0"
	}
	return q.String()
}

func (s *Server) getCosts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	claims, tenants, err := s.visibleClaims(ctx, callerOf(r), r.URL.Query().Get("tenant"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list := &naasv1alpha1.TierList{}
	if err := s.cfg.Cache.List(ctx, list); err != nil {
		s.fail(w, r, fmt.Errorf("list tiers: %w", err))
		return
	}
	tiers := map[string]*naasv1alpha1.Tier{}
	for i := range list.Items {
		tiers[list.Items[i].Name] = &list.Items[i]
	}
	s.writeJSON(w, http.StatusOK, costReport(claims, tenants, tiers))
}

// costReport gives each namespace its tier's monthly budget and each tenant the sum of its namespaces' budgets,
// one sum per currency. Costs are null: naas does not measure them yet.
func costReport(claims []naasv1alpha1.NamespaceClaim, tenants map[string]*naasv1alpha1.Tenant, tiers map[string]*naasv1alpha1.Tier) CostReport {
	out := CostReport{Namespaces: []NamespaceCost{}, Tenants: []TenantCost{}}
	budgets := map[string]map[string]resource.Quantity{} // tenant → currency → sum
	for _, c := range claims {
		b := budgetOf(tiers[c.Status.Tier])
		out.Namespaces = append(out.Namespaces, NamespaceCost{Namespace: c.Name, Tenant: c.Spec.Tenant, Tier: c.Status.Tier, Budget: b})
		if budgets[c.Spec.Tenant] == nil {
			budgets[c.Spec.Tenant] = map[string]resource.Quantity{}
		}
		if b != nil {
			sum := budgets[c.Spec.Tenant][b.Currency]
			sum.Add(tiers[c.Status.Tier].Spec.MonthlyBudget.Amount)
			budgets[c.Spec.Tenant][b.Currency] = sum
		}
	}
	for _, name := range sortedKeys(budgets) {
		tc := TenantCost{Tenant: name, Budgets: []Money{}}
		if t := tenants[name]; t != nil {
			tc.CostCenter = t.Spec.CostCenter
		}
		for _, currency := range sortedKeys(budgets[name]) {
			sum := budgets[name][currency]
			tc.Budgets = append(tc.Budgets, Money{Amount: sum.String(), Currency: currency})
		}
		out.Tenants = append(out.Tenants, tc)
	}
	return out
}
