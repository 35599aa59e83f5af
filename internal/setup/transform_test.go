package setup

import (
	"runtime"
	"testing"
	"unique"
	"unsafe"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func sameString(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

// decoded returns a copy of s in memory of its own, as JSON decoding makes it.
func decoded(s string) string { return string([]byte(s)) }

func claimWithStatus(name string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels:        map[string]string{decoded("naas.dev/tenant"): decoded("payments")},
			Annotations:   map[string]string{lastApplied: `{"spec":{}}`, "note": decoded("hello")},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
		},
		Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: decoded("payments")},
		Status: naasv1alpha1.NamespaceClaimStatus{Conditions: []metav1.Condition{
			{Type: decoded("Valid"), Status: "True", Reason: decoded("Reconciled"), Message: decoded("the tenant is valid")},
			{Type: decoded("NamespaceReady"), Status: "True", Reason: decoded("Reconciled"), Message: decoded("Namespace/" + name + " in place")},
		}},
	}
}

func TestLeanObject_SharesRepeatedStringsAndDropsWhatNaasNeverReads(t *testing.T) {
	// Handles keep the shared copies alive across a collection during the test (see package intern).
	handles := []unique.Handle[string]{unique.Make("payments"), unique.Make("the tenant is valid"), unique.Make("Reconciled")}
	defer runtime.KeepAlive(handles)
	transform := leanObject()
	a, _ := transform(claimWithStatus("app-a"))
	b, _ := transform(claimWithStatus("app-b"))
	ca, cb := a.(*naasv1alpha1.NamespaceClaim), b.(*naasv1alpha1.NamespaceClaim)
	if ca.ManagedFields != nil || ca.Annotations[lastApplied] != "" {
		t.Errorf("managed fields %v and last-applied %q kept", ca.ManagedFields, ca.Annotations[lastApplied])
	}
	if ca.Annotations["note"] != "hello" || ca.Labels["naas.dev/tenant"] != "payments" {
		t.Errorf("labels %v or annotations %v changed", ca.Labels, ca.Annotations)
	}
	for _, pair := range [][2]string{
		{ca.Spec.Tenant, cb.Spec.Tenant},
		{ca.Labels["naas.dev/tenant"], cb.Labels["naas.dev/tenant"]},
		{ca.Status.Conditions[0].Message, cb.Status.Conditions[0].Message},
		{ca.Status.Conditions[1].Reason, cb.Status.Conditions[1].Reason},
	} {
		if !sameString(pair[0], pair[1]) {
			t.Errorf("%q is not shared between the claims", pair[0])
		}
	}
	if got := ca.Status.Conditions[1].Message; got != "Namespace/app-a in place" {
		t.Errorf("message of the claim's own namespace: %q", got)
	}
}
