package inventory

import (
	"fmt"
	"sync"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
)

// maxLabels bounds Options.Labels: an entry keeps the values in an array, not a map (a map costs hundreds of
// bytes, for one object in a hundred thousand).
const maxLabels = 6

// entry is what the inventory keeps of one object.
type entry struct {
	uid       types.UID
	stamp     string
	labels    [maxLabels]string
	deleting  int64 // the deletion timestamp, in Unix seconds; 0 when not being deleted
	untouched bool
}

// store is the inventory of one kind: a toolscache.ReflectorStore that keeps entries, not objects, and tells the
// inventory's sources what changed.
type store struct {
	inv  *Inventory
	kind Kind

	mu      sync.RWMutex
	objects map[string]map[string]*entry // namespace ("" for cluster-scoped kinds), name
	synced  atomic.Bool
}

var _ toolscache.ReflectorStore = (*store)(nil)

// entryOf reduces an object to its entry, its namespace and its name.
func (s *store) entryOf(obj any) (*entry, string, string, error) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return nil, "", "", fmt.Errorf("inventory of %s: unexpected %T", s.kind.GVK.Kind, obj)
	}
	strs := s.inv.strs
	e := &entry{uid: m.UID, untouched: s.inv.opts.Untouched(m.ManagedFields)}
	if a := m.Annotations; a != nil {
		e.stamp = a[s.inv.opts.StampAnnotation]
	}
	for k, i := range s.inv.labels {
		if v := m.Labels[k]; v != "" {
			e.labels[i] = strs.Get(v)
		}
	}
	if m.DeletionTimestamp != nil {
		e.deleting = m.DeletionTimestamp.Unix()
		if e.deleting == 0 {
			e.deleting = 1
		}
	}
	return e, strs.Get(m.Namespace), strs.Get(m.Name), nil
}

func (s *store) Add(obj any) error    { return s.put(obj) }
func (s *store) Update(obj any) error { return s.put(obj) }

func (s *store) put(obj any) error {
	e, ns, name, err := s.entryOf(obj)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.objects[ns][name]
	if s.objects[ns] == nil {
		s.objects[ns] = map[string]*entry{}
	}
	s.objects[ns][name] = e
	s.mu.Unlock()
	if old == nil || *old != *e {
		s.inv.changed(s, ns, name, e)
	}
	return nil
}

func (s *store) Delete(obj any) error {
	_, ns, name, err := s.entryOf(obj)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.objects[ns][name]
	delete(s.objects[ns], name)
	if len(s.objects[ns]) == 0 {
		delete(s.objects, ns)
	}
	s.mu.Unlock()
	if old != nil {
		s.inv.changed(s, ns, name, old)
	}
	return nil
}

// Replace takes a full list (at start, and after a watch could not resume): objects that appeared, changed or
// disappeared meanwhile are told to the sources as such.
func (s *store) Replace(list []any, _ string) error {
	objects := make(map[string]map[string]*entry, len(s.objects))
	type change struct {
		ns, name string
		e        *entry
	}
	var changes []change
	s.mu.Lock()
	for _, obj := range list {
		e, ns, name, err := s.entryOf(obj)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		if objects[ns] == nil {
			objects[ns] = map[string]*entry{}
		}
		objects[ns][name] = e
		if old := s.objects[ns][name]; old == nil || *old != *e {
			changes = append(changes, change{ns, name, e})
		}
	}
	for ns, byName := range s.objects {
		for name, old := range byName {
			if _, ok := objects[ns][name]; !ok {
				changes = append(changes, change{ns, name, old})
			}
		}
	}
	s.objects = objects
	s.mu.Unlock()
	s.synced.Store(true)
	for _, c := range changes {
		s.inv.changed(s, c.ns, c.name, c.e)
	}
	return nil
}

func (s *store) Resync() error { return nil }

func notFound(k Kind, name string) error {
	return apierrors.NewNotFound(k.GVK.GroupVersion().WithResource(k.Resource).GroupResource(), name)
}
