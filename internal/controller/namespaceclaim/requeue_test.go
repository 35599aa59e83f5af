package namespaceclaim

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// requeued drains q and returns the names of the claims handed over.
func requeued(q claimRequeuer) []string {
	var out []string
	for {
		select {
		case e := <-q:
			out = append(out, e.Object.GetName())
		default:
			return out
		}
	}
}

func notApplicableClaim(name string) *naasv1alpha1.NamespaceClaim {
	return claimObj(name, "shop", "web", withCondition(naasv1alpha1.ConditionMonitoring, metav1.ConditionFalse, naasv1alpha1.ReasonNotApplicable))
}

func TestCRDReconciler_RequeuesTheClaimsACRDMayAffectAndRechecks(t *testing.T) {
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "prometheusrules.monitoring.coreos.com"}}
	other := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"}}
	c := catalog(t, crd, other, notApplicableClaim("waits"), claimObj("ready", "shop", "web"))
	d := newDiscovery(resources("monitoring.coreos.com/v1"))
	kinds := NewServedKinds(d)
	q := make(claimRequeuer, 10)
	r := &crdReconciler{client: c, kinds: kinds, requeue: q}
	ctx := context.Background()
	reconcileCRD := func(name string) ctrl.Result {
		t.Helper()
		res, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Name: name}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	if res := reconcileCRD(crd.Name); res.RequeueAfter != 0 || len(requeued(q)) != 0 {
		t.Fatalf("a group no step asked about: requeue %s, claims %v; want nothing", res.RequeueAfter, requeued(q))
	}
	if _, err := kinds.Missing(ctx, []schema.GroupVersionKind{ruleKind}); err != nil {
		t.Fatal(err)
	}
	asked := d.calls()

	// A new CRD: the claims with a step not applicable, at once and at each recheck, each with discovery asked anew.
	for i, want := range append(recheckAfter, 0) {
		res := reconcileCRD(crd.Name)
		if res.RequeueAfter != want {
			t.Errorf("pass %d: requeue after %s, want %s", i, res.RequeueAfter, want)
		}
		if diff := cmp.Diff([]string{"waits"}, requeued(q)); diff != "" {
			t.Errorf("pass %d: requeued claims (-want +got):\n%s", i, diff)
		}
		if _, err := kinds.Missing(ctx, []schema.GroupVersionKind{ruleKind}); err != nil {
			t.Fatal(err)
		}
		if d.calls() != asked+i+1 {
			t.Errorf("pass %d: discovery asked %d times in all, want %d: the group was not invalidated", i, d.calls(), asked+i+1)
		}
	}
	if other := reconcileCRD(other.Name); other.RequeueAfter != 0 || len(requeued(q)) != 0 {
		t.Errorf("a CRD of another group requeued something")
	}

	// A deleted CRD: every claim, since any may lose a step.
	if err := c.Delete(ctx, crd); err != nil {
		t.Fatal(err)
	}
	res := reconcileCRD(crd.Name)
	if diff := cmp.Diff([]string{"ready", "waits"}, requeued(q)); diff != "" {
		t.Errorf("after the deletion, requeued claims (-want +got):\n%s", diff)
	}
	if res.RequeueAfter != recheckAfter[0] {
		t.Errorf("after the deletion: requeue after %s, want the first recheck %s", res.RequeueAfter, recheckAfter[0])
	}
}

func TestPeersReconciler_RequeuesMeshClaimsNamingTheTenant(t *testing.T) {
	mesh := templateObj("mesh", func(t *naasv1alpha1.NamespaceTemplate) { t.Spec.Features.Mesh = true })
	letsShopIn := func(c *naasv1alpha1.NamespaceClaim) {
		c.Spec.Collaborators = []naasv1alpha1.Collaborator{{Tenant: "shop", AllowIngress: true}}
	}
	objs := []client.Object{templateObj("web"), mesh,
		claimObj("shop-mesh", "shop", "mesh"), claimObj("shop-web", "shop", "web"),
		claimObj("bank-mesh", "bank", "mesh", letsShopIn), claimObj("bank-other", "bank", "mesh")}
	tests := []struct {
		name string
		objs []client.Object
		want []string
	}{
		{name: "the tenant's mesh claims and those that let it in", objs: objs, want: []string{"bank-mesh", "shop-mesh"}},
		{name: "no template turns the mesh on", objs: []client.Object{templateObj("web"), claimObj("shop-web", "shop", "web")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := make(claimRequeuer, 10)
			r := &peersReconciler{client: catalog(t, tt.objs...), requeue: q}
			if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Name: "shop"}}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, requeued(q)); diff != "" {
				t.Errorf("requeued claims (-want +got):\n%s", diff)
			}
		})
	}
}
