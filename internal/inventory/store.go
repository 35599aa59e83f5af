package inventory

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/naas-dev/naas/internal/intern"
)

// maxLabels bounds Options.Labels: an entry keeps the values in an array, not a map (a map costs hundreds of
// bytes, for one object of a hundred thousand).
const maxLabels = 4

// maxKinds bounds Options.Kinds: an entry names its kind in a byte.
const maxKinds = 256

// stampLen is the length of the stamps the inventory keeps (apply.Stamp's: 15 bytes in unpadded base64url, 20
// characters); it keeps them decoded. An object whose stamp is anything else keeps none, and is never in place.
const (
	stampLen   = 20
	stampBytes = 15
)

var stampEncoding = base64.RawURLEncoding

// entry is what the inventory keeps of one object, 64 bytes: fixed-size arrays rather than strings or maps, each
// of which would cost a header and an allocation of its own; the stamp decoded; the label values as a pointer to a
// tuple that the objects of a namespace share (they carry the same naas labels).
type entry struct {
	name     string // shared (intern)
	uid      uuid.UUID
	stamp    [stampBytes]byte
	kind     uint8 // the store's index in Options.Kinds
	flags    uint8
	deleting uint32       // the deletion timestamp, in Unix seconds; 0 when not being deleted
	labels   *labelValues // shared (labelTable)
}

const (
	hasStamp uint8 = 1 << iota
	untouched
)

func (e *entry) has(flag uint8) bool { return e.flags&flag != 0 }

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
	if !e.has(hasStamp) {
		return ""
	}
	return stampEncoding.EncodeToString(e.stamp[:])
}

// shelves hold the entries of every kind, on one shelf per namespace: a namespace's own entry (a cluster-scoped
// object is shelved by its name) and those of the objects in it, of all kinds, in one slice exactly as long. naas
// keeps about a dozen objects of six kinds in each namespace: a map and a slice per kind and namespace cost more
// than the entries themselves.
type shelves struct {
	mu sync.RWMutex
	by map[string][]entry
}

// shelf is where the object namespace/name is kept.
func shelf(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace
}

// store is the inventory of one kind: a toolscache.ReflectorStore that keeps entries, not objects, on the
// inventory's shelves, and tells the inventory's sources what changed.
type store struct {
	inv    *Inventory
	kind   Kind
	idx    uint8
	synced atomic.Bool
}

var _ toolscache.ReflectorStore = (*store)(nil)

// find returns the entry of namespace/name, nil if there is none. The caller holds the shelves' lock.
func (s *store) find(namespace, name string) *entry {
	sh := s.inv.shelves.by[shelf(namespace, name)]
	for i := range sh {
		if sh[i].kind == s.idx && sh[i].name == name {
			return &sh[i]
		}
	}
	return nil
}

// each calls f with the entries of the store's kind on the shelf of namespace (all namespaces when ""), and the
// namespace each is in. The caller holds the shelves' lock.
func (s *store) each(namespace string, f func(namespace string, e *entry)) {
	visit := func(name string, sh []entry) {
		for i := range sh {
			if sh[i].kind == s.idx {
				f(s.namespaceOf(name), &sh[i])
			}
		}
	}
	if namespace != "" && !s.kind.ClusterScoped {
		visit(namespace, s.inv.shelves.by[namespace])
		return
	}
	for name, sh := range s.inv.shelves.by {
		visit(name, sh)
	}
}

// namespaceOf returns the namespace of the store's entries on shelf name.
func (s *store) namespaceOf(name string) string {
	if s.kind.ClusterScoped {
		return ""
	}
	return name
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
	e := entry{name: intern.String(m.Name), kind: s.idx}
	if s.inv.opts.Untouched(m.ManagedFields) {
		e.flags |= untouched
	}
	if id, err := uuid.Parse(string(m.UID)); err == nil {
		e.uid = id
	}
	if stamp := m.Annotations[s.inv.opts.StampAnnotation]; len(stamp) == stampLen {
		if n, err := stampEncoding.Decode(e.stamp[:], []byte(stamp)); err == nil && n == stampBytes {
			e.flags |= hasStamp
		} else {
			e.stamp = [stampBytes]byte{}
		}
	}
	var values labelValues
	for k, i := range s.inv.labels {
		if v := m.Labels[k]; v != "" {
			values[i] = intern.String(v)
		}
	}
	e.labels = s.inv.tuples.get(values)
	if m.DeletionTimestamp != nil {
		e.deleting = uint32(min(max(m.DeletionTimestamp.Unix(), 1), 1<<32-1))
	}
	return e, intern.String(m.Namespace), nil
}

func (s *store) Add(obj any) error    { return s.put(obj) }
func (s *store) Update(obj any) error { return s.put(obj) }

func (s *store) put(obj any) error {
	e, ns, err := s.entryOf(obj)
	if err != nil {
		return err
	}
	sh := &s.inv.shelves
	sh.mu.Lock()
	old := s.find(ns, e.name)
	changed := old == nil || *old != e
	if old != nil {
		*old = e
	} else {
		name := shelf(ns, e.name)
		grown := make([]entry, len(sh.by[name])+1) // exactly as long: shelves rarely grow
		copy(grown, sh.by[name])
		grown[len(grown)-1] = e
		sh.by[name] = grown
	}
	sh.mu.Unlock()
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
	sh := &s.inv.shelves
	sh.mu.Lock()
	name := shelf(ns, e.name)
	var old *entry
	if i := slices.IndexFunc(sh.by[name], func(x entry) bool { return x.kind == s.idx && x.name == e.name }); i >= 0 {
		gone := sh.by[name][i]
		old = &gone
		if rest := slices.Delete(slices.Clone(sh.by[name]), i, i+1); len(rest) > 0 { // exactly as long
			sh.by[name] = rest
		} else {
			delete(sh.by, name)
		}
	}
	sh.mu.Unlock()
	if old != nil {
		s.inv.changed(s, ns, old)
	}
	return nil
}

// Replace takes a full list (at start, and after a watch could not resume): objects that appeared, changed or
// disappeared meanwhile are told to the sources as such. Shelves whose entries of this kind did not change are
// left as they are.
func (s *store) Replace(list []any, _ string) error {
	type change struct {
		ns string
		e  entry
	}
	fresh := make(map[string][]entry, len(list))
	for _, obj := range list {
		e, ns, err := s.entryOf(obj)
		if err != nil {
			return err
		}
		name := shelf(ns, e.name)
		fresh[name] = append(fresh[name], e)
	}
	var changes []change
	sh := &s.inv.shelves
	sh.mu.Lock()
	// Entries of this kind that disappeared; shelves the list has none of this kind on lose them.
	for name, old := range sh.by {
		now, listed := fresh[name]
		for i := range old {
			if old[i].kind == s.idx && !slices.ContainsFunc(now, func(x entry) bool { return x.name == old[i].name }) {
				changes = append(changes, change{s.namespaceOf(name), old[i]})
			}
		}
		if !listed && countKind(old, s.idx) > 0 {
			if rest := withKind(old, s.idx, nil); len(rest) > 0 {
				sh.by[name] = rest
			} else {
				delete(sh.by, name)
			}
		}
	}
	// Entries of this kind that appeared or changed.
	for name, now := range fresh {
		old := sh.by[name]
		same := true
		for _, e := range now {
			if i := slices.IndexFunc(old, func(x entry) bool { return x.kind == s.idx && x.name == e.name }); i < 0 || old[i] != e {
				changes = append(changes, change{s.namespaceOf(name), e})
				same = false
			}
		}
		if same && len(now) == countKind(old, s.idx) {
			continue
		}
		sh.by[name] = withKind(old, s.idx, now)
	}
	sh.mu.Unlock()
	s.synced.Store(true)
	for _, c := range changes {
		s.inv.changed(s, c.ns, &c.e)
	}
	return nil
}

// countKind counts the entries of kind on a shelf.
func countKind(sh []entry, kind uint8) int {
	n := 0
	for i := range sh {
		if sh[i].kind == kind {
			n++
		}
	}
	return n
}

// withKind returns a new shelf, exactly as long, with sh's entries of other kinds and entries as those of kind.
func withKind(sh []entry, kind uint8, entries []entry) []entry {
	out := make([]entry, 0, len(sh)-countKind(sh, kind)+len(entries))
	for _, e := range sh {
		if e.kind != kind {
			out = append(out, e)
		}
	}
	return append(out, entries...)
}

func (s *store) Resync() error { return nil }

func notFound(k Kind, name string) error {
	return apierrors.NewNotFound(k.GVK.GroupVersion().WithResource(k.Resource).GroupResource(), name)
}
