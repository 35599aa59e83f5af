package inventory

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var (
	quotaGVK     = schema.GroupVersionKind{Version: "v1", Kind: "ResourceQuota"}
	namespaceGVK = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
)

func testInventory(t *testing.T) (*Inventory, *[]string) {
	t.Helper()
	inv, err := New(nil, Options{
		Kinds: []Kind{
			{GVK: namespaceGVK, Resource: "namespaces", ClusterScoped: true},
			{GVK: quotaGVK, Resource: "resourcequotas"},
		},
		Labels:          []string{"naas.dev/claim"},
		StampAnnotation: "naas.dev/applied",
		Untouched: func(mf []metav1.ManagedFieldsEntry) bool {
			return len(mf) == 0 || mf[0].Manager == "naas"
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	inv.handlers = append(inv.handlers, func(o client.Object) {
		told = append(told, o.GetNamespace()+"/"+o.GetName())
	})
	return inv, &told
}

func object(ns, name, stamp, manager string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns, Name: name, UID: types.UID("6f1c2b9e-8a4d-4c1e-9f0a-0123456789ab"),
		Labels:        map[string]string{"naas.dev/claim": ns, "team": "payments"},
		Annotations:   map[string]string{"naas.dev/applied": stamp, "note": "x"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: manager}},
	}}
}

const stamp = "abcdefghijklmnopqrst"

// TestStore_TellsOnlyChangesOfWhatItKeeps drives the store as a reflector does: a list, watch events, a relist
// after which objects changed or disappeared; sources are told exactly of the changes to what it keeps.
func TestStore_TellsOnlyChangesOfWhatItKeeps(t *testing.T) {
	inv, told := testInventory(t)
	s := inv.kinds[quotaGVK]
	if err := s.Replace([]any{object("a", "naas-quota", stamp, "naas"), object("b", "naas-quota", stamp, "naas")}, "1"); err != nil {
		t.Fatal(err)
	}
	if len(*told) != 2 || !s.synced.Load() {
		t.Fatalf("after the first list: told %v", *told)
	}
	*told = nil

	// A change of a label naas does not keep, or of an annotation other than the stamp, is not told.
	other := object("a", "naas-quota", stamp, "naas")
	other.Labels["team"] = "checkout"
	other.Annotations["note"] = "y"
	if err := s.Update(other); err != nil {
		t.Fatal(err)
	}
	if len(*told) != 0 {
		t.Errorf("told of a change of what it does not keep: %v", *told)
	}
	// Someone else's edit is.
	if err := s.Update(object("a", "naas-quota", stamp, "kubectl-edit")); err != nil {
		t.Fatal(err)
	}
	if len(*told) != 1 || (*told)[0] != "a/naas-quota" {
		t.Errorf("told %v, want a/naas-quota", *told)
	}
	*told = nil

	// A relist in which b disappeared and c appeared.
	if err := s.Replace([]any{object("a", "naas-quota", stamp, "kubectl-edit"), object("c", "naas-quota", stamp, "naas")}, "2"); err != nil {
		t.Fatal(err)
	}
	if len(*told) != 2 {
		t.Errorf("told %v after the relist, want b and c", *told)
	}

	ctx := context.Background()
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(quotaGVK)
	if err := inv.Get(ctx, client.ObjectKey{Namespace: "a", Name: "naas-quota"}, m); err != nil {
		t.Fatal(err)
	}
	if m.Annotations["naas.dev/applied"] != stamp || m.Labels["naas.dev/claim"] != "a" || m.Labels["team"] != "" ||
		m.UID != "6f1c2b9e-8a4d-4c1e-9f0a-0123456789ab" || len(m.ManagedFields) != 0 {
		t.Errorf("read back %+v", m.ObjectMeta)
	}
	if err := inv.Get(ctx, client.ObjectKey{Namespace: "b", Name: "naas-quota"}, m); err == nil {
		t.Error("b is still there after the relist")
	}
	if err := s.Delete(object("c", "naas-quota", stamp, "naas")); err != nil {
		t.Fatal(err)
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(quotaGVK.GroupVersion().WithKind("ResourceQuotaList"))
	if err := inv.List(ctx, list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Namespace != "a" {
		t.Errorf("listed %v, want a's quota only", list.Items)
	}
}

// TestStore_ClusterScopedObjectsAreFoundByName checks namespaces, kept by name.
func TestStore_ClusterScopedObjectsAreFoundByName(t *testing.T) {
	inv, _ := testInventory(t)
	s := inv.kinds[namespaceGVK]
	if err := s.Replace([]any{object("", "team-a", "", "naas"), object("", "team-b", "too-short", "naas")}, "1"); err != nil {
		t.Fatal(err)
	}
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(namespaceGVK)
	if err := inv.Get(context.Background(), client.ObjectKey{Name: "team-b"}, m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Annotations["naas.dev/applied"]; ok {
		t.Errorf("a stamp of the wrong length was kept: %v", m.Annotations)
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(namespaceGVK.GroupVersion().WithKind("NamespaceList"))
	if err := inv.List(context.Background(), list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || list.Items[0].Name != "team-a" || list.Items[0].Namespace != "" {
		t.Errorf("listed %v", list.Items)
	}
}
