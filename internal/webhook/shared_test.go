package webhook

import (
	"context"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// tenantReader serves Gets of the tenants it holds and counts them; it stands in for the manager's cache, whose
// reads are not what these tests are about.
type tenantReader struct {
	tenants map[string]naasv1alpha1.Tenant
	gets    int
}

func (r *tenantReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	r.gets++
	t, ok := r.tenants[key.Name]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{Group: naasv1alpha1.GroupVersion.Group, Resource: "tenants"}, key.Name)
	}
	*obj.(*naasv1alpha1.Tenant) = t
	return nil
}

func (r *tenantReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return nil
}

type stepFunc func(ctx context.Context, req admission.Request) admission.Response

func (f stepFunc) Handle(ctx context.Context, req admission.Request) admission.Response {
	return f(ctx, req)
}

func TestSharedDecodesAndReadsOncePerChainRequest(t *testing.T) {
	scheme := runtime.NewScheme()
	utilruntime.Must(naasv1alpha1.AddToScheme(scheme))
	dec := admission.NewDecoder(scheme)
	raw := func(tenant string) runtime.RawExtension {
		return runtime.RawExtension{Raw: []byte(`{"apiVersion":"naas.dev/v1alpha1","kind":"NamespaceClaim","metadata":{"name":"checkout"},"spec":{"tenant":"` + tenant + `"}}`)}
	}
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: admissionv1.Update, Object: raw("payments"), OldObject: raw("search"),
	}}
	reader := &tenantReader{tenants: map[string]naasv1alpha1.Tenant{"payments": {ObjectMeta: metav1.ObjectMeta{Name: "payments"}}}}

	type seen struct {
		claim, old      *naasv1alpha1.NamespaceClaim
		tenant, missing *naasv1alpha1.Tenant
	}
	var steps []seen
	step := stepFunc(func(ctx context.Context, req admission.Request) admission.Response {
		var s seen
		var err error
		if s.claim, err = Object[naasv1alpha1.NamespaceClaim](ctx, dec, req); err != nil {
			t.Fatal(err)
		}
		if s.old, err = OldObject[naasv1alpha1.NamespaceClaim](ctx, dec, req); err != nil {
			t.Fatal(err)
		}
		if s.tenant, err = Get[naasv1alpha1.Tenant](ctx, reader, s.claim.Spec.Tenant); err != nil {
			t.Fatal(err)
		}
		if s.missing, err = Get[naasv1alpha1.Tenant](ctx, reader, s.old.Spec.Tenant); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, s)
		return admission.Allowed("")
	})

	if res := Chain(Step{Handler: step}, Step{Handler: step}).Handle(context.Background(), req); !res.Allowed {
		t.Fatalf("chain denied: %+v", res.Result)
	}
	first, second := steps[0], steps[1]
	if first.claim.Spec.Tenant != "payments" || first.old.Spec.Tenant != "search" {
		t.Fatalf("decoded object tenant %q and old object tenant %q, want payments and search", first.claim.Spec.Tenant, first.old.Spec.Tenant)
	}
	if first.tenant == nil || first.tenant.Name != "payments" || first.missing != nil {
		t.Fatalf("read tenant %v and missing tenant %v, want payments and nil", first.tenant, first.missing)
	}
	if second.claim != first.claim || second.old != first.old || second.tenant != first.tenant {
		t.Error("the second step of the chain got objects of its own: the chain's steps must share them")
	}
	if reader.gets != 2 {
		t.Errorf("%d reads for two steps that each read two tenants, one of them missing: want 2, once per name", reader.gets)
	}

	// Outside a chain nothing is shared: each call decodes and reads.
	ctx := context.Background()
	a, _ := Object[naasv1alpha1.NamespaceClaim](ctx, dec, req)
	b, _ := Object[naasv1alpha1.NamespaceClaim](ctx, dec, req)
	if a == b {
		t.Error("outside a chain two decodes returned the same object")
	}
	reader.gets = 0
	_, _ = Get[naasv1alpha1.Tenant](ctx, reader, "payments")
	_, _ = Get[naasv1alpha1.Tenant](ctx, reader, "payments")
	if reader.gets != 2 {
		t.Errorf("outside a chain: %d reads for two Gets, want 2", reader.gets)
	}
	if got, err := Get[naasv1alpha1.Tenant](ctx, reader, ""); got != nil || err != nil || reader.gets != 2 {
		t.Errorf("Get of no name: %v, %v after %d reads; want nil, nil without a read", got, err, reader.gets)
	}

	// A request without an object is an error, in a chain as outside.
	bad := stepFunc(func(ctx context.Context, req admission.Request) admission.Response {
		if _, err := Object[naasv1alpha1.NamespaceClaim](ctx, dec, req); err == nil {
			t.Error("decoding an empty object succeeded")
		}
		return admission.Allowed("")
	})
	Chain(Step{Handler: bad}).Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{Operation: admissionv1.Create}})
}
