package workloadpolicy

import (
	"context"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/platform"
)

// The binding controller's decisions (which bindings each Tenant and Tier has, that one in place is left alone,
// that one edited is put back, that they go with their object) on a fake client: the API server decides nothing
// in them. That the bindings enforce anything is tested on the real control plane in test/integration/admission.

// writes counts the mutating calls made through the client.
type writes struct{ n int }

func newClient(t *testing.T, w *writes, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := naasv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	count := func() { w.n++ }
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(&naasv1alpha1.Tenant{}).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, o client.Object, opts ...client.CreateOption) error {
			count()
			return c.Create(ctx, o, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, o client.Object, opts ...client.UpdateOption) error {
			count()
			return c.Update(ctx, o, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, o client.Object, p client.Patch, opts ...client.PatchOption) error {
			count()
			return c.Patch(ctx, o, p, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, o runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			count()
			return c.Apply(ctx, o, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, o client.Object, opts ...client.DeleteOption) error {
			count()
			return c.Delete(ctx, o, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, o client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			count()
			return c.SubResource(sub).Patch(ctx, o, p, opts...)
		},
	}).Build()
}

func reconcileBinding(t *testing.T, r *BindingReconciler, name string) {
	t.Helper()
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Name: name}}); err != nil {
		t.Fatalf("reconcile %s %s: %v", r.Kind, name, err)
	}
}

func getVAPBinding(t *testing.T, c client.Client, name string) (*admissionregistrationv1.ValidatingAdmissionPolicyBinding, bool) {
	t.Helper()
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	err := c.Get(context.Background(), client.ObjectKey{Name: name}, b)
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}

func TestBindingReconciler_TenantBindingKeptPutBackAndRemoved(t *testing.T) {
	ctx := context.Background()
	shop := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop", UID: "uid-shop"}}
	w := &writes{}
	c := newClient(t, w, shop)
	r := &BindingReconciler{Client: c, Kind: "Tenant"}
	name := platform.TenantBindingName("shop")

	reconcileBinding(t, r, "shop")
	b, ok := getVAPBinding(t, c, name)
	if !ok {
		t.Fatalf("no binding %s for tenant shop", name)
	}
	if b.Spec.PolicyName != platform.PolicyTenantWorkloads || b.Spec.ParamRef == nil || b.Spec.ParamRef.Name != "shop" {
		t.Errorf("binding binds %q with parameter %+v, want %q with tenant shop", b.Spec.PolicyName, b.Spec.ParamRef, platform.PolicyTenantWorkloads)
	}
	if len(b.OwnerReferences) != 1 || b.OwnerReferences[0].UID != shop.UID {
		t.Errorf("owner references %+v, want the tenant", b.OwnerReferences)
	}

	before := w.n
	reconcileBinding(t, r, "shop")
	if w.n != before {
		t.Errorf("a binding in place was written again (%d writes)", w.n-before)
	}

	// Someone points the binding at another tenant's parameter: it is put back.
	b.Spec.ParamRef.Name = "rival"
	if err := c.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	reconcileBinding(t, r, "shop")
	if b, _ := getVAPBinding(t, c, name); b.Spec.ParamRef.Name != "shop" {
		t.Errorf("an edited binding was not put back: parameter %q", b.Spec.ParamRef.Name)
	}

	if err := c.Delete(ctx, shop); err != nil {
		t.Fatal(err)
	}
	reconcileBinding(t, r, "shop")
	if _, ok := getVAPBinding(t, c, name); ok {
		t.Error("the binding outlived its tenant")
	}
	reconcileBinding(t, r, "shop") // nothing left to delete is no error
}

func TestBindingReconciler_TierBindingsFollowWhatTheAPIServerServes(t *testing.T) {
	for _, mutating := range []bool{false, true} {
		dev := &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "dev"}}
		c := newClient(t, &writes{}, dev)
		r := &BindingReconciler{Client: c, Kind: "Tier", MutatingPolicies: mutating}
		reconcileBinding(t, r, "dev")
		name := platform.TierBindingName("dev")
		if b, ok := getVAPBinding(t, c, name); !ok || b.Spec.PolicyName != platform.PolicyTierWorkloads {
			t.Errorf("mutating=%v: no tier workload binding (%v)", mutating, b)
		}
		mb := &admissionregistrationv1.MutatingAdmissionPolicyBinding{}
		err := c.Get(context.Background(), client.ObjectKey{Name: name}, mb)
		switch {
		case mutating && err != nil:
			t.Errorf("mutating=%v: no pull policy binding: %v", mutating, err)
		case mutating && mb.Spec.PolicyName != platform.PolicyTierPullAlways:
			t.Errorf("mutating=%v: the mutating binding binds %q", mutating, mb.Spec.PolicyName)
		case !mutating && !apierrors.IsNotFound(err):
			t.Errorf("mutating=%v: a pull policy binding where the API server serves no MutatingAdmissionPolicy (%v)", mutating, err)
		}

		if err := c.Delete(context.Background(), dev); err != nil {
			t.Fatal(err)
		}
		reconcileBinding(t, r, "dev")
		if _, ok := getVAPBinding(t, c, name); ok {
			t.Errorf("mutating=%v: the tier binding outlived its tier", mutating)
		}
		if err := c.Get(context.Background(), client.ObjectKey{Name: name}, mb); !apierrors.IsNotFound(err) {
			t.Errorf("mutating=%v: the pull policy binding outlived its tier (%v)", mutating, err)
		}
	}
}

func TestBindingReconciler_UnknownKindIsAnError(t *testing.T) {
	r := &BindingReconciler{Client: newClient(t, &writes{}), Kind: "Namespace"}
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Name: "x"}})
	if err == nil || !strings.Contains(err.Error(), `"Namespace"`) {
		t.Errorf("error = %v, want one naming the kind", err)
	}
}
