package hostnames

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stypes "k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
)

// calls records the API calls a client makes, as "VERB name" (LIST with its labels).
type calls struct {
	client.Client
	mu  sync.Mutex
	log []string
}

func (c *calls) record(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, s)
}

func (c *calls) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.log
	c.log = nil
	sort.Strings(out)
	return out
}

func (c *calls) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.record("GET " + key.Name)
	return c.Client.Get(ctx, key, obj, opts...)
}

func (c *calls) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	o := &client.ListOptions{}
	o.ApplyOptions(opts)
	c.record("LIST " + o.LabelSelector.String())
	return c.Client.List(ctx, list, opts...)
}

func (c *calls) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	c.record("CREATE " + obj.GetName())
	return c.Client.Create(ctx, obj, opts...)
}

func (c *calls) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	c.record("UPDATE " + obj.GetName())
	return c.Client.Update(ctx, obj, opts...)
}

func (c *calls) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.record("DELETE " + obj.GetName())
	return c.Client.Delete(ctx, obj, opts...)
}

func scheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := naasv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func claimWith(name string, hosts ...string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: k8stypes.UID("uid-" + name)},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: "t", Hostnames: hosts},
	}
}

// An admission reads and writes the ledgers of its own hostnames' keys and reads those of their ancestors: a
// bounded number of small objects, however many hostnames the ledgers hold (50,000 here, over 1,000 tenant
// domains): its own ledger, and the ledgers of its key's ancestors in one list. Only a wildcard lists, by label, the
// ledgers below its own key as well.
func TestReserve_TouchesOnlyTheLedgersOfItsKeysAmong50000(t *testing.T) {
	ctx := context.Background()
	const held, tenants = 50000, 1000
	base := fake.NewClientBuilder().WithScheme(scheme(t)).Build()
	ledgers := newMemory()
	now := time.Now()
	fill := NewStore(ledgers, "naas-system")
	for i := range tenants {
		key := fmt.Sprintf("t%d.apps.example.com", i)
		if err := fill.Change(ctx, key, false, func(l *domains.Ledger) (bool, error) {
			for j := i; j < held; j += tenants {
				l.Reservations = append(l.Reservations, domains.Reservation{
					Hostname: fmt.Sprintf("ns-%d.%s", j, key), Namespace: fmt.Sprintf("ns-%d", j), At: metav1.NewTime(now)})
			}
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	api := &calls{Client: ledgers}
	v := &Validator{Client: base, Reader: base, Ledgers: NewStore(api, "naas-system"), Clock: func() time.Time { return now }}

	reserve := func(c *naasv1alpha1.NamespaceClaim) []domains.Conflict {
		t.Helper()
		conflicts, err := v.reserve(ctx, Request{Claim: c}, c.Spec.Hostnames, false)
		if err != nil {
			t.Fatal(err)
		}
		return conflicts
	}
	if conflicts := reserve(claimWith("new", "new.t7.apps.example.com")); len(conflicts) != 0 {
		t.Fatalf("conflicts: %v", conflicts)
	}
	want := []string{
		"GET naas-host-t7.apps.example.com", // this store's first change of the key: later ones write what it last wrote
		"LIST " + ancestorsSelector(t, "apps.example.com", "example.com"),
		"UPDATE naas-host-t7.apps.example.com",
	}
	if got := api.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("a name's admission made\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if size := len(ledgers.objs[client.ObjectKey{Namespace: "naas-system", Name: "naas-host-t7.apps.example.com"}].Data[LedgerDataKey]); size > 16<<10 {
		t.Errorf("the ledger an admission rewrote is %d bytes", size)
	}

	// The same name for another namespace conflicts in its own ledger, and reads nothing more.
	if conflicts := reserve(claimWith("other", "ns-5.t5.apps.example.com")); len(conflicts) != 1 || conflicts[0].Namespace != "ns-5" {
		t.Errorf("conflicts = %v, want ns-5's", conflicts)
	}
	if got := api.take(); strings.Join(got, ",") != "GET naas-host-t5.apps.example.com" {
		t.Errorf("a conflicting admission made %v", got)
	}

	// A wildcard over another tenant's names conflicts in its own ledger too.
	if conflicts := reserve(claimWith("wild", "*.t9.apps.example.com")); len(conflicts) != held/tenants {
		t.Errorf("%d conflicts for *.t9.apps.example.com, want the %d names under it", len(conflicts), held/tenants)
	}
	api.take()
	// A wildcard with nothing under it in its own ledger lists, by label, the ledgers of the keys below it: here
	// those of the 1,000 tenant domains under apps.example.com, where it finds every name.
	conflicts := reserve(claimWith("wider", "*.apps.example.com"))
	if len(conflicts) != held+1 {
		t.Errorf("%d conflicts for *.apps.example.com, want the %d names under it", len(conflicts), held+1)
	}
	lists := 0
	got := api.take()
	for _, c := range got {
		if strings.HasPrefix(c, "LIST ") {
			lists++
		}
	}
	if lists != 2 || len(got) > 6 {
		t.Errorf("a wildcard's admission made %v, want two lists (its ancestors, the keys below it) and a few calls", got)
	}
	// Refused, it released its own reservation: the ledger of its key is gone again.
	if l, err := v.Ledgers.Read(ctx, "apps.example.com"); err != nil || len(l.Reservations) != 0 {
		t.Errorf("a refused wildcard's reservation stays: %v, %v", l, err)
	}
}

// memory holds ConfigMaps in a map, with resourceVersions and label selectors: what the store asks of the API
// server, fast enough to hold 50,000 ledgers in a unit test (the fake client takes minutes to fill).
type memory struct {
	client.Client
	mu   sync.Mutex
	rv   int
	objs map[client.ObjectKey]*corev1.ConfigMap
}

func newMemory() *memory { return &memory{objs: map[client.ObjectKey]*corev1.ConfigMap{}} }

func notFound(name string) error {
	return apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (m *memory) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cm, ok := m.objs[key]
	if !ok {
		return notFound(key.Name)
	}
	cm.DeepCopyInto(obj.(*corev1.ConfigMap))
	return nil
}

func (m *memory) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	o := &client.ListOptions{}
	o.ApplyOptions(opts)
	m.mu.Lock()
	defer m.mu.Unlock()
	out := list.(*corev1.ConfigMapList)
	for k, cm := range m.objs {
		if k.Namespace == o.Namespace && (o.LabelSelector == nil || o.LabelSelector.Matches(labels.Set(cm.Labels))) {
			out.Items = append(out.Items, *cm.DeepCopy())
		}
	}
	return nil
}

func (m *memory) Create(_ context.Context, obj client.Object, _ ...client.CreateOption) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := client.ObjectKeyFromObject(obj)
	if _, ok := m.objs[key]; ok {
		return apierrors.NewAlreadyExists(schema.GroupResource{Resource: "configmaps"}, key.Name)
	}
	m.rv++
	obj.SetResourceVersion(strconv.Itoa(m.rv))
	m.objs[key] = obj.(*corev1.ConfigMap).DeepCopy()
	return nil
}

func (m *memory) Update(_ context.Context, obj client.Object, _ ...client.UpdateOption) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := client.ObjectKeyFromObject(obj)
	cm, ok := m.objs[key]
	if !ok {
		return notFound(key.Name)
	}
	if cm.ResourceVersion != obj.GetResourceVersion() {
		return apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, key.Name, errors.New("changed"))
	}
	m.rv++
	obj.SetResourceVersion(strconv.Itoa(m.rv))
	m.objs[key] = obj.(*corev1.ConfigMap).DeepCopy()
	return nil
}

func (m *memory) Delete(_ context.Context, obj client.Object, opts ...client.DeleteOption) error {
	o := &client.DeleteOptions{}
	o.ApplyOptions(opts)
	m.mu.Lock()
	defer m.mu.Unlock()
	key := client.ObjectKeyFromObject(obj)
	cm, ok := m.objs[key]
	if !ok {
		return notFound(key.Name)
	}
	if o.Preconditions != nil && o.Preconditions.ResourceVersion != nil && *o.Preconditions.ResourceVersion != cm.ResourceVersion {
		return apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, key.Name, errors.New("changed"))
	}
	delete(m.objs, key)
	return nil
}

// ancestorsSelector is the selector of the list of the ledgers of keys.
func ancestorsSelector(t *testing.T, keys ...string) string {
	t.Helper()
	var hashes []string
	for _, k := range keys {
		hashes = append(hashes, hash(k))
	}
	sel, err := labels.Parse(labelKey + " in (" + strings.Join(hashes, ",") + ")")
	if err != nil {
		t.Fatal(err)
	}
	return sel.String()
}

// An upgrade from the ledgers of one ConfigMap per bucket loses no reservation: they move to the ledgers of their
// keys, and the old ConfigMaps go.
func TestMigrate_MovesTheReservationsOfBucketLedgers(t *testing.T) {
	ctx := context.Background()
	m := newMemory()
	at := metav1.NewTime(time.Now().Truncate(time.Second))
	old := &domains.Ledger{Reservations: []domains.Reservation{
		{Hostname: "a.t1.apps.example.com", Namespace: "a", UID: "ua", At: at},
		{Hostname: "*.t2.apps.example.com", Namespace: "w", UID: "uw", At: at},
		{Hostname: "b.t1.apps.example.com", Namespace: "b", UID: "ub", At: at},
	}}
	data, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	for _, cm := range []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "naas-system", Name: "naas-hostnames-example.com",
			Labels:      map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue},
			Annotations: map[string]string{legacyAnnotation: "example.com"}}, Data: map[string]string{LedgerDataKey: string(data)}},
		// Not a hostname ledger of an earlier version: left alone.
		{ObjectMeta: metav1.ObjectMeta{Namespace: "naas-system", Name: "naas-hostnames-notes",
			Labels: map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}}},
	} {
		if err := m.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	s := NewStore(m, "naas-system")
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := s.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for key, l := range all {
		for _, r := range l.Reservations {
			got[key] = append(got[key], r.Namespace+" "+r.Hostname+" "+string(r.UID)+" "+r.At.UTC().Format(time.RFC3339))
		}
	}
	stamp := at.UTC().Format(time.RFC3339)
	want := map[string][]string{
		"t1.apps.example.com": {"a a.t1.apps.example.com ua " + stamp, "b b.t1.apps.example.com ub " + stamp},
		"t2.apps.example.com": {"w *.t2.apps.example.com uw " + stamp},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ledgers after the migration (-want +got):\n%s", diff)
	}
	if _, ok := m.objs[client.ObjectKey{Namespace: "naas-system", Name: "naas-hostnames-example.com"}]; ok {
		t.Error("the migrated ledger is kept")
	}
	if _, ok := m.objs[client.ObjectKey{Namespace: "naas-system", Name: "naas-hostnames-notes"}]; !ok {
		t.Error("a ConfigMap that is no hostname ledger was deleted")
	}
	// A second start finds nothing to migrate and writes nothing.
	rv := m.rv
	if err := s.Migrate(ctx); err != nil || m.rv != rv {
		t.Errorf("a second migration wrote (%v)", err)
	}
}
