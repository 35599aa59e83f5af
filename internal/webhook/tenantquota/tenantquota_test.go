package tenantquota

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/quota"
	"github.com/naas-dev/naas/internal/quota/tenantledger"
)

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func namespace(name, tenant string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelTenant: tenant,
	}}}
}

func pod(ns, name, cpu string) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)},
		}}}},
	}
}

func request(t *testing.T, op admissionv1.Operation, p *corev1.Pod, dryRun bool) admission.Request {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	req := admissionv1.AdmissionRequest{
		UID: "req", Operation: op, Namespace: p.Namespace, Name: p.Name, DryRun: ptr.To(dryRun),
		Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Kind:     metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
	}
	if op == admissionv1.Delete {
		req.OldObject = runtime.RawExtension{Raw: raw}
	} else {
		req.Object = runtime.RawExtension{Raw: raw}
	}
	return admission.Request{AdmissionRequest: req}
}

// validator is the webhook over a fake cluster holding tenant acme (quota: 1 CPU, 2 pods) with namespaces a and
// b, tenant free (no quota) with namespace f, and the pods given. The ledgers live in the same fake cluster.
func validator(t *testing.T, pods ...client.Object) (*Validator, client.Client) {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := naasv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	objs := append([]client.Object{
		&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "acme-uid"}, Spec: naasv1alpha1.TenantSpec{
			Quota: corev1.ResourceList{corev1.ResourceRequestsCPU: resource.MustParse("1"), corev1.ResourcePods: resource.MustParse("2")},
		}},
		&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "free"}},
		namespace("a", "acme"), namespace("b", "acme"), namespace("f", "free"),
	}, pods...)
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
	return &Validator{
		Client: c, Reader: c, Ledgers: tenantledger.NewStore(c, "naas-system"), Counter: &tenantledger.Counter{Reader: c},
		Decoder: admission.NewDecoder(s), Clock: func() time.Time { return now },
	}, c
}

func ledger(t *testing.T, v *Validator) *quota.Ledger {
	t.Helper()
	l, err := v.Ledgers.Read(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestValidator_ReservesAcrossNamespacesAndRefusesOverTheCap(t *testing.T) {
	ctx := context.Background()
	v, _ := validator(t, pod("a", "running", "500m"))
	if res := v.Handle(ctx, request(t, admissionv1.Create, pod("b", "fits", "400m"), false)); !res.Allowed {
		t.Fatalf("a pod within the tenant quota was refused: %v", res.Result)
	}
	l := ledger(t, v)
	if len(l.Pending) != 1 || l.Pending[0].Key != "pods/b/fits" || l.Pending[0].UID != "uid-fits" {
		t.Errorf("pending = %+v, want the charge of pods/b/fits", l.Pending)
	}
	res := v.Handle(ctx, request(t, admissionv1.Create, pod("a", "over", "200m"), false))
	if res.Allowed || res.Result.Code != 403 || !strings.Contains(res.Result.Message,
		`tenant "acme" would exceed its tenant-wide quota (spec.quota, the sum over all its namespaces): requested pods=1, requests.cpu=200m; already used pods=2, requests.cpu=900m; limited to pods=2, requests.cpu=1`) {
		t.Errorf("a pod over the tenant quota: allowed=%v %+v", res.Allowed, res.Result)
	}
}

func TestValidator_DryRunReservesNothing(t *testing.T) {
	v, _ := validator(t)
	if res := v.Handle(context.Background(), request(t, admissionv1.Create, pod("a", "dry", "100m"), true)); !res.Allowed {
		t.Fatalf("dry run refused: %v", res.Result)
	}
	if l := ledger(t, v); len(l.Pending) != 0 {
		t.Errorf("a dry run reserved %+v", l.Pending)
	}
}

func TestValidator_NamespacesWithoutTenantQuotaTouchNoLedger(t *testing.T) {
	v, c := validator(t)
	if res := v.Handle(context.Background(), request(t, admissionv1.Create, pod("f", "p", "100"), false)); !res.Allowed {
		t.Fatalf("a pod of a tenant without quota was refused: %v", res.Result)
	}
	if res := v.Handle(context.Background(), request(t, admissionv1.Create, pod("elsewhere", "p", "100"), false)); !res.Allowed {
		t.Fatalf("a pod outside naas's namespaces was refused: %v", res.Result)
	}
	list := &corev1.ConfigMapList{}
	if err := c.List(context.Background(), list, client.InNamespace("naas-system")); err != nil || len(list.Items) != 0 {
		t.Errorf("ledgers written: %d (%v)", len(list.Items), err)
	}
}

func TestValidator_DeletionMarksTheChargeWrittenAndIsNeverRefused(t *testing.T) {
	ctx := context.Background()
	v, _ := validator(t)
	p := pod("a", "short-lived", "100m")
	if res := v.Handle(ctx, request(t, admissionv1.Create, p, false)); !res.Allowed {
		t.Fatal(res.Result)
	}
	if res := v.Handle(ctx, request(t, admissionv1.Delete, p, false)); !res.Allowed {
		t.Fatalf("a deletion was refused: %v", res.Result)
	}
	if l := ledger(t, v); len(l.Pending) != 1 || !l.Pending[0].Persisted {
		t.Errorf("pending = %+v, want the charge marked as written, for the next count to release", l.Pending)
	}
}

// fleet is a tenantledger.Fleet of fixed members.
type fleet []tenantledger.Member

func (f fleet) Members(context.Context, string) ([]tenantledger.Member, error) { return f, nil }

func placed(name, tenant, cluster string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: tenant}, Status: naasv1alpha1.NamespaceClaimStatus{Cluster: cluster}}
}

func TestValidator_MemberRequestsAreChargedToTheClaimsTenantAndCountedOverTheFleet(t *testing.T) {
	ctx := context.Background()
	v, c := validator(t, placed("m", "acme", "member-1"))
	s := c.Scheme()
	member := fake.NewClientBuilder().WithScheme(s).WithObjects(namespace("m", "acme"), pod("m", "there", "900m")).Build()
	v.Counter.Fleet = fleet{{Cluster: "member-1", Reader: member, Holds: true}}

	// The pod on member-1 counts: 900m there, 200m more would take acme over 1 CPU.
	res := v.Handle(WithCluster(ctx, "member-1"), request(t, admissionv1.Create, pod("m", "more", "200m"), false))
	if res.Allowed || !strings.Contains(res.Result.Message, "already used requests.cpu=900m") {
		t.Errorf("a pod on member-1 over the quota counted over the fleet: allowed=%v %+v", res.Allowed, res.Result)
	}
	if res := v.Handle(WithCluster(ctx, "member-1"), request(t, admissionv1.Create, pod("m", "fits", "100m"), false)); !res.Allowed {
		t.Errorf("a pod on member-1 within the quota: %+v", res.Result)
	}
	// A namespace of that name on another member is not the claim's: nothing is charged to acme.
	before := ledger(t, v)
	if res := v.Handle(WithCluster(ctx, "member-2"), request(t, admissionv1.Create, pod("m", "big", "5"), false)); !res.Allowed {
		t.Errorf("a pod in a namespace whose claim is placed elsewhere: %+v", res.Result)
	}
	if after := ledger(t, v); len(after.Pending) != len(before.Pending) {
		t.Errorf("a pod on member-2 was charged to acme: %+v", after.Pending)
	}
}

func TestValidator_RefusesGrowthWhenAMemberHoldingTheTenantCannotBeRead(t *testing.T) {
	ctx := context.Background()
	v, _ := validator(t, placed("m", "acme", "member-1"))
	v.Counter.Fleet = fleet{
		{Cluster: "member-1", Err: errors.New("dial tcp 10.0.0.1:6443: i/o timeout"), Holds: true},
	}
	res := v.Handle(WithCluster(ctx, "member-1"), request(t, admissionv1.Create, pod("m", "p", "100m"), false))
	if res.Allowed || res.Result.Code != 403 || !strings.Contains(res.Result.Message, "cluster member-1, which naas cannot read now") ||
		strings.Contains(res.Result.Message, "10.0.0.1") {
		t.Errorf("a pod while member-1 cannot be read: allowed=%v %+v, want 403 saying why without the member's address", res.Allowed, res.Result)
	}
	// A member that holds none of the tenant's namespaces does not stop it.
	v.Counter.Fleet = fleet{{Cluster: "member-2", Err: errors.New("timeout")}}
	if res := v.Handle(ctx, request(t, admissionv1.Create, pod("a", "p", "100m"), false)); !res.Allowed {
		t.Errorf("a pod while a member without the tenant's namespaces cannot be read: %+v", res.Result)
	}
}
