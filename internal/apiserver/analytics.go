package apiserver

import (
	"context"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
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
	quotas, err := s.quotasOf(ctx, claims)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, usageReport(claims, quotas))
}

// quotasOf reads the naas quotas of the claims' namespaces, by namespace; a namespace without one (yet) has
// none in the map. naas does not cache quotas (their status changes all the time): it lists them from the API
// server, one list per tenant of the claims, naas's own only.
func (s *Server) quotasOf(ctx context.Context, claims []naasv1alpha1.NamespaceClaim) (map[string]*corev1.ResourceQuota, error) {
	want := map[string]bool{}
	tenants := map[string]bool{}
	for _, c := range claims {
		want[c.Name] = true
		tenants[c.Spec.Tenant] = true
	}
	out := map[string]*corev1.ResourceQuota{}
	for tenant := range tenants {
		list := &corev1.ResourceQuotaList{}
		if err := s.cfg.Cache.List(ctx, list, client.MatchingLabels{
			naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelTenant: tenant,
		}); err != nil {
			return nil, fmt.Errorf("list the quotas of tenant %s: %w", tenant, err)
		}
		for i := range list.Items {
			if q := &list.Items[i]; q.Name == bundle.QuotaName && want[q.Namespace] {
				out[q.Namespace] = q
			}
		}
	}
	return out, nil
}

// usageReport sums, per namespace and per tenant, the hard limits and usage of the namespaces' quotas. The hard
// limits are the quota's status (what the API server enforces) or, before kube-controller-manager has filled it
// in, its spec; usage the kube-controller-manager has not counted yet is zero.
func usageReport(claims []naasv1alpha1.NamespaceClaim, quotas map[string]*corev1.ResourceQuota) restv1.UsageReport {
	out := restv1.UsageReport{Namespaces: []restv1.NamespaceUsage{}, Tenants: []restv1.TenantUsage{}}
	type sums struct {
		count      int
		hard, used corev1.ResourceList
	}
	byTenant := map[string]*sums{}
	for _, c := range claims {
		nu := restv1.NamespaceUsage{Namespace: c.Name, Tenant: c.Spec.Tenant, Tier: c.Status.Tier, Resources: restv1.Usage{}}
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
				nu.Resources[string(name)] = restv1.ResourceUsage{Hard: h.String(), Used: zeroIfEmpty(used)}
				add(t.hard, name, h)
				add(t.used, name, used)
			}
		}
		out.Namespaces = append(out.Namespaces, nu)
	}
	for _, name := range sortedKeys(byTenant) {
		t := byTenant[name]
		tu := restv1.TenantUsage{Tenant: name, NamespaceCount: t.count, Resources: restv1.Usage{}}
		for res, h := range t.hard {
			used := t.used[res]
			tu.Resources[string(res)] = restv1.ResourceUsage{Hard: h.String(), Used: zeroIfEmpty(used)}
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

// costReport gives each namespace its tier's monthly budget and each tenant the sum of its namespaces' budgets,
// one sum per currency. Costs are null: naas does not measure them yet.
func costReport(claims []naasv1alpha1.NamespaceClaim, tenants map[string]*naasv1alpha1.Tenant, tiers map[string]*naasv1alpha1.Tier) restv1.CostReport {
	out := restv1.CostReport{Namespaces: []restv1.NamespaceCost{}, Tenants: []restv1.TenantCost{}}
	budgets := map[string]map[string]resource.Quantity{} // tenant → currency → sum
	for _, c := range claims {
		b := budgetOf(tiers[c.Status.Tier])
		out.Namespaces = append(out.Namespaces, restv1.NamespaceCost{Namespace: c.Name, Tenant: c.Spec.Tenant, Tier: c.Status.Tier, Budget: b})
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
		tc := restv1.TenantCost{Tenant: name, Budgets: []restv1.Money{}}
		if t := tenants[name]; t != nil {
			tc.CostCenter = t.Spec.CostCenter
		}
		for _, currency := range sortedKeys(budgets[name]) {
			sum := budgets[name][currency]
			tc.Budgets = append(tc.Budgets, restv1.Money{Amount: sum.String(), Currency: currency})
		}
		out.Tenants = append(out.Tenants, tc)
	}
	return out
}
