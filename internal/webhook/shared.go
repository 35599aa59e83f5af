package webhook

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// The steps of a Chain handle the same request: each used to decode the object and read the tenant and template
// again, and at 200 claims a second those copies were a third of what admission allocated, which sets how often
// the garbage collector runs (and requests that arrive while it runs wait). A Chain shares them instead: Object,
// OldObject and Get decode or read each once per request and hand every step the same value. What they return is
// shared with the other steps, and what Get returns also with the manager's cache: it must not be changed.

type sharedKey struct{}

// shared holds what the steps of one request decoded and read.
type shared struct {
	mu      sync.Mutex
	entries []sharedEntry // a handful per request: a slice is cheaper than a map
}

type sharedEntry struct {
	typ  reflect.Type
	what string // "object", "oldObject", or the name of an object read
	read bool
	val  any
}

func (s *shared) lookup(typ reflect.Type, what string, read bool) (any, bool) {
	for _, e := range s.entries {
		if e.typ == typ && e.what == what && e.read == read {
			return e.val, true
		}
	}
	return nil, false
}

// withShared returns ctx with a fresh place for one request's shared objects.
func withShared(ctx context.Context) context.Context {
	return context.WithValue(ctx, sharedKey{}, &shared{entries: make([]sharedEntry, 0, 4)})
}

// once returns what make returns for (typ, what, read), calling make only the first time within the request of
// ctx (every time outside a Chain). Errors are not kept.
func once[T any](ctx context.Context, what string, read bool, make func() (T, error)) (T, error) {
	s, _ := ctx.Value(sharedKey{}).(*shared)
	if s == nil {
		return make()
	}
	typ := reflect.TypeFor[T]()
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.lookup(typ, what, read); ok {
		return v.(T), nil
	}
	v, err := make()
	if err != nil {
		return v, err
	}
	s.entries = append(s.entries, sharedEntry{typ: typ, what: what, read: read, val: v})
	return v, nil
}

// Object returns the request's object decoded as a *T, decoded once per request in a Chain. It must not be
// changed.
func Object[T any, PT interface {
	*T
	runtime.Object
}](ctx context.Context, d admission.Decoder, req admission.Request) (PT, error) {
	return decodeOnce[T, PT](ctx, "object", func(obj runtime.Object) error { return d.Decode(req, obj) })
}

// OldObject returns the request's old object (updates and deletes) decoded as a *T, decoded once per request in a
// Chain. It must not be changed.
func OldObject[T any, PT interface {
	*T
	runtime.Object
}](ctx context.Context, d admission.Decoder, req admission.Request) (PT, error) {
	return decodeOnce[T, PT](ctx, "oldObject", func(obj runtime.Object) error { return d.DecodeRaw(req.OldObject, obj) })
}

func decodeOnce[T any, PT interface {
	*T
	runtime.Object
}](ctx context.Context, what string, decode func(runtime.Object) error) (PT, error) {
	return once(ctx, what, false, func() (PT, error) {
		obj := PT(new(T))
		if err := decode(obj); err != nil {
			return nil, err
		}
		return obj, nil
	})
}

// Get reads the cluster-scoped object called name, of kind T, from c (the manager's cache), once per request in a
// Chain. It returns nil, and no error, when name is empty or there is no such object. Only the object's top-level
// struct is copied: its maps and slices are the cache's, so it must not be changed.
func Get[T any, PT interface {
	*T
	client.Object
}](ctx context.Context, c client.Reader, name string) (PT, error) {
	if name == "" {
		return nil, nil
	}
	return once(ctx, name, true, func() (PT, error) {
		obj := PT(new(T))
		if err := c.Get(ctx, client.ObjectKey{Name: name}, obj, client.UnsafeDisableDeepCopy); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("get %T %s: %w", obj, name, err)
		}
		return obj, nil
	})
}

// Clock is a webhook's clock, which tests set; nil is time.Now.
type Clock func() time.Time

// Now returns the current time of the clock.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}
