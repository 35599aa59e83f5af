package workloadpolicy

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/quota/tenantledger"
)

// The quota controller's part (what it publishes, when it looks again) on a fake client; the ledger's
// compare-and-swap, which the API server decides, is tested on the real control plane in
// test/integration/ledger, and the quota held under concurrent pods in test/integration/admission.

func tenantNamespace(name, tenant string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelTenant: tenant}}}
}

func runningPod(namespace, name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID("uid-" + namespace + "-" + name)},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

func TestQuotaReconciler_PublishesUsageAndLooksAgain(t *testing.T) {
	ctx := context.Background()
	shop := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop", UID: "uid-shop"},
		Spec: naasv1alpha1.TenantSpec{Quota: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")}}}
	free := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "free"}}
	w := &writes{}
	c := newClient(t, w, shop, free,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "naas-system"}},
		tenantNamespace("shop-a", "shop"), tenantNamespace("shop-b", "shop"), tenantNamespace("bank-a", "bank"),
		runningPod("shop-a", "web"), runningPod("shop-b", "db"), runningPod("bank-a", "other"))
	r := &QuotaReconciler{
		Client: c, Ledgers: tenantledger.NewStore(c, "naas-system"), Counter: &tenantledger.Counter{Reader: c},
		SyncPeriod: 3 * time.Second, Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) },
	}
	reconcileTenant := func(name string) ctrl.Result {
		t.Helper()
		res, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Name: name}})
		if err != nil {
			t.Fatalf("reconcile tenant %s: %v", name, err)
		}
		return res
	}
	used := func(name string) corev1.ResourceList {
		t.Helper()
		tn := &naasv1alpha1.Tenant{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, tn); err != nil {
			t.Fatal(err)
		}
		return tn.Status.Used
	}

	if res := reconcileTenant("shop"); res.RequeueAfter != 3*time.Second {
		t.Errorf("a tenant with a quota: requeue after %s, want the sync period", res.RequeueAfter)
	}
	if got := used("shop")[corev1.ResourcePods]; got.Value() != 2 {
		t.Errorf("status.used pods = %s, want 2 (its two namespaces' pods, not bank's)", got.String())
	}
	before := w.n
	reconcileTenant("shop")
	if w.n != before {
		t.Errorf("a count that changed nothing made %d writes", w.n-before)
	}
	if res := reconcileTenant("free"); res.RequeueAfter != 0 || used("free") != nil {
		t.Errorf("a tenant without a quota: requeue after %s, used %v; want neither", res.RequeueAfter, used("free"))
	}
	if err := c.Delete(ctx, runningPod("shop-b", "db")); err != nil {
		t.Fatal(err)
	}
	reconcileTenant("shop")
	if got := used("shop")[corev1.ResourcePods]; got.Value() != 1 {
		t.Errorf("after a pod went: status.used pods = %s, want 1", got.String())
	}
	if err := c.Delete(ctx, shop); err != nil {
		t.Fatal(err)
	}
	if res := reconcileTenant("shop"); res.RequeueAfter != 0 {
		t.Errorf("a deleted tenant is looked at again after %s", res.RequeueAfter)
	}
}
