package inventory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// pointers returns the paths of the fields of typ that hold a pointer, and so make the garbage collector scan it.
func pointers(typ reflect.Type, path string) []string {
	switch typ.Kind() {
	case reflect.Struct:
		var out []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			out = append(out, pointers(f.Type, path+"."+f.Name)...)
		}
		return out
	case reflect.Array:
		return pointers(typ.Elem(), path+"[]")
	case reflect.String, reflect.Pointer, reflect.UnsafePointer, reflect.Slice, reflect.Map, reflect.Interface,
		reflect.Chan, reflect.Func:
		return []string{path + " (" + typ.Kind().String() + ")"}
	default:
		return nil
	}
}

func TestEntry_HoldsNoPointersSoTheCollectorNeverScansShelves(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[entry](), reflect.TypeFor[labelIDs]()} {
		if p := pointers(typ, typ.Name()); len(p) > 0 {
			t.Errorf("%s holds pointers: %v", typ, p)
		}
	}
	if size := unsafe.Sizeof(entry{}); size != entrySize || entrySize != 48 {
		t.Errorf("an entry is %d bytes, the doc says %d (48)", size, entrySize)
	}
	// The walk itself finds what it must: a draft holds strings.
	if got, want := pointers(reflect.TypeFor[draft](), "draft"), []string{"draft.name (string)", "draft.labels[] (string)"}; !slices.Equal(got, want) {
		t.Errorf("pointers of a draft: %v, want %v", got, want)
	}
}

var roleBindingGVK = schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"}

// tablesInventory is an inventory of namespaces, quotas and role bindings that keeps two labels.
func tablesInventory(t *testing.T) *Inventory {
	t.Helper()
	inv, err := New(nil, Options{
		Kinds: []Kind{
			{GVK: namespaceGVK, Resource: "namespaces", ClusterScoped: true},
			{GVK: quotaGVK, Resource: "resourcequotas"},
			{GVK: roleBindingGVK, Resource: "rolebindings"},
		},
		Labels:          []string{"naas.dev/claim", "naas.dev/tier"},
		StampAnnotation: "naas.dev/applied",
		Untouched:       func([]metav1.ManagedFieldsEntry) bool { return true },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range inv.kinds {
		s.synced.Store(true) // as if listed: reads do not wait
	}
	// A source, so that every change is turned back into names, as naas's controller makes the inventory do.
	inv.handlers = append(inv.handlers, func(o client.Object) {
		if o.GetName() == "" {
			t.Errorf("told of an object without a name: %+v", o)
		}
	})
	return inv
}

// obj is an object ns/name with labels given as key=value.
func obj(ns, name string, labels ...string) *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		m.Labels[k] = v
	}
	return m
}

// contents returns what the inventory reads back of every kind, as "Kind ns/name key=value...".
func contents(t *testing.T, inv *Inventory) []string {
	t.Helper()
	var out []string
	for _, k := range inv.opts.Kinds {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(k.GVK.GroupVersion().WithKind(k.GVK.Kind + "List"))
		if err := inv.List(context.Background(), list); err != nil {
			t.Fatal(err)
		}
		for _, m := range list.Items {
			line := k.GVK.Kind + " " + m.Namespace + "/" + m.Name
			var labels []string
			for key, v := range m.Labels {
				labels = append(labels, key+"="+v)
			}
			sort.Strings(labels)
			out = append(out, strings.TrimSpace(line+" "+strings.Join(labels, " ")))
			got := &metav1.PartialObjectMetadata{}
			got.SetGroupVersionKind(k.GVK)
			if err := inv.Get(context.Background(), client.ObjectKey{Namespace: m.Namespace, Name: m.Name}, got); err != nil {
				t.Errorf("get %s that the list has: %v", line, err)
			}
		}
	}
	sort.Strings(out)
	return out
}

// symbolsHeld returns the strings the symbol table holds, sorted.
func symbolsHeld(inv *Inventory) []string {
	inv.tables.mu.RLock()
	defer inv.tables.mu.RUnlock()
	var out []string
	for s := range inv.tables.symbols.ids {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// checkTables checks that every ID's count is the number of references to it (an entry on a shelf to its name
// and tuple, a live tuple to its values), and that the tables hold nothing else.
func checkTables(t *testing.T, inv *Inventory) {
	t.Helper()
	inv.shelves.mu.RLock()
	defer inv.shelves.mu.RUnlock()
	inv.tables.mu.RLock()
	defer inv.tables.mu.RUnlock()
	symbolRefs, tupleRefs := map[uint32]int{}, map[uint32]int{}
	for name, sh := range inv.shelves.by {
		if len(sh) == 0 {
			t.Errorf("shelf %q is kept empty", name)
		}
		for _, e := range sh {
			if e.name == 0 {
				t.Errorf("an entry on shelf %q has no name", name)
			}
			symbolRefs[e.name]++
			if e.labels != 0 {
				tupleRefs[e.labels]++
			}
			if int(e.kind) < len(inv.opts.Kinds) && inv.opts.Kinds[e.kind].ClusterScoped &&
				int(e.name) < len(inv.tables.symbols.keys) && inv.tables.symbols.keys[e.name] != name {
				t.Errorf("a cluster-scoped entry %q is on shelf %q", inv.tables.symbols.keys[e.name], name)
			}
		}
	}
	tuples := &inv.tables.tuples
	for id := 1; id < len(tuples.keys); id++ {
		if tuples.refs[id] == 0 {
			continue
		}
		if tuples.keys[id] == (labelIDs{}) {
			t.Errorf("tuple %d is of no labels, which is tuple 0", id)
		}
		for _, v := range tuples.keys[id] {
			if v != 0 {
				symbolRefs[v]++
			}
		}
	}
	checkRefTable(t, "tuples", tuples, tupleRefs)
	checkRefTable(t, "symbols", &inv.tables.symbols, symbolRefs)
}

func checkRefTable[K comparable](t *testing.T, what string, tab *refTable[K], want map[uint32]int) {
	t.Helper()
	var zero K
	if len(tab.keys) != len(tab.refs) || len(tab.keys) == 0 || tab.keys[0] != zero || tab.refs[0] != 0 {
		t.Fatalf("%s: slot 0 is not the zero key, or the slots disagree (%d keys, %d counts)", what, len(tab.keys), len(tab.refs))
	}
	for id := range want {
		if int(id) >= len(tab.keys) {
			t.Errorf("%s: ID %d is referenced but past the slots (%d)", what, id, len(tab.keys))
		}
	}
	free := map[uint32]bool{}
	for _, id := range tab.free {
		if int(id) >= len(tab.keys) {
			continue // trimmed, dropped when met
		}
		if free[id] {
			t.Errorf("%s: ID %d is free twice", what, id)
		}
		free[id] = true
	}
	live := 0
	for id := 1; id < len(tab.keys); id++ {
		refs, k := int(tab.refs[id]), tab.keys[id]
		if refs != want[uint32(id)] {
			t.Errorf("%s: ID %d (%v) counts %d references, %d hold it", what, id, k, refs, want[uint32(id)])
		}
		if refs == 0 {
			if k != zero {
				t.Errorf("%s: free ID %d keeps its key %v", what, id, k)
			}
			if !free[uint32(id)] {
				t.Errorf("%s: free ID %d is not reused", what, id)
			}
			continue
		}
		live++
		if free[uint32(id)] {
			t.Errorf("%s: ID %d is in use and free", what, id)
		}
		if got, ok := tab.ids[k]; !ok || got != uint32(id) {
			t.Errorf("%s: key %v of ID %d maps to %d (%v)", what, k, id, got, ok)
		}
	}
	if len(tab.ids) != live || tab.len() != live {
		t.Errorf("%s: %d keys in the map, %d counted live, %d IDs in use", what, len(tab.ids), tab.len(), live)
	}
}

type op struct {
	kind schema.GroupVersionKind
	verb string // add, update, delete, replace
	objs []*metav1.PartialObjectMetadata
}

func do(kind schema.GroupVersionKind, verb string, objs ...*metav1.PartialObjectMetadata) op {
	return op{kind: kind, verb: verb, objs: objs}
}

func (o op) run(inv *Inventory) error {
	s := inv.kinds[o.kind]
	switch o.verb {
	case "add":
		return s.Add(o.objs[0])
	case "update":
		return s.Update(o.objs[0])
	case "delete":
		return s.Delete(o.objs[0])
	case "delete-unknown-final-state":
		return s.Delete(toolscache.DeletedFinalStateUnknown{Key: "x", Obj: o.objs[0]})
	case "replace":
		list := make([]any, len(o.objs))
		for i, m := range o.objs {
			list[i] = m
		}
		return s.Replace(list, "1")
	}
	return fmt.Errorf("unknown verb %q", o.verb)
}

// TestStore_TablesCountExactlyTheReferencesOfShelvedEntries runs sequences of what reflectors do and checks, after
// every step, that the tables' counts are the shelved entries' references and nothing else is held; then what
// reads return, and which strings the tables hold.
func TestStore_TablesCountExactlyTheReferencesOfShelvedEntries(t *testing.T) {
	const claimA, claimB, gold, silver = "naas.dev/claim=a", "naas.dev/claim=b", "naas.dev/tier=gold", "naas.dev/tier=silver"
	tests := []struct {
		name    string
		ops     []op
		want    []string // what reads return
		symbols []string // what the symbol table holds
		tuples  int
	}{{
		name: "an update equal to what is shelved, or different only in what is not kept, takes no references",
		ops: []op{
			do(quotaGVK, "add", obj("a", "q", claimA, gold)),
			do(quotaGVK, "update", obj("a", "q", claimA, gold)),
			do(quotaGVK, "update", obj("a", "q", claimA, gold, "team=payments")),
			do(quotaGVK, "add", obj("a", "q", claimA, gold)),
		},
		want:    []string{"ResourceQuota a/q naas.dev/claim=a naas.dev/tier=gold"},
		symbols: []string{"a", "gold", "q"},
		tuples:  1,
	}, {
		name: "an update to other labels moves the entry to another tuple and frees the old one and its values",
		ops: []op{
			do(quotaGVK, "add", obj("a", "q", claimA, gold)),
			do(quotaGVK, "update", obj("a", "q", claimA, silver)),
			do(quotaGVK, "update", obj("a", "q", claimA)),
		},
		want:    []string{"ResourceQuota a/q naas.dev/claim=a"},
		symbols: []string{"a", "q"},
		tuples:  1,
	}, {
		name: "an update that drops every label uses tuple 0",
		ops: []op{
			do(quotaGVK, "add", obj("a", "q", claimA, gold)),
			do(quotaGVK, "update", obj("a", "q", "team=payments")),
		},
		want:    []string{"ResourceQuota a/q"},
		symbols: []string{"q"},
		tuples:  0,
	}, {
		name: "the objects of a namespace share their tuple, a namespace its name with the label values",
		ops: []op{
			do(namespaceGVK, "add", obj("", "a", claimA, gold)),
			do(quotaGVK, "add", obj("a", "q", claimA, gold)),
			do(roleBindingGVK, "add", obj("a", "q", claimA, gold)),
			do(roleBindingGVK, "add", obj("a", "admins", claimA, gold)),
		},
		want: []string{"Namespace /a naas.dev/claim=a naas.dev/tier=gold", "ResourceQuota a/q naas.dev/claim=a naas.dev/tier=gold",
			"RoleBinding a/admins naas.dev/claim=a naas.dev/tier=gold", "RoleBinding a/q naas.dev/claim=a naas.dev/tier=gold"},
		symbols: []string{"a", "admins", "gold", "q"},
		tuples:  1,
	}, {
		name: "deletes of unknown objects, names or namespaces change nothing and leave nothing",
		ops: []op{
			do(quotaGVK, "add", obj("a", "q", claimA)),
			do(quotaGVK, "delete", obj("b", "q", claimB)),
			do(quotaGVK, "delete", obj("a", "unknown", claimA, silver)),
			do(roleBindingGVK, "delete", obj("a", "q", claimA)),
			do(namespaceGVK, "delete", obj("", "a", claimA)),
			do(quotaGVK, "delete-unknown-final-state", obj("c", "never", "naas.dev/claim=c")),
		},
		want:    []string{"ResourceQuota a/q naas.dev/claim=a"},
		symbols: []string{"a", "q"},
		tuples:  1,
	}, {
		name: "deletes give every reference back",
		ops: []op{
			do(namespaceGVK, "add", obj("", "a", claimA)),
			do(quotaGVK, "add", obj("a", "q", claimA, gold)),
			do(quotaGVK, "add", obj("b", "q", claimB, gold)),
			do(quotaGVK, "delete", obj("a", "q")), // a delete's labels are not the entry's: the entry's are released
			do(quotaGVK, "delete-unknown-final-state", obj("b", "q", claimB, gold)),
			do(namespaceGVK, "delete", obj("", "a", claimA)),
		},
		want: nil, symbols: nil, tuples: 0,
	}, {
		name: "a relist drops the shelves it lists none of, and the names only they used",
		ops: []op{
			do(quotaGVK, "replace", obj("a", "q", claimA, gold), obj("b", "q", claimB, gold), obj("c", "only-c", "naas.dev/claim=c")),
			do(quotaGVK, "replace", obj("a", "q", claimA, gold)),
		},
		want:    []string{"ResourceQuota a/q naas.dev/claim=a naas.dev/tier=gold"},
		symbols: []string{"a", "gold", "q"},
		tuples:  1,
	}, {
		name: "a relist of unchanged shelves keeps their references, once",
		ops: []op{
			do(quotaGVK, "replace", obj("a", "q", claimA), obj("b", "q", claimB)),
			do(quotaGVK, "replace", obj("a", "q", claimA), obj("b", "q", claimB)),
			do(quotaGVK, "replace", obj("a", "q", claimA), obj("b", "q", claimB)),
		},
		want:    []string{"ResourceQuota a/q naas.dev/claim=a", "ResourceQuota b/q naas.dev/claim=b"},
		symbols: []string{"a", "b", "q"},
		tuples:  2,
	}, {
		name: "a relist that changes, adds and drops entries on a shelf other kinds share",
		ops: []op{
			do(namespaceGVK, "add", obj("", "a", claimA)),
			do(roleBindingGVK, "add", obj("a", "admins", claimA, gold)),
			do(quotaGVK, "replace", obj("a", "q", claimA, gold), obj("a", "old", claimA, gold)),
			do(quotaGVK, "replace", obj("a", "q", claimA, silver), obj("a", "new", claimA)),
		},
		want: []string{"Namespace /a naas.dev/claim=a", "ResourceQuota a/new naas.dev/claim=a",
			"ResourceQuota a/q naas.dev/claim=a naas.dev/tier=silver", "RoleBinding a/admins naas.dev/claim=a naas.dev/tier=gold"},
		symbols: []string{"a", "admins", "gold", "new", "q", "silver"},
		tuples:  3,
	}, {
		name: "an empty relist empties the kind; other kinds keep theirs",
		ops: []op{
			do(namespaceGVK, "replace", obj("", "a", claimA), obj("", "b", claimB)),
			do(quotaGVK, "replace", obj("a", "q", claimA, gold), obj("b", "q", claimB)),
			do(quotaGVK, "replace"),
		},
		want:    []string{"Namespace /a naas.dev/claim=a", "Namespace /b naas.dev/claim=b"},
		symbols: []string{"a", "b"},
		tuples:  2,
	}, {
		name: "a namespace relisted away leaves the quotas in it, which keep its name as their shelf's",
		ops: []op{
			do(namespaceGVK, "replace", obj("", "a", claimA)),
			do(quotaGVK, "add", obj("a", "q", claimA)),
			do(namespaceGVK, "replace"),
			do(namespaceGVK, "add", obj("", "a", claimA, gold)),
		},
		want:    []string{"Namespace /a naas.dev/claim=a naas.dev/tier=gold", "ResourceQuota a/q naas.dev/claim=a"},
		symbols: []string{"a", "gold", "q"},
		tuples:  2,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := tablesInventory(t)
			for i, o := range tt.ops {
				if err := o.run(inv); err != nil {
					t.Fatalf("step %d (%s): %v", i, o.verb, err)
				}
				checkTables(t, inv)
				if t.Failed() {
					t.Fatalf("after step %d (%s %s)", i, o.verb, o.kind.Kind)
				}
			}
			if diff := cmp.Diff(tt.want, contents(t, inv)); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.symbols, symbolsHeld(inv)); diff != "" {
				t.Errorf("symbols held (-want +got):\n%s", diff)
			}
			if got := inv.tables.tuples.len(); got != tt.tuples {
				t.Errorf("%d tuples held, want %d", got, tt.tuples)
			}
		})
	}
}

// TestStore_TablesEndEmptyAfterNamespaceChurn creates and deletes the entries of many namespaces, round after round
// with new names, as namespace churn does: the tables end empty, and never hold more than the live entries need.
func TestStore_TablesEndEmptyAfterNamespaceChurn(t *testing.T) {
	const namespaces, rounds = 600, 4
	for _, how := range []string{"deleted", "relisted away"} {
		t.Run(how, func(t *testing.T) {
			inv := tablesInventory(t)
			namespaceStore, quotas, bindings := inv.kinds[namespaceGVK], inv.kinds[quotaGVK], inv.kinds[roleBindingGVK]
			for round := range rounds {
				for i := range namespaces {
					ns := fmt.Sprintf("team-%d-%d", round, i)
					claim, tier := "naas.dev/claim="+ns, fmt.Sprintf("naas.dev/tier=tier-%d", i%7)
					for _, step := range []struct {
						s *store
						m *metav1.PartialObjectMetadata
					}{
						{namespaceStore, obj("", ns, claim, tier)},
						{quotas, obj(ns, "naas-quota", claim, tier)},
						{quotas, obj(ns, "extra-"+ns, claim)},
						{bindings, obj(ns, "admins", claim, tier)},
					} {
						if err := step.s.Add(step.m); err != nil {
							t.Fatal(err)
						}
					}
				}
				checkTables(t, inv)
				// A namespace's name, its extra quota, the shared names, and 7 tiers; two tuples a namespace.
				if got, want := inv.tables.symbols.len(), 2*namespaces+2+7; got != want {
					t.Errorf("round %d: %d symbols, want %d", round, got, want)
				}
				if got, want := len(inv.tables.symbols.keys), 2*namespaces+2+7+1; got > want {
					t.Errorf("round %d: %d symbol slots, more than the %d the live entries need", round, got, want)
				}
				if got := inv.tables.tuples.len(); got != 2*namespaces {
					t.Errorf("round %d: %d tuples, want %d", round, got, 2*namespaces)
				}
				switch how {
				case "deleted":
					for i := range namespaces {
						ns := fmt.Sprintf("team-%d-%d", round, i)
						for _, step := range []struct {
							s *store
							m *metav1.PartialObjectMetadata
						}{
							{quotas, obj(ns, "naas-quota")},
							{bindings, obj(ns, "admins")},
							{namespaceStore, obj("", ns)},
							{quotas, obj(ns, "extra-"+ns)},
						} {
							if err := step.s.Delete(step.m); err != nil {
								t.Fatal(err)
							}
						}
					}
				case "relisted away":
					for _, s := range []*store{quotas, namespaceStore, bindings} {
						if err := s.Replace(nil, "1"); err != nil {
							t.Fatal(err)
						}
					}
				}
				checkTables(t, inv)
				if len(inv.shelves.by) != 0 {
					t.Errorf("round %d: %d shelves left", round, len(inv.shelves.by))
				}
				for what, tab := range map[string]interface {
					len() int
				}{"symbols": &inv.tables.symbols, "tuples": &inv.tables.tuples} {
					if tab.len() != 0 {
						t.Errorf("round %d: %d %s left", round, tab.len(), what)
					}
				}
				if len(inv.tables.symbols.ids) != 0 || len(inv.tables.symbols.keys) != 1 || len(inv.tables.tuples.ids) != 0 ||
					len(inv.tables.tuples.keys) != 1 {
					t.Errorf("round %d: the tables kept slots: %d symbol, %d tuple", round, len(inv.tables.symbols.keys), len(inv.tables.tuples.keys))
				}
				if t.Failed() {
					t.FailNow()
				}
			}
		})
	}
}

// TestRefTable_CountsReferencesAndReusesFreedIDs drives a table with random acquires and releases against a model
// of the references held: IDs stay stable while held, freed IDs are reused, and the table shrinks back.
func TestRefTable_CountsReferencesAndReusesFreedIDs(t *testing.T) {
	tab := newRefTable[string]()
	rng := rand.New(rand.NewPCG(1, 2))
	held := map[string][]uint32{} // the IDs of the references held, by key
	check := func(step int) {
		t.Helper()
		want := map[uint32]int{}
		for k, ids := range held {
			for _, id := range ids {
				if got := tab.key(id); got != k {
					t.Fatalf("step %d: ID %d is %q, held as %q", step, id, got, k)
				}
				want[id]++
			}
		}
		checkRefTable(t, "table", &tab, want)
		if t.Failed() {
			t.FailNow()
		}
	}
	for step := range 20000 {
		// Grow to about 2,000 keys, then shrink to none, twice.
		phase := step / 5000
		acquire := rng.IntN(100) < map[int]int{0: 70, 1: 30, 2: 70, 3: 20}[phase]
		if acquire {
			k := fmt.Sprintf("k%d", rng.IntN(3000))
			id, added := tab.acquire(k)
			if added != (len(held[k]) == 0) {
				t.Fatalf("step %d: acquire %q: added %v with %d references held", step, k, added, len(held[k]))
			}
			held[k] = append(held[k], id)
		} else if len(held) > 0 {
			keys := make([]string, 0, len(held))
			for k := range held {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			k := keys[rng.IntN(len(keys))]
			id := held[k][len(held[k])-1]
			if held[k] = held[k][:len(held[k])-1]; len(held[k]) == 0 {
				delete(held, k)
			}
			if key, freed := tab.release(id); freed != (len(held[k]) == 0) || freed && key != k {
				t.Fatalf("step %d: release of %q: freed %v (%q) with %d references left", step, k, freed, key, len(held[k]))
			}
		}
		if step%500 == 0 {
			check(step)
		}
	}
	for k, ids := range held {
		for _, id := range ids {
			tab.release(id)
		}
		delete(held, k)
	}
	check(-1)
	if len(tab.keys) != 1 || len(tab.ids) != 0 {
		t.Errorf("an empty table keeps %d slots, %d keys", len(tab.keys), len(tab.ids))
	}
	if id, ok := tab.lookup(""); !ok || id != 0 {
		t.Errorf("the empty key is ID %d (%v), want 0", id, ok)
	}
	if id, added := tab.acquire(""); id != 0 || added {
		t.Errorf("acquiring the empty key gave ID %d (added %v), want 0", id, added)
	}
}

// TestStore_ReadsAndChangesOfKindsRunTogether runs the stores of two kinds and readers at once (go test -race): the
// tables' lock, taken after the shelves', keeps IDs and names consistent.
func TestStore_ReadsAndChangesOfKindsRunTogether(t *testing.T) {
	inv := tablesInventory(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, kind := range []schema.GroupVersionKind{namespaceGVK, quotaGVK} {
		s := inv.kinds[kind]
		wg.Go(func() {
			for i := range 300 {
				ns := fmt.Sprintf("team-%d", i%20)
				name := ns
				if !s.kind.ClusterScoped {
					name = fmt.Sprintf("q-%d", i%3)
				}
				labels := []string{"naas.dev/claim=" + ns, fmt.Sprintf("naas.dev/tier=t%d", i%5)}
				var err error
				switch i % 4 {
				case 0, 1:
					err = s.Add(obj(namespaceIf(s, ns), name, labels...))
				case 2:
					err = s.Delete(obj(namespaceIf(s, ns), name))
				case 3:
					err = s.Replace([]any{obj(namespaceIf(s, ns), name, labels...)}, "1")
				}
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	readers := sync.WaitGroup{}
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			list := &metav1.PartialObjectMetadataList{}
			list.SetGroupVersionKind(quotaGVK.GroupVersion().WithKind("ResourceQuotaList"))
			if err := inv.List(context.Background(), list, client.MatchingLabels{"naas.dev/tier": "t1"}); err != nil {
				t.Error(err)
				return
			}
			for _, m := range list.Items {
				if m.Labels["naas.dev/claim"] != m.Namespace {
					t.Errorf("quota %s/%s read back with claim %q", m.Namespace, m.Name, m.Labels["naas.dev/claim"])
				}
			}
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()
	checkTables(t, inv)
}

func namespaceIf(s *store, ns string) string {
	if s.kind.ClusterScoped {
		return ""
	}
	return ns
}
