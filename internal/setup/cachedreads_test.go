package setup

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// TestCachedReads_ServesListedKindsAsTypedReads checks the routing of cachedReads: an unstructured read of a
// listed kind becomes a typed read (which the manager's client serves from its informers) converted back, with
// apiVersion and kind; any other read passes through as it came.
func TestCachedReads_ServesListedKindsAsTypedReads(t *testing.T) {
	np := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "deny", Labels: map[string]string{"app.kubernetes.io/managed-by": "naas"}},
		Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "app"}}
	var reads []string // the Go types the underlying client was asked to read
	underlying := fake.NewClientBuilder().WithScheme(Scheme()).WithObjects(np, sa).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*unstructured.Unstructured); ok {
				reads = append(reads, "unstructured")
			} else {
				reads = append(reads, "typed")
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
	r, err := newCachedReads(underlying, Scheme(), &networkingv1.NetworkPolicy{})
	if err != nil {
		t.Fatal(err)
	}

	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"})
	if err := r.Get(context.Background(), client.ObjectKeyFromObject(np), got); err != nil {
		t.Fatal(err)
	}
	if got.GetAPIVersion() != "networking.k8s.io/v1" || got.GetKind() != "NetworkPolicy" || got.GetName() != "deny" {
		t.Errorf("read %s %s %s, want networking.k8s.io/v1 NetworkPolicy deny", got.GetAPIVersion(), got.GetKind(), got.GetName())
	}
	types, _, _ := unstructured.NestedStringSlice(got.Object, "spec", "policyTypes")
	if diff := cmp.Diff([]string{"Ingress"}, types); diff != "" {
		t.Errorf("spec.policyTypes (-want +got):\n%s", diff)
	}

	other := &unstructured.Unstructured{}
	other.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "ServiceAccount"})
	if err := r.Get(context.Background(), client.ObjectKeyFromObject(sa), other); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"typed", "unstructured"}, reads); diff != "" {
		t.Errorf("reads of the underlying client (-want +got):\n%s", diff)
	}
}
