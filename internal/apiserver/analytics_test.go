package apiserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/authn"
)

func claimOf(name, tenant, tier string) naasv1alpha1.NamespaceClaim {
	return naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenant},
		Status:     naasv1alpha1.NamespaceClaimStatus{Tier: tier},
	}
}

func list(kv ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return l
}

func TestUsageReport_SumsNamespacesPerTenant(t *testing.T) {
	claims := []naasv1alpha1.NamespaceClaim{claimOf("a-1", "a", "dev"), claimOf("a-2", "a", "dev"), claimOf("b-1", "b", "prod")}
	quotas := map[string]*corev1.ResourceQuota{
		"a-1": {Status: corev1.ResourceQuotaStatus{Hard: list("limits.cpu", "2", "pods", "50"), Used: list("limits.cpu", "500m", "pods", "3")}},
		// Not yet counted by kube-controller-manager: the spec gives the hard limits, usage is zero.
		"a-2": {Spec: corev1.ResourceQuotaSpec{Hard: list("limits.cpu", "2", "pods", "50")}},
		// b-1 has no quota yet.
	}
	got := usageReport(claims, quotas)
	want := restv1.UsageReport{
		Namespaces: []restv1.NamespaceUsage{
			{Namespace: "a-1", Tenant: "a", Tier: "dev", Resources: restv1.Usage{"limits.cpu": {Hard: "2", Used: "500m"}, "pods": {Hard: "50", Used: "3"}}},
			{Namespace: "a-2", Tenant: "a", Tier: "dev", Resources: restv1.Usage{"limits.cpu": {Hard: "2", Used: "0"}, "pods": {Hard: "50", Used: "0"}}},
			{Namespace: "b-1", Tenant: "b", Tier: "prod", Resources: restv1.Usage{}},
		},
		Tenants: []restv1.TenantUsage{
			{Tenant: "a", NamespaceCount: 2, Resources: restv1.Usage{"limits.cpu": {Hard: "4", Used: "500m"}, "pods": {Hard: "100", Used: "3"}}},
			{Tenant: "b", NamespaceCount: 1, Resources: restv1.Usage{}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
}

func TestCostReport_BudgetsComeFromTiersAndCostsAreUnknown(t *testing.T) {
	tier := func(name, amount, currency string) *naasv1alpha1.Tier {
		tr := &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if amount != "" {
			tr.Spec.MonthlyBudget = &naasv1alpha1.Budget{Amount: resource.MustParse(amount), Currency: currency}
		}
		return tr
	}
	tiers := map[string]*naasv1alpha1.Tier{"dev": tier("dev", "100", "USD"), "eu": tier("eu", "80", "EUR"), "free": tier("free", "", "")}
	tenants := map[string]*naasv1alpha1.Tenant{"a": {Spec: naasv1alpha1.TenantSpec{CostCenter: "CC-1"}}}
	claims := []naasv1alpha1.NamespaceClaim{claimOf("a-1", "a", "dev"), claimOf("a-2", "a", "dev"), claimOf("a-3", "a", "eu"), claimOf("a-4", "a", "free")}
	got := costReport(claims, tenants, tiers)
	want := restv1.CostReport{
		Namespaces: []restv1.NamespaceCost{
			{Namespace: "a-1", Tenant: "a", Tier: "dev", Budget: &restv1.Money{Amount: "100", Currency: "USD"}},
			{Namespace: "a-2", Tenant: "a", Tier: "dev", Budget: &restv1.Money{Amount: "100", Currency: "USD"}},
			{Namespace: "a-3", Tenant: "a", Tier: "eu", Budget: &restv1.Money{Amount: "80", Currency: "EUR"}},
			{Namespace: "a-4", Tenant: "a", Tier: "free"},
		},
		Tenants: []restv1.TenantCost{{Tenant: "a", CostCenter: "CC-1", Budgets: []restv1.Money{{Amount: "80", Currency: "EUR"}, {Amount: "200", Currency: "USD"}}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("costs (-want +got):\n%s", diff)
	}
}

func TestImpersonator(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	rt := &impersonator{next: http.DefaultTransport}

	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	resp, err := rt.RoundTrip(req)
	if !errors.Is(err, errNoCaller) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("a request without a caller: error %v, want errNoCaller", err)
	}

	ctx := withCaller(context.Background(), &authn.User{Name: "bob", Groups: []string{"team-bob", "devs"}})
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	req.Header.Set("Impersonate-User", "admin")
	req.Header.Add("Impersonate-Group", "system:masters")
	req.Header.Set("Impersonate-Extra-Scopes", "all")
	resp, err = rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.Get("Impersonate-User") != "bob" || !cmp.Equal(got.Values("Impersonate-Group"), []string{"team-bob", "devs"}) ||
		got.Get("Impersonate-Extra-Scopes") != "" {
		t.Errorf("impersonation headers = %v, want user bob and groups team-bob, devs only", got)
	}
	if req.Header.Get("Impersonate-User") != "admin" {
		t.Error("the caller's request was modified")
	}
}
