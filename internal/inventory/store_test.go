package inventory

import (
	"context"
	"slices"
	"testing"
	"unsafe"

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

// TestStore_KindsShareAShelfWithoutDisturbingEachOther lists, relists and deletes one kind on shelves that hold
// another kind's entries too (a namespace and the quota in it).
func TestStore_KindsShareAShelfWithoutDisturbingEachOther(t *testing.T) {
	inv, told := testInventory(t)
	namespaces, quotas := inv.kinds[namespaceGVK], inv.kinds[quotaGVK]
	if err := namespaces.Replace([]any{object("", "a", stamp, "naas"), object("", "b", stamp, "naas")}, "1"); err != nil {
		t.Fatal(err)
	}
	if err := quotas.Replace([]any{object("a", "naas-quota", stamp, "naas"), object("a", "extra", stamp, "naas")}, "1"); err != nil {
		t.Fatal(err)
	}
	*told = nil
	// A relist of quotas in which a's extra quota disappeared and b gained one.
	if err := quotas.Replace([]any{object("a", "naas-quota", stamp, "naas"), object("b", "naas-quota", stamp, "naas")}, "2"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a/extra", "b/naas-quota"}; !slices.Equal(sorted(*told), want) {
		t.Errorf("told %v, want %v", *told, want)
	}
	if err := namespaces.Delete(object("", "a", stamp, "naas")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	quotaList := &metav1.PartialObjectMetadataList{}
	quotaList.SetGroupVersionKind(quotaGVK.GroupVersion().WithKind("ResourceQuotaList"))
	if err := inv.List(ctx, quotaList); err != nil {
		t.Fatal(err)
	}
	if got := names(quotaList.Items); !slices.Equal(got, []string{"a/naas-quota", "b/naas-quota"}) {
		t.Errorf("quotas %v after the namespace a left the inventory", got)
	}
	nsList := &metav1.PartialObjectMetadataList{}
	nsList.SetGroupVersionKind(namespaceGVK.GroupVersion().WithKind("NamespaceList"))
	if err := inv.List(ctx, nsList); err != nil {
		t.Fatal(err)
	}
	if got := names(nsList.Items); !slices.Equal(got, []string{"/b"}) {
		t.Errorf("namespaces %v, want b alone", got)
	}
	// Deleting the last quotas empties the shelves; the namespace b stays.
	for _, ns := range []string{"a", "b"} {
		if err := quotas.Delete(object(ns, "naas-quota", stamp, "naas")); err != nil {
			t.Fatal(err)
		}
	}
	if len(inv.shelves.by) != 1 || len(inv.shelves.by["b"]) != 1 {
		t.Errorf("shelves %v, want b's namespace alone", inv.shelves.by)
	}
}

func TestStore_KeepsStampsDecodedAndOnlyWellFormedOnes(t *testing.T) {
	if size := unsafe.Sizeof(entry{}); size != 64 {
		t.Errorf("an entry is %d bytes, want 64", size)
	}
	tests := []struct {
		stamp string
		kept  bool
	}{
		{stamp: stamp, kept: true},
		{stamp: "Zm9vYmFyYmF6cXV4LV8x", kept: true},
		{stamp: "too-short", kept: false},
		{stamp: "abcdefghijklmnopqrs!", kept: false}, // not base64url
		{stamp: "abcdefghijklmnopqrs\n", kept: false},
		{stamp: "abcdefghijklmnopqrs+", kept: false}, // base64, not base64url
	}
	for _, tt := range tests {
		inv, _ := testInventory(t)
		if err := inv.kinds[quotaGVK].Replace([]any{object("a", "q", tt.stamp, "naas")}, "1"); err != nil {
			t.Fatal(err)
		}
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(quotaGVK)
		if err := inv.Get(context.Background(), client.ObjectKey{Namespace: "a", Name: "q"}, m); err != nil {
			t.Fatal(err)
		}
		got, ok := m.Annotations["naas.dev/applied"]
		if ok != tt.kept || (ok && got != tt.stamp) {
			t.Errorf("stamp %q read back as %q (kept %v), want kept %v", tt.stamp, got, ok, tt.kept)
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func names(items []metav1.PartialObjectMetadata) []string {
	var out []string
	for _, m := range items {
		out = append(out, m.Namespace+"/"+m.Name)
	}
	return out
}
