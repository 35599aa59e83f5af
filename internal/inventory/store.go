package inventory

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
)

// maxLabels bounds Options.Labels: an entry keeps the values in an array, not a map (a map costs hundreds of
// bytes, for one object of a hundred thousand).
const maxLabels = 4

// stampLen is the length of the stamps the inventory keeps in an array (apply.Stamp's are 20 characters); an
// object whose stamp has another length keeps none, and is never in place.
const stampLen = 20

// entry is what the inventory keeps of one object, 72 bytes: fixed-size arrays rather than strings or maps, each
// of which would cost a header and an allocation of its own, and the label values as a pointer to a tuple that
// the objects of a namespace share (they carry the same naas labels).
type entry struct {
	name      string // shared (intern)
	uid       uuid.UUID
	stamp     [stampLen]byte
	hasStamp  bool
	untouched bool
	labels    *labelValues // shared (labelTable)
	deleting  int64        // the deletion timestamp, in Unix seconds; 0 when not being deleted
}

// labelValues are the values of Options.Labels, in order.
type labelValues [maxLabels]string

// noLabels is the tuple of an object without any of the labels.
var noLabels = &labelValues{}

// labelTable shares equal label tuples, at most max of them; beyond, tuples are not shared.
type labelTable struct {
	mu     sync.Mutex
	tuples map[labelValues]*labelValues
	max    int
}

func (t *labelTable) get(v labelValues) *labelValues {
	if v == (labelValues{}) {
		return noLabels
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if shared, ok := t.tuples[v]; ok {
		return shared
	}
	p := &v
	if len(t.tuples) < t.max {
		t.tuples[v] = p
	}
	return p
}

func (e *entry) uidString() types.UID {
	if e.uid == uuid.Nil {
		return ""
	}
	return types.UID(e.uid.String())
}

func (e *entry) stampString() string {
	if !e.hasStamp {
		return ""
	}
	return string(e.stamp[:])
}

// store is the inventory of one kind: a toolscache.ReflectorStore that keeps entries, not objects, and tells the
// inventory's sources what changed. Entries are grouped by namespace in slices (a namespace holds a few objects
// of a kind, and a map per namespace costs more than they do), and objects of a cluster-scoped kind by name.
type store struct {
	inv  *Inventory
	kind Kind

	mu      sync.RWMutex
	objects map[string][]entry
	synced  atomic.Bool
}

var _ toolscache.ReflectorStore = (*store)(nil)

// bucket is where the object namespace/name is kept.
func bucket(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace
}

// find returns the entry of namespace/name, nil if there is none. The caller holds mu.
func (s *store) find(namespace, name string) *entry {
	b := s.objects[bucket(namespace, name)]
	for i := range b {
		if b[i].name == name {
			return &b[i]
		}
	}
	return nil
}

// namespaceOf returns the namespace of the entries of bucket b.
func (s *store) namespaceOf(b string) string {
	if s.kind.ClusterScoped {
		return ""
	}
	return b
}

// entryOf reduces an object to its entry and namespace.
func (s *store) entryOf(obj any) (entry, string, error) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return entry{}, "", fmt.Errorf("inventory of %s: unexpected %T", s.kind.GVK.Kind, obj)
	}
	strs := s.inv.strs
	e := entry{name: strs.Get(m.Name), untouched: s.inv.opts.Untouched(m.ManagedFields)}
	if id, err := uuid.Parse(string(m.UID)); err == nil {
		e.uid = id
	}
	if stamp := m.Annotations[s.inv.opts.StampAnnotation]; len(stamp) == stampLen {
		copy(e.stamp[:], stamp)
		e.hasStamp = true
	}
	var values labelValues
	for k, i := range s.inv.labels {
		if v := m.Labels[k]; v != "" {
			values[i] = strs.Get(v)
		}
	}
	e.labels = s.inv.tuples.get(values)
	if m.DeletionTimestamp != nil {
		e.deleting = max(m.DeletionTimestamp.Unix(), 1)
	}
	return e, strs.Get(m.Namespace), nil
}

func (s *store) Add(obj any) error    { return s.put(obj) }
func (s *store) Update(obj any) error { return s.put(obj) }

func (s *store) put(obj any) error {
	e, ns, err := s.entryOf(obj)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.find(ns, e.name)
	changed := old == nil || *old != e
	if old != nil {
		*old = e
	} else {
		b := bucket(ns, e.name)
		grown := make([]entry, len(s.objects[b])+1) // exactly as long: a namespace rarely gains objects
		copy(grown, s.objects[b])
		grown[len(grown)-1] = e
		s.objects[b] = grown
	}
	s.mu.Unlock()
	if changed {
		s.inv.changed(s, ns, &e)
	}
	return nil
}

func (s *store) Delete(obj any) error {
	e, ns, err := s.entryOf(obj)
	if err != nil {
		return err
	}
	s.mu.Lock()
	b := bucket(ns, e.name)
	var old *entry
	if i := slices.IndexFunc(s.objects[b], func(x entry) bool { return x.name == e.name }); i >= 0 {
		gone := s.objects[b][i]
		old = &gone
		if rest := slices.Delete(slices.Clone(s.objects[b]), i, i+1); len(rest) > 0 {
			s.objects[b] = rest
		} else {
			delete(s.objects, b)
		}
	}
	s.mu.Unlock()
	if old != nil {
		s.inv.changed(s, ns, old)
	}
	return nil
}

// Replace takes a full list (at start, and after a watch could not resume): objects that appeared, changed or
// disappeared meanwhile are told to the sources as such.
func (s *store) Replace(list []any, _ string) error {
	type change struct {
		ns string
		e  entry
	}
	objects := make(map[string][]entry, len(s.objects))
	var changes []change
	s.mu.Lock()
	for _, obj := range list {
		e, ns, err := s.entryOf(obj)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		b := bucket(ns, e.name)
		objects[b] = append(objects[b], e)
		if old := s.find(ns, e.name); old == nil || *old != e {
			changes = append(changes, change{ns, e})
		}
	}
	for b, entries := range s.objects {
		for _, old := range entries {
			if !slices.ContainsFunc(objects[b], func(x entry) bool { return x.name == old.name }) {
				changes = append(changes, change{s.namespaceOf(b), old})
			}
		}
	}
	for b, entries := range objects {
		if cap(entries) > len(entries) {
			objects[b] = slices.Clone(entries) // exactly as long: append doubled the capacity
		}
	}
	s.objects = objects
	s.mu.Unlock()
	s.synced.Store(true)
	for _, c := range changes {
		s.inv.changed(s, c.ns, &c.e)
	}
	return nil
}

func (s *store) Resync() error { return nil }

func notFound(k Kind, name string) error {
	return apierrors.NewNotFound(k.GVK.GroupVersion().WithResource(k.Resource).GroupResource(), name)
}
