package tenant

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/cluster"
)

// The reconciler's reads and its status write, on a fake client: the API server decides nothing here (gets,
// lists by label and index, a status patch). Ready's meaning is TestReadiness_SaysWhatDisagrees; the controller
// on the real control plane is in test/integration/provisioning.

func fakeClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := naasv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).
		WithStatusSubresource(&naasv1alpha1.Tenant{}).
		WithIndex(&naasv1alpha1.NamespaceClaim{}, cacheindex.ClaimTenant, func(o client.Object) []string {
			return []string{o.(*naasv1alpha1.NamespaceClaim).Spec.Tenant}
		}).
		Build()
}

func ownedNamespace(name, tenant string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelTenant: tenant, naasv1alpha1.LabelClaim: name,
	}}}
}

func provisionedClaim(name, tenant string) *naasv1alpha1.NamespaceClaim {
	c := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: tenant}}
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: naasv1alpha1.ConditionNamespace, Status: metav1.ConditionTrue, Reason: "Reconciled"})
	return c
}

func TestReconcile_ReadyFollowsNamespacesAndMembers(t *testing.T) {
	shop := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop"}, Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{
		{Kind: naasv1alpha1.SubjectServiceAccount, Namespace: "ci", Name: "deployer", Role: naasv1alpha1.RoleDeveloper},
	}}}
	c := fakeClient(t, shop, provisionedClaim("shop-a", "shop"), ownedNamespace("shop-a", "shop"),
		ownedNamespace("shop-stray", "shop"), ownedNamespace("bank-a", "bank"))
	r := &Reconciler{Client: c, Clusters: cluster.Static{Target: &cluster.Target{Name: "local", Client: c, Reader: c}}}
	ctx := context.Background()
	ready := func() *metav1.Condition {
		t.Helper()
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Name: "shop"}}); err != nil {
			t.Fatal(err)
		}
		got := &naasv1alpha1.Tenant{}
		if err := c.Get(ctx, client.ObjectKey{Name: "shop"}, got); err != nil {
			t.Fatal(err)
		}
		if got.Status.NamespaceCount != 1 {
			t.Errorf("namespaceCount = %d, want 1", got.Status.NamespaceCount)
		}
		return meta.FindStatusCondition(got.Status.Conditions, naasv1alpha1.ConditionReady)
	}

	if got := ready(); got.Status != metav1.ConditionFalse || got.Reason != naasv1alpha1.ReasonNamespacesOrphaned {
		t.Fatalf("with a stray namespace and a member's namespace missing: Ready %s/%s %q", got.Status, got.Reason, got.Message)
	}
	if err := c.Delete(ctx, ownedNamespace("shop-stray", "shop")); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got.Status != metav1.ConditionFalse || got.Reason != naasv1alpha1.ReasonMembersUnresolvable {
		t.Fatalf("with a member's namespace missing: Ready %s/%s %q", got.Status, got.Reason, got.Message)
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ci"}}); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got.Status != metav1.ConditionTrue {
		t.Fatalf("all consistent: Ready %s/%s %q", got.Status, got.Reason, got.Message)
	}
	if err := c.Delete(ctx, ownedNamespace("shop-a", "shop")); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got.Status != metav1.ConditionFalse || got.Reason != naasv1alpha1.ReasonNamespacesMissing {
		t.Fatalf("a provisioned claim's namespace deleted: Ready %s/%s %q", got.Status, got.Reason, got.Message)
	}
}

func TestTenantsOfNamespace_LabelAndMembers(t *testing.T) {
	withCI := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop"}, Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{
		{Kind: naasv1alpha1.SubjectServiceAccount, Namespace: "ci", Name: "deployer", Role: naasv1alpha1.RoleDeveloper},
	}}}
	s := runtime.NewScheme()
	_ = naasv1alpha1.AddToScheme(s)
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(withCI).
		WithIndex(&naasv1alpha1.Tenant{}, cacheindex.TenantServiceAccountNamespace, func(o client.Object) []string {
			return cacheindex.TenantServiceAccountNamespaces(o.(*naasv1alpha1.Tenant))
		}).Build()
	r := &Reconciler{Client: c}
	ns := func(name string, labels map[string]string) client.Object {
		m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
		return m
	}
	names := func(o client.Object) []string {
		var out []string
		for _, r := range r.tenantsOfNamespace(o) {
			out = append(out, r.Name)
		}
		return out
	}
	if got := names(ns("bank-a", ownedNamespace("bank-a", "bank").Labels)); len(got) != 1 || got[0] != "bank" {
		t.Errorf("a namespace labelled for bank maps to %v", got)
	}
	if got := names(ns("ci", nil)); len(got) != 1 || got[0] != "shop" {
		t.Errorf("a member's namespace maps to %v, want shop", got)
	}
	if got := names(ns("other", nil)); len(got) != 0 {
		t.Errorf("an unrelated namespace maps to %v", got)
	}
	quota := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "naas", Namespace: "bank-a", Labels: ownedNamespace("bank-a", "bank").Labels}}
	quota.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ResourceQuota"))
	if got := names(quota); len(got) != 0 {
		t.Errorf("a quota maps to %v, want nothing", got)
	}
}
