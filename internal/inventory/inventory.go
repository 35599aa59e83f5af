// Package inventory keeps, for one cluster, what naas needs to know of the objects it makes there, and nothing
// more: for each object of the kinds it tracks, its UID, naas's stamp (apply.AnnotationApplied), whether anyone
// but naas's server-side applies manages it, whether it is being deleted, and the values of a few labels.
//
// naas makes about ten objects per namespace. An informer cache of their metadata alone held about 1 KiB per
// object (two maps, the managed fields, the informer's indexes): 100 MiB at 10,000 namespaces, most of naas's
// memory. The inventory holds about 70 bytes per object, fed by client-go reflectors over metadata-only lists
// and watches, and still tells naas at once when someone changes or deletes an object (see Source).
//
// The inventory serves reads as a client.Reader of metav1.PartialObjectMetadata, synthesized from what it keeps:
// the tracked labels, the stamp annotation, the deletion timestamp, and managed fields that say only whether naas
// alone applied the object. Reads that ask for more (other kinds, label selectors over labels it does not keep,
// field selectors) fail rather than answer wrongly.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/metadata"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Kind is a kind the inventory tracks.
type Kind struct {
	// GVK is the kind; Resource its plural resource name.
	GVK      schema.GroupVersionKind
	Resource string
	// Selector limits the objects tracked (naas's own, by label); nil tracks every object of the kind.
	Selector labels.Selector
	// ClusterScoped is set for kinds whose objects have no namespace.
	ClusterScoped bool
}

// Options configure an Inventory.
type Options struct {
	// Kinds are tracked.
	Kinds []Kind
	// Labels are the label keys whose values are kept, for reads and selectors.
	Labels []string
	// Untouched tells, from an object's managed fields, whether only naas's own server-side applies manage it
	// (see apply.Untouched).
	Untouched func([]metav1.ManagedFieldsEntry) bool
	// UntouchedFields are the managed fields reads show for an untouched object, and TouchedFields for the
	// others, so that Untouched of what a read returns answers as it did of the object.
	UntouchedFields, TouchedFields []metav1.ManagedFieldsEntry
	// StampAnnotation is the annotation whose value is kept.
	StampAnnotation string
}

// Inventory tracks the objects of some kinds on one cluster. It is a manager.Runnable.
type Inventory struct {
	client  metadata.Interface
	opts    Options
	kinds   map[schema.GroupVersionKind]*store
	labels  map[string]int
	tuples  *labelTable
	shelves shelves

	mu       sync.Mutex
	handlers []func(client.Object)
	started  atomic.Bool
}

// New returns an inventory of the kinds of opts on the cluster client reaches. Start runs it.
func New(c metadata.Interface, opts Options) (*Inventory, error) {
	if opts.Untouched == nil {
		return nil, errors.New("inventory: Options.Untouched is required")
	}
	if len(opts.Labels) > maxLabels {
		return nil, fmt.Errorf("inventory: at most %d labels are kept, not %d", maxLabels, len(opts.Labels))
	}
	if len(opts.Kinds) > maxKinds {
		return nil, fmt.Errorf("inventory: at most %d kinds are tracked, not %d", maxKinds, len(opts.Kinds))
	}
	inv := &Inventory{client: c, opts: opts, kinds: map[schema.GroupVersionKind]*store{},
		labels:  map[string]int{},
		tuples:  &labelTable{tuples: map[labelValues]*labelValues{}, max: 100000},
		shelves: shelves{by: map[string][]entry{}}}
	for i, l := range opts.Labels {
		inv.labels[l] = i
	}
	for i, k := range opts.Kinds {
		if k.Resource == "" || k.GVK.Kind == "" {
			return nil, fmt.Errorf("inventory: kind %v lacks its resource or kind", k.GVK)
		}
		if _, dup := inv.kinds[k.GVK]; dup {
			return nil, fmt.Errorf("inventory: kind %v is listed twice", k.GVK)
		}
		inv.kinds[k.GVK] = &store{inv: inv, kind: k, idx: uint8(i)}
	}
	return inv, nil
}

// Start lists and watches every tracked kind until ctx ends. The kinds are listed one after the other, in the
// order of Options.Kinds: a list holds every object of its kind in full (with managed fields) until the store has
// reduced them to entries, and listing them all at once made naas's memory at start several times what it keeps.
func (inv *Inventory) Start(ctx context.Context) error {
	if !inv.started.CompareAndSwap(false, true) {
		return errors.New("inventory: started twice")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, k := range inv.opts.Kinds {
		s := inv.kinds[k.GVK]
		gvr := s.kind.GVK.GroupVersion().WithResource(s.kind.Resource)
		tweak := func(o *metav1.ListOptions) {
			if s.kind.Selector != nil {
				o.LabelSelector = s.kind.Selector.String()
			}
		}
		lw := &toolscache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				tweak(&o)
				return inv.client.Resource(gvr).List(ctx, o)
			},
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				tweak(&o)
				return inv.client.Resource(gvr).Watch(ctx, o)
			},
		}
		r := toolscache.NewReflectorWithOptions(lw, &metav1.PartialObjectMetadata{}, s, toolscache.ReflectorOptions{
			Name: "inventory " + gvr.String(), TypeDescription: s.kind.GVK.Kind,
		})
		wg.Go(func() { r.RunWithContext(ctx) })
		if err := s.waitForSync(ctx); err != nil {
			break // ctx ended
		}
	}
	<-ctx.Done()
	return nil
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: every replica keeps its inventory, as its cache.
func (inv *Inventory) NeedLeaderElection() bool { return false }

// waitForSync waits until the kind has been listed once: a read before that (an admission request while naas
// starts) waits, as a read of an informer cache does, rather than answering from an empty inventory.
func (s *store) waitForSync(ctx context.Context) error {
	if s.synced.Load() {
		return nil
	}
	err := wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(context.Context) (bool, error) {
		return s.synced.Load(), nil
	})
	if err != nil {
		return fmt.Errorf("inventory: %s has not synced yet: %w", s.kind.GVK.Kind, err)
	}
	return nil
}

// HasSynced reports whether every kind has been listed once.
func (inv *Inventory) HasSynced() bool {
	for _, s := range inv.kinds {
		if !s.synced.Load() {
			return false
		}
	}
	return true
}

// WaitForSync waits until HasSynced, or ctx ends.
func (inv *Inventory) WaitForSync(ctx context.Context) error {
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		return inv.HasSynced(), nil
	})
	if err != nil {
		return fmt.Errorf("the inventory of naas's objects did not sync: %w", err)
	}
	return nil
}

// Get implements client.Reader for metav1.PartialObjectMetadata of a tracked kind.
func (inv *Inventory) Get(ctx context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return fmt.Errorf("inventory: cannot read %T, only metadata", obj)
	}
	gvk := m.GroupVersionKind()
	s, ok := inv.kinds[gvk]
	if !ok {
		return fmt.Errorf("inventory: %s is not tracked", gvk)
	}
	if err := s.waitForSync(ctx); err != nil {
		return err
	}
	inv.shelves.mu.RLock()
	e := s.find(key.Namespace, key.Name)
	var out metav1.PartialObjectMetadata
	if e != nil {
		out = inv.metadata(s, key.Namespace, e)
	}
	inv.shelves.mu.RUnlock()
	if e == nil {
		return notFound(s.kind, key.Name)
	}
	*m = out
	return nil
}

// List implements client.Reader for metav1.PartialObjectMetadataList of a tracked kind, in a namespace or all, with
// an optional label selector over the tracked labels. Items are sorted by namespace and name.
func (inv *Inventory) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	l, ok := list.(*metav1.PartialObjectMetadataList)
	if !ok {
		return fmt.Errorf("inventory: cannot list %T, only metadata", list)
	}
	gvk := l.GroupVersionKind()
	gvk.Kind = strings.TrimSuffix(gvk.Kind, "List")
	s, ok := inv.kinds[gvk]
	if !ok {
		return fmt.Errorf("inventory: %s is not tracked", gvk)
	}
	if err := s.waitForSync(ctx); err != nil {
		return err
	}
	o := (&client.ListOptions{}).ApplyOptions(opts)
	if o.FieldSelector != nil && !o.FieldSelector.Empty() || o.Limit > 0 || o.Continue != "" {
		return errors.New("inventory: lists take a namespace and a label selector only")
	}
	if o.LabelSelector != nil {
		reqs, _ := o.LabelSelector.Requirements()
		for _, r := range reqs {
			if _, ok := inv.labels[r.Key()]; !ok {
				return fmt.Errorf("inventory: label %q is not tracked, it cannot select", r.Key())
			}
		}
	}
	inv.shelves.mu.RLock()
	var items []metav1.PartialObjectMetadata
	s.each(o.Namespace, func(ns string, e *entry) {
		if o.LabelSelector == nil || o.LabelSelector.Matches(inv.labelSet(e)) {
			items = append(items, inv.metadata(s, ns, e))
		}
	})
	inv.shelves.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool {
		if items[i].Namespace != items[j].Namespace {
			return items[i].Namespace < items[j].Namespace
		}
		return items[i].Name < items[j].Name
	})
	l.Items = items
	return nil
}

// labelSet returns the tracked labels of e.
func (inv *Inventory) labelSet(e *entry) labels.Set {
	set := labels.Set{}
	for k, i := range inv.labels {
		if v := e.labels[i]; v != "" {
			set[k] = v
		}
	}
	return set
}

// metadata synthesizes the metadata reads return for e.
func (inv *Inventory) metadata(s *store, namespace string, e *entry) metav1.PartialObjectMetadata {
	m := metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(s.kind.GVK)
	m.Namespace, m.Name, m.UID = namespace, e.name, e.uidString()
	if set := inv.labelSet(e); len(set) > 0 {
		m.Labels = set
	}
	if e.has(hasStamp) {
		m.Annotations = map[string]string{inv.opts.StampAnnotation: e.stampString()}
	}
	if e.deleting != 0 {
		m.DeletionTimestamp = &metav1.Time{Time: time.Unix(int64(e.deleting), 0)}
	}
	if e.has(untouched) {
		m.ManagedFields = inv.opts.UntouchedFields
	} else {
		m.ManagedFields = inv.opts.TouchedFields
	}
	return m
}

// Source returns a controller source that enqueues the requests toRequests maps an object to, for every object of
// a tracked kind that appears, changes what the inventory keeps of it, or disappears. It syncs with the
// inventory: a controller's workers start once every kind has been listed.
func (inv *Inventory) Source(toRequests func(client.Object) []reconcile.Request) source.TypedSyncingSource[reconcile.Request] {
	return &src{inv: inv, toRequests: toRequests}
}

type src struct {
	inv        *Inventory
	toRequests func(client.Object) []reconcile.Request
}

func (s *src) Start(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	s.inv.mu.Lock()
	defer s.inv.mu.Unlock()
	s.inv.handlers = append(s.inv.handlers, func(o client.Object) {
		for _, r := range s.toRequests(o) {
			q.Add(r)
		}
	})
	return nil
}

func (s *src) WaitForSync(ctx context.Context) error { return s.inv.WaitForSync(ctx) }

func (s *src) String() string { return "naas inventory" }

// changed tells the sources that the object of e appeared, changed or, with the entry it had, disappeared.
func (inv *Inventory) changed(s *store, namespace string, e *entry) {
	inv.mu.Lock()
	handlers := inv.handlers
	inv.mu.Unlock()
	if len(handlers) == 0 {
		return
	}
	m := inv.metadata(s, namespace, e)
	for _, h := range handlers {
		h(&m)
	}
}
