package inventory_test

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/metadata"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/inventory"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) {
	testenv.Main(m, &env, testenv.Options{NoControllerManager: true})
}

const (
	labelManagedBy = "app.kubernetes.io/managed-by"
	labelClaim     = "naas.dev/claim"
)

func options() inventory.Options {
	managed := labels.SelectorFromSet(labels.Set{labelManagedBy: "naas"})
	return inventory.Options{
		Kinds: []inventory.Kind{
			{GVK: corev1.SchemeGroupVersion.WithKind("Namespace"), Resource: "namespaces", ClusterScoped: true},
			{GVK: corev1.SchemeGroupVersion.WithKind("ResourceQuota"), Resource: "resourcequotas", Selector: managed},
		},
		Labels:          []string{labelManagedBy, labelClaim},
		StampAnnotation: apply.AnnotationApplied,
		Untouched:       apply.Untouched,
		UntouchedFields: apply.UntouchedFields,
		TouchedFields:   apply.TouchedFields,
	}
}

// events records what an inventory's source tells, as claim names.
type events struct {
	mu    sync.Mutex
	names []string
}

func (e *events) toRequests(o client.Object) []reconcile.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names = append(e.names, o.GetLabels()[labelClaim])
	return nil
}

func (e *events) saw(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, n := range e.names {
		if n == name {
			return true
		}
	}
	return false
}

func (e *events) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names = nil
}

func start(t *testing.T) (*inventory.Inventory, *events) {
	t.Helper()
	mc, err := metadata.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.New(mc, options())
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	if err := inv.Source(ev.toRequests).Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- inv.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("inventory stopped: %v", err)
		}
	})
	return inv, ev
}

func quota(ns string, managed bool) *corev1.ResourceQuota {
	q := &corev1.ResourceQuota{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ResourceQuota"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "naas-quota", Labels: map[string]string{labelClaim: ns}},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")}},
	}
	if managed {
		q.Labels[labelManagedBy] = "naas"
	}
	return q
}

func getMetadata(ctx context.Context, inv *inventory.Inventory, kind, ns, name string) (*metav1.PartialObjectMetadata, error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind(kind))
	return m, inv.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, m)
}

// TestInventory_TracksWhatNaasAppliedAndTellsOfEveryoneElsesChanges applies a quota as naas does and checks that
// the inventory shows it in place, then that an edit by someone else, and the deletion, are told and shown.
func TestInventory_TracksWhatNaasAppliedAndTellsOfEveryoneElsesChanges(t *testing.T) {
	ctx := testenv.Context(t)
	inv, ev := start(t)
	if err := inv.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "inv-tracked"}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}

	u, err := apply.ToUnstructured(quota(ns.Name, true))
	if err != nil {
		t.Fatal(err)
	}
	stamp, err := apply.Stamp(u)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(apply.FieldOwner), client.ForceOwnership); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "the applied quota is in place and told", func() error {
		m, err := getMetadata(ctx, inv, "ResourceQuota", ns.Name, "naas-quota")
		if err != nil {
			return err
		}
		if !apply.InPlace(m, stamp) || m.Labels[labelClaim] != ns.Name || m.UID == "" {
			return testenv.Errorf("not in place: labels %v, annotations %v, managed fields %v", m.Labels, m.Annotations, m.ManagedFields)
		}
		if !ev.saw(ns.Name) {
			return testenv.Errorf("the source was not told")
		}
		return nil
	})

	// Someone else's edit: the inventory no longer shows the quota in place, and tells.
	ev.reset()
	q := &corev1.ResourceQuota{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "naas-quota"}, q); err != nil {
		t.Fatal(err)
	}
	q.Spec.Hard[corev1.ResourcePods] = resource.MustParse("50")
	if err := env.Client.Update(ctx, q, client.FieldOwner("kubectl-edit")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "the edit is told", func() error {
		m, err := getMetadata(ctx, inv, "ResourceQuota", ns.Name, "naas-quota")
		if err != nil {
			return err
		}
		if apply.InPlace(m, stamp) {
			return testenv.Errorf("still in place after kubectl-edit's change: %v", m.ManagedFields)
		}
		if !ev.saw(ns.Name) {
			return testenv.Errorf("the source was not told")
		}
		return nil
	})

	// The deletion is told with the labels the object had.
	ev.reset()
	if err := env.Client.Delete(ctx, q); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "the deletion is told", func() error {
		if _, err := getMetadata(ctx, inv, "ResourceQuota", ns.Name, "naas-quota"); !apierrors.IsNotFound(err) {
			return testenv.Errorf("get after delete: %v, want not found", err)
		}
		if !ev.saw(ns.Name) {
			return testenv.Errorf("the source was not told with the claim label")
		}
		return nil
	})
}

// TestInventory_ListsBySelectorAndKeepsOnlyWhatItIsAskedTo checks that only selected objects are tracked, that
// lists filter by namespace and tracked labels, and that reads it cannot answer fail rather than answer wrongly.
func TestInventory_ListsBySelectorAndKeepsOnlyWhatItIsAskedTo(t *testing.T) {
	ctx := testenv.Context(t)
	inv, _ := start(t)
	for _, name := range []string{"inv-list-a", "inv-list-b"} {
		if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Client.Create(ctx, quota("inv-list-a", true)); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, quota("inv-list-b", false)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "naas's quota listed, the other not tracked", func() error {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ResourceQuotaList"))
		if err := inv.List(ctx, list, client.MatchingLabels{labelClaim: "inv-list-a"}); err != nil {
			return err
		}
		if len(list.Items) != 1 || list.Items[0].Namespace != "inv-list-a" {
			return testenv.Errorf("listed %v, want the quota of inv-list-a", list.Items)
		}
		if _, err := getMetadata(ctx, inv, "ResourceQuota", "inv-list-b", "naas-quota"); !apierrors.IsNotFound(err) {
			return testenv.Errorf("an unselected quota is tracked: %v", err)
		}
		// Every namespace is tracked, naas's or not.
		if _, err := getMetadata(ctx, inv, "Namespace", "", "inv-list-b"); err != nil {
			return err
		}
		return nil
	})

	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ResourceQuotaList"))
	if err := inv.List(ctx, list, client.InNamespace("inv-list-a"), client.MatchingLabels{"team": "a"}); err == nil {
		t.Error("a list selecting by a label the inventory does not keep answered")
	}
	if err := inv.Get(ctx, client.ObjectKey{Namespace: "inv-list-a", Name: "naas-quota"}, &corev1.ResourceQuota{}); err == nil {
		t.Error("a typed read answered: the inventory keeps metadata only")
	}
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	if err := inv.Get(ctx, client.ObjectKey{Namespace: "inv-list-a", Name: "x"}, m); err == nil || apierrors.IsNotFound(err) {
		t.Errorf("a read of a kind not tracked: %v, want an error other than not found", err)
	}
}

func TestNew_RefusesIncompleteOptions(t *testing.T) {
	opts := options()
	opts.Untouched = nil
	if _, err := inventory.New(nil, opts); err == nil {
		t.Error("New without Untouched succeeded")
	}
	opts = options()
	opts.Kinds = append(opts.Kinds, inventory.Kind{GVK: corev1.SchemeGroupVersion.WithKind("Secret")})
	if _, err := inventory.New(nil, opts); err == nil {
		t.Error("New with a kind without its resource succeeded")
	}
}
