package apply

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func quota(hard string, annotations map[string]any) *unstructured.Unstructured {
	md := map[string]any{"name": "naas-quota", "namespace": "team-a"}
	if annotations != nil {
		md["annotations"] = annotations
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ResourceQuota", "metadata": md,
		"spec": map[string]any{"hard": map[string]any{"pods": hard}},
	}}
}

func TestStamp(t *testing.T) {
	a, err := Stamp(quota("10", nil))
	if err != nil {
		t.Fatal(err)
	}
	obj := quota("10", map[string]any{"team": "payments"})
	withAnnotation, _ := Stamp(obj)
	again, _ := Stamp(obj)
	other, _ := Stamp(quota("20", nil))
	switch {
	case a == "" || len(a) != 20:
		t.Errorf("stamp %q: want 20 characters", a)
	case a == withAnnotation:
		t.Error("an annotation of the desired object does not change the stamp")
	case withAnnotation != again:
		t.Errorf("stamping twice changed the stamp: %q, then %q", withAnnotation, again)
	case a == other:
		t.Error("a changed value does not change the stamp")
	}
	if got := obj.GetAnnotations(); got[AnnotationApplied] != withAnnotation || got["team"] != "payments" {
		t.Errorf("annotations after Stamp: %v", got)
	}
}

func TestInPlace(t *testing.T) {
	naas := metav1.ManagedFieldsEntry{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationApply}
	tests := []struct {
		name    string
		stamp   string
		managed []metav1.ManagedFieldsEntry
		want    bool
	}{
		{"stamped and applied by naas only", "abc", []metav1.ManagedFieldsEntry{naas}, true},
		{"no managed fields recorded", "abc", nil, true},
		{"status written by kube-controller-manager", "abc", []metav1.ManagedFieldsEntry{naas,
			{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status"}}, true},
		{"other stamp: naas wants something else now", "old", []metav1.ManagedFieldsEntry{naas}, false},
		{"no stamp: made before stamps, or the annotation was removed", "", []metav1.ManagedFieldsEntry{naas}, false},
		{"edited by kubectl", "abc", []metav1.ManagedFieldsEntry{naas,
			{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate}}, false},
		{"applied by someone else", "abc", []metav1.ManagedFieldsEntry{naas,
			{Manager: "argocd", Operation: metav1.ManagedFieldsOperationApply}}, false},
		{"updated by naas without apply", "abc", []metav1.ManagedFieldsEntry{naas,
			{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationUpdate}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := &metav1.ObjectMeta{ManagedFields: tt.managed}
			if tt.stamp != "" {
				live.Annotations = map[string]string{AnnotationApplied: tt.stamp}
			}
			if got := InPlace(live, "abc"); got != tt.want {
				t.Errorf("InPlace = %v, want %v", got, tt.want)
			}
		})
	}
}
