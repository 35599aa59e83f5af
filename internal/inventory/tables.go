package inventory

import (
	"slices"
	"strings"
	"sync"
)

// Entries hold no strings and no pointers, so that Go's garbage collector never scans the hundreds of thousands
// of them (see entry): an entry names its object and its label values by uint32 IDs into two tables that the
// inventory's entries share, both reference counted so that they hold exactly what shelved entries use.
//
//   - symbols: the strings, the names of shelved entries and the label values of live tuples. An entry holds one
//     reference to its name's ID, a tuple one to each of its values'.
//   - tuples: the label values of an object, Options.Labels in order, as symbol IDs. The objects of a namespace
//     carry the same naas labels and share one tuple; an entry holds one reference to its tuple's ID.
//
// An entry takes its references when it is put on a shelf (tables.acquire) and gives them back when it leaves one
// (tables.release), after the sources were told of it: telling turns the entry back into names. What is built
// from an object without being shelved (an update equal to what is shelved, a delete's key, a relist's unchanged
// shelf) is a draft, which holds strings and no references. Lookups by name (tables.lookup, lookupName) never
// take references. A count that reaches zero frees the ID: its key leaves the map, its slot is reused.
//
// The tables have a lock of their own, taken after the shelves' lock when both are held (never the other way
// round): readers resolve IDs under the shelves' read lock and the tables' read lock; stores acquire under the
// shelves' write lock, and release after they let go of it, once the sources were told, so that the tables'
// lock is the only one held while an ID is freed.
type tables struct {
	mu      sync.RWMutex
	symbols refTable[string]
	tuples  refTable[labelIDs]
}

// labelIDs are the values of Options.Labels, in order, as symbol IDs; 0 is a label the object does not carry.
type labelIDs [maxLabels]uint32

func newTables() tables {
	return tables{symbols: newRefTable[string](), tuples: newRefTable[labelIDs]()}
}

// acquire returns the entry of d, taking a reference for the entry's name and labels. The caller holds t.mu.
func (t *tables) acquire(d *draft) entry {
	e := d.e
	e.name, _ = t.symbols.acquire(d.name)
	e.labels = t.acquireTuple(&d.labels)
	return e
}

func (t *tables) acquireTuple(values *labelValues) uint32 {
	if *values == (labelValues{}) {
		return 0
	}
	var key labelIDs
	for i, v := range values {
		key[i], _ = t.symbols.acquire(v)
	}
	id, added := t.tuples.acquire(key)
	if !added { // the tuple already holds its values
		for _, v := range key {
			t.symbols.release(v)
		}
	}
	return id
}

// lookup returns the entry d would be, without taking references; false when a string of d is in no shelved
// entry, which d then equals none of. The caller holds t.mu, for reading at least.
func (t *tables) lookup(d *draft) (entry, bool) {
	e := d.e
	var ok bool
	if e.name, ok = t.symbols.lookup(d.name); !ok {
		return entry{}, false
	}
	var key labelIDs
	for i, v := range d.labels {
		if key[i], ok = t.symbols.lookup(v); !ok {
			return entry{}, false
		}
	}
	if e.labels, ok = t.tuples.lookup(key); !ok {
		return entry{}, false
	}
	return e, true
}

// release gives back the references of entries that left the shelves. It takes t.mu.
func (t *tables) release(entries ...entry) {
	if len(entries) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range entries {
		t.symbols.release(entries[i].name)
		if key, freed := t.tuples.release(entries[i].labels); freed {
			for _, v := range key {
				t.symbols.release(v)
			}
		}
	}
}

// resolve returns the name and label values of an entry the caller holds references of (a shelved one, or one
// not yet released). The caller holds t.mu, for reading at least.
func (t *tables) resolve(e *entry) (string, labelValues) {
	return t.symbols.key(e.name), t.resolveLabels(e)
}

// resolveLabels returns the label values of an entry, as resolve does.
func (t *tables) resolveLabels(e *entry) labelValues {
	var values labelValues
	if e.labels != 0 {
		for i, v := range t.tuples.key(e.labels) {
			values[i] = t.symbols.key(v)
		}
	}
	return values
}

// shelfKey returns the symbols' copy of a shelf's name when there is one (the namespace's own entry, or a
// cluster-scoped object's), so that the shelves' map shares it rather than keeping a copy of its own.
func (t *tables) shelfKey(name string) string {
	if id, ok := t.symbols.lookup(name); ok {
		return t.symbols.key(id)
	}
	return name
}

// refTable maps keys to uint32 IDs and counts the references to each. ID 0 is the zero key, always there and
// never counted. Freed IDs are reused; the map is rebuilt, and the slots trimmed, as the table shrinks, so that
// it holds about what it did at its fullest since it last shrank, and never more than that. It has no lock; its
// user (tables) has one.
type refTable[K comparable] struct {
	ids  map[K]uint32
	keys []K      // by ID; the zero key for ID 0 and for free IDs
	refs []uint32 // by ID; 0 for free IDs
	free []uint32 // free IDs, reused before the table grows; IDs past the slots (trimmed) are dropped when met
	live int      // IDs in use
	high int      // the most IDs in use since ids was made
}

// minShrink is the size below which a table is not shrunk: rebuilding a map of a few dozen keys saves nothing.
const minShrink = 256

func newRefTable[K comparable]() refTable[K] {
	return refTable[K]{ids: map[K]uint32{}, keys: make([]K, 1), refs: make([]uint32, 1)}
}

// acquire returns k's ID, taking a reference; added reports that k was not in the table.
func (t *refTable[K]) acquire(k K) (id uint32, added bool) {
	var zero K
	if k == zero {
		return 0, false
	}
	if id, ok := t.ids[k]; ok {
		t.refs[id]++
		return id, false
	}
	if s, ok := any(k).(string); ok { // the table may outlive the object k was decoded from, not its buffer
		k = any(strings.Clone(s)).(K)
	}
	id = t.newID()
	t.keys[id], t.refs[id] = k, 1
	t.ids[k] = id
	t.live++
	t.high = max(t.high, t.live)
	return id, true
}

func (t *refTable[K]) newID() uint32 {
	for len(t.free) > 0 {
		id := t.free[len(t.free)-1]
		t.free = t.free[:len(t.free)-1]
		if int(id) < len(t.keys) { // else trimmed: its slot is gone
			return id
		}
	}
	t.keys = append(t.keys, *new(K))
	t.refs = append(t.refs, 0)
	return uint32(len(t.keys) - 1)
}

// lookup returns k's ID without taking a reference; false when k is not in the table.
func (t *refTable[K]) lookup(k K) (uint32, bool) {
	var zero K
	if k == zero {
		return 0, true
	}
	id, ok := t.ids[k]
	return id, ok
}

// key returns the key of id, which the caller holds a reference to.
func (t *refTable[K]) key(id uint32) K { return t.keys[id] }

// release gives back a reference to id; when it was the last, the ID is freed and its key returned.
func (t *refTable[K]) release(id uint32) (key K, freed bool) {
	if id == 0 {
		return key, false
	}
	if t.refs[id] == 0 {
		panic("inventory: a table ID was released more often than acquired")
	}
	if t.refs[id]--; t.refs[id] > 0 {
		return key, false
	}
	key = t.keys[id]
	delete(t.ids, key)
	t.keys[id] = *new(K)
	t.free = append(t.free, id)
	t.live--
	t.shrink()
	return key, true
}

// shrink gives back the memory of freed IDs: a Go map keeps its size after deletes, so the map is rebuilt when it
// holds under a quarter of what it held; trailing free slots are trimmed, and the slots reallocated when they use
// under a quarter of their capacity. Each costs as much as the releases that led to it (amortized O(1)).
func (t *refTable[K]) shrink() {
	if t.high >= minShrink && t.live*4 < t.high {
		ids := make(map[K]uint32, t.live)
		for k, id := range t.ids {
			ids[k] = id
		}
		t.ids, t.high = ids, t.live
	}
	n := len(t.keys)
	for n > 1 && t.refs[n-1] == 0 {
		n--
	}
	if n == len(t.keys) {
		return
	}
	t.keys, t.refs = t.keys[:n], t.refs[:n]
	if cap(t.keys) >= minShrink && n*4 < cap(t.keys) {
		t.keys, t.refs = slices.Clone(t.keys), slices.Clone(t.refs)
	}
	if freeSlots := n - 1 - t.live; len(t.free) > 2*freeSlots+minShrink { // mostly trimmed IDs: drop them
		t.free = slices.DeleteFunc(t.free, func(id uint32) bool { return int(id) >= n })
		if cap(t.free) > 4*len(t.free)+minShrink {
			t.free = slices.Clone(t.free)
		}
	}
}

// len returns the number of IDs in use.
func (t *refTable[K]) len() int { return t.live }
