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

// entry is what the inventory keeps of one object, 48 bytes (entrySize) and no pointers: fixed-size arrays rather
// than strings or maps, each of which would cost a header and an allocation of its own; the stamp decoded; the
// name and the label values as IDs into the inventory's tables (see tables), the label values as one tuple that
// the objects of a namespace share (they carry the same naas labels).
//
// No pointers, because Go's garbage collector scans every word of memory that may hold one, on every cycle: with
// a string and a pointer in each, the entries (about 190,000 at 10,000 namespaces) were 12 MiB that each cycle
// scanned, and the cycles, which take both cores for tens of milliseconds, were what set the webhooks' p99
// latency. Shelves of pointer-free entries are allocated as noscan memory that the collector never reads.
type entry struct {
	name     uint32 // a symbol ID (tables.symbols)
	labels   uint32 // a tuple ID (tables.tuples); 0 when the object carries none of Options.Labels
	deleting uint32 // the deletion timestamp, in Unix seconds; 0 when not being deleted
	uid      uuid.UUID
	stamp    [stampBytes]byte
	kind     uint8 // the store's index in Options.Kinds
	flags    uint8
}

// entrySize is the size of an entry, in bytes.
const entrySize = 48

const (
	hasStamp uint8 = 1 << iota
	untouched
)

func (e *entry) has(flag uint8) bool { return e.flags&flag != 0 }

// labelValues are the values of Options.Labels, in order.
type labelValues [maxLabels]string

// draft is an object's entry before it is shelved: its name and label values are strings, and it holds no
// references in the tables; tables.acquire makes an entry of it, tables.lookup compares it with entries.
type draft struct {
	e      entry // but its name and labels
	name   string
	labels labelValues
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
//
// Its one reflector calls its methods one at a time, and no other store changes the entries of its kind (they
// copy them, with their references, when they grow or shrink a shared shelf): an entry it has just shelved keeps
// its IDs while the sources are told of it, after the shelves' lock is let go.
type store struct {
	inv    *Inventory
	kind   Kind
	idx    uint8
	synced atomic.Bool
}

var _ toolscache.ReflectorStore = (*store)(nil)

// index returns the index on sh of the entry of the store's kind named by the symbol name, -1 if there is none.
func (s *store) index(sh []entry, name uint32) int {
	for i := range sh {
		if sh[i].kind == s.idx && sh[i].name == name {
			return i
		}
	}
	return -1
}

// find returns the entry named by the symbol name on the shelf shelfName, nil if there is none. The caller holds
// the shelves' lock.
func (s *store) find(shelfName string, name uint32) *entry {
	sh := s.inv.shelves.by[shelfName]
	if i := s.index(sh, name); i >= 0 {
		return &sh[i]
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

// draftOf reduces an object to the draft of its entry, and its namespace.
func (s *store) draftOf(obj any) (draft, string, error) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return draft{}, "", fmt.Errorf("inventory of %s: unexpected %T", s.kind.GVK.Kind, obj)
	}
	d := draft{e: entry{kind: s.idx}, name: m.Name}
	if s.inv.opts.Untouched(m.ManagedFields) {
		d.e.flags |= untouched
	}
	if id, err := uuid.Parse(string(m.UID)); err == nil {
		d.e.uid = id
	}
	if stamp := m.Annotations[s.inv.opts.StampAnnotation]; len(stamp) == stampLen {
		if n, err := stampEncoding.Decode(d.e.stamp[:], []byte(stamp)); err == nil && n == stampBytes {
			d.e.flags |= hasStamp
		} else {
			d.e.stamp = [stampBytes]byte{}
		}
	}
	for k, i := range s.inv.labels {
		d.labels[i] = m.Labels[k]
	}
	if m.DeletionTimestamp != nil {
		d.e.deleting = uint32(min(max(m.DeletionTimestamp.Unix(), 1), 1<<32-1))
	}
	return d, m.Namespace, nil
}

func (s *store) Add(obj any) error    { return s.put(obj) }
func (s *store) Update(obj any) error { return s.put(obj) }

// put shelves the entry of obj, unless it equals the one shelved: only then does it take references.
func (s *store) put(obj any) error {
	d, ns, err := s.draftOf(obj)
	if err != nil {
		return err
	}
	sh, t := &s.inv.shelves, &s.inv.tables
	name := shelf(ns, d.name)
	sh.mu.Lock()
	t.mu.Lock()
	var old *entry
	if id, ok := t.symbols.lookup(d.name); ok {
		old = s.find(name, id)
	}
	if old != nil {
		if e, ok := t.lookup(&d); ok && e == *old {
			t.mu.Unlock()
			sh.mu.Unlock()
			return nil
		}
	}
	e := t.acquire(&d)
	var gone entry
	if old != nil {
		gone, *old = *old, e
	} else {
		grown := make([]entry, len(sh.by[name])+1) // exactly as long: shelves rarely grow
		copy(grown, sh.by[name])
		grown[len(grown)-1] = e
		sh.by[t.shelfKey(name)] = grown
	}
	t.mu.Unlock()
	sh.mu.Unlock()
	s.inv.changed(s, ns, &e)
	if old != nil {
		t.release(gone)
	}
	return nil
}

// Delete takes the entry of obj off its shelf, and gives back its references once the sources were told.
func (s *store) Delete(obj any) error {
	d, ns, err := s.draftOf(obj)
	if err != nil {
		return err
	}
	sh, t := &s.inv.shelves, &s.inv.tables
	name := shelf(ns, d.name)
	sh.mu.Lock()
	t.mu.RLock()
	id, known := t.symbols.lookup(d.name) // unknown: no entry has the name
	key := t.shelfKey(name)
	t.mu.RUnlock()
	var gone entry
	i := -1
	if known {
		i = s.index(sh.by[name], id)
	}
	if i >= 0 {
		gone = sh.by[name][i]
		if rest := slices.Delete(slices.Clone(sh.by[name]), i, i+1); len(rest) > 0 { // exactly as long
			sh.by[key] = rest
		} else {
			delete(sh.by, name)
		}
	}
	sh.mu.Unlock()
	if i >= 0 {
		s.inv.changed(s, ns, &gone)
		t.release(gone)
	}
	return nil
}

// Replace takes a full list (at start, and after a watch could not resume): objects that appeared, changed or
// disappeared meanwhile are told to the sources as such. Shelves whose entries of this kind did not change are
// left as they are, and their entries keep their references; on the others, the entries of this kind are
// replaced by the list's, which take references, and the old ones give theirs back once the sources were told.
func (s *store) Replace(list []any, _ string) error {
	type change struct {
		ns string
		e  entry
	}
	fresh := make(map[string][]draft)
	for _, obj := range list {
		d, ns, err := s.draftOf(obj)
		if err != nil {
			return err
		}
		name := shelf(ns, d.name)
		fresh[name] = append(fresh[name], d)
	}
	var (
		told []change // what the sources are told of
		gone []entry  // what left the shelves, released once the sources were told
	)
	sh, t := &s.inv.shelves, &s.inv.tables
	sh.mu.Lock()
	t.mu.Lock()
	// Shelves the list has none of this kind on lose them.
	for name, old := range sh.by {
		if _, listed := fresh[name]; listed || countKind(old, s.idx) == 0 {
			continue
		}
		for i := range old {
			if old[i].kind == s.idx {
				told = append(told, change{s.namespaceOf(name), old[i]})
				gone = append(gone, old[i])
			}
		}
		if rest := withKind(old, s.idx, nil); len(rest) > 0 {
			sh.by[name] = rest
		} else {
			delete(sh.by, name)
		}
	}
	// Shelves the list has entries of this kind on: entries that appeared, changed or disappeared.
	for name, drafts := range fresh {
		old := sh.by[name]
		if s.unchanged(old, drafts) {
			continue
		}
		ns := s.namespaceOf(name)
		now := make([]entry, len(drafts))
		for i := range drafts {
			now[i] = t.acquire(&drafts[i])
		}
		for i := range old {
			if old[i].kind != s.idx {
				continue
			}
			gone = append(gone, old[i])
			if s.index(now, old[i].name) < 0 {
				told = append(told, change{ns, old[i]})
			}
		}
		for _, e := range now {
			if i := s.index(old, e.name); i < 0 || old[i] != e {
				told = append(told, change{ns, e})
			}
		}
		sh.by[t.shelfKey(name)] = withKind(old, s.idx, now)
	}
	t.mu.Unlock()
	sh.mu.Unlock()
	s.synced.Store(true)
	for i := range told {
		s.inv.changed(s, told[i].ns, &told[i].e)
	}
	t.release(gone...)
	return nil
}

// unchanged reports whether the entries of the store's kind on sh are those of drafts. The caller holds the
// tables' lock.
func (s *store) unchanged(sh []entry, drafts []draft) bool {
	if len(drafts) != countKind(sh, s.idx) {
		return false
	}
	for i := range drafts {
		e, ok := s.inv.tables.lookup(&drafts[i])
		if !ok {
			return false
		}
		if j := s.index(sh, e.name); j < 0 || sh[j] != e {
			return false
		}
	}
	return true
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
