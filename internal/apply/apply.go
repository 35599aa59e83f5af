// Package apply writes desired objects with server-side apply under the naas
// field owner, and only when the live object differs from what naas wants: an
// idle resync must make zero mutating calls, and an object someone else edited
// is put back.
package apply

import (
	"context"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldOwner is the field manager of every naas write.
const FieldOwner = "naas"

// Result says what Apply did.
type Result int

// Results of Apply.
const (
	Unchanged Result = iota
	Created
	Updated
)

// Apply makes the live object contain desired. live reads the current state (a cache is
// fine: a stale read costs one redundant, harmless apply). It returns what it did.
func Apply(ctx context.Context, c client.Client, live client.Reader, desired *unstructured.Unstructured) (Result, error) {
	current := &unstructured.Unstructured{}
	current.SetGroupVersionKind(desired.GroupVersionKind())
	err := live.Get(ctx, client.ObjectKeyFromObject(desired), current)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return Unchanged, fmt.Errorf("get %s %s: %w", desired.GetKind(), client.ObjectKeyFromObject(desired), err)
	case Contains(current.Object, desired.Object):
		return Unchanged, nil
	}
	obj := desired.DeepCopy()
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return Unchanged, fmt.Errorf("apply %s %s: %w", desired.GetKind(), client.ObjectKeyFromObject(desired), err)
	}
	if apierrors.IsNotFound(err) {
		return Created, nil
	}
	return Updated, nil
}

// ToUnstructured converts a typed object, whose TypeMeta must be set, for Apply.
func ToUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	return u, nil
}

// Contains reports whether live holds every field of desired with the same value:
// maps may have extra keys (defaults, other owners' fields), lists must have the same
// length and each item must contain the desired item. Server-side defaults inside
// list items (a port's protocol) therefore do not count as drift, while a removed
// subject or an edited value does.
func Contains(live, desired any) bool {
	switch d := desired.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return len(d) == 0 && live == nil
		}
		for k, dv := range d {
			if isEmpty(dv) {
				if lv, ok := l[k]; ok && !isEmpty(lv) {
					return false
				}
				continue
			}
			lv, ok := l[k]
			if !ok || !Contains(lv, dv) {
				return false
			}
		}
		return true
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(d) {
			return len(d) == 0 && (live == nil || ok && len(l) == 0)
		}
		for i := range d {
			if !Contains(l[i], d[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(normalize(live), normalize(desired))
	}
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// normalize makes numbers comparable across JSON decoding (float64) and
// conversion from typed objects (int64).
func normalize(v any) any {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int32:
		return float64(n)
	case int64:
		return float64(n)
	case float32:
		return float64(n)
	}
	return v
}

// Keep applies desired (as Apply does) unless the object that c reads into live, an empty object of desired's
// type, already contains it: with c's cache, an idle pass over objects the controller owns makes no call to the
// API server at all, not even a read.
func Keep(ctx context.Context, c client.Client, desired runtime.Object, live client.Object) error {
	u, err := ToUnstructured(desired)
	if err != nil {
		return err
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: u.GetNamespace(), Name: u.GetName()}, live); err == nil {
		live.GetObjectKind().SetGroupVersionKind(u.GroupVersionKind())
		if m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live); err == nil && Contains(m, u.Object) {
			return nil
		}
	}
	_, err = Apply(ctx, c, c, u)
	return err
}
