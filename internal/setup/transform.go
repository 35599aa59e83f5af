package setup

import (
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// lastApplied is kubectl's copy of the whole object, as it last applied it: on objects kept in GitOps it doubles
// their size, and naas never reads it.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// leanObject is the cache's transform of the full objects naas caches (claims, tenants, the catalog): it drops the
// managed fields and kubectl's last-applied copy, and shares the strings that repeat from object to object (label
// keys and values, condition types, reasons and messages), so that 10,000 claims hold one copy of "the tenant,
// template, tier and parameters are valid", not 10,000.
func leanObject(strs *interner) toolscache.TransformFunc {
	return func(in any) (any, error) {
		obj, ok := in.(metav1.Object)
		if !ok {
			return in, nil
		}
		obj.SetManagedFields(nil)
		leanMeta(strs, obj)
		if c, ok := in.(*naasv1alpha1.NamespaceClaim); ok {
			leanClaim(strs, c)
		}
		return in, nil
	}
}

// leanMetadataOnly is the transform of the metadata-only informers (metadataKinds): it keeps who manages each
// object, which apply.Apply needs to trust that the object is as naas applied it, but not the field sets, the
// bulk of the managed fields.
func leanMetadataOnly(strs *interner) toolscache.TransformFunc {
	return func(in any) (any, error) {
		obj, ok := in.(metav1.Object)
		if !ok {
			return in, nil
		}
		if mf := obj.GetManagedFields(); mf != nil {
			lean := make([]metav1.ManagedFieldsEntry, len(mf))
			for i, e := range mf {
				lean[i] = metav1.ManagedFieldsEntry{
					Manager: strs.get(e.Manager), Operation: e.Operation, Subresource: strs.get(e.Subresource),
				}
			}
			obj.SetManagedFields(lean)
		}
		leanMeta(strs, obj)
		return in, nil
	}
}

func leanMeta(strs *interner, obj metav1.Object) {
	if a := obj.GetAnnotations(); a != nil {
		delete(a, lastApplied)
		obj.SetAnnotations(strs.mapOf(a, obj.GetName()))
	}
	if l := obj.GetLabels(); l != nil {
		obj.SetLabels(strs.mapOf(l, obj.GetName()))
	}
	if f := obj.GetFinalizers(); f != nil {
		for i := range f {
			f[i] = strs.get(f[i])
		}
	}
}

func leanClaim(strs *interner, c *naasv1alpha1.NamespaceClaim) {
	c.Spec.Tenant = strs.get(c.Spec.Tenant)
	c.Spec.Template = strs.get(c.Spec.Template)
	c.Spec.Tier = strs.get(c.Spec.Tier)
	if r := c.Spec.Requester; r != nil {
		r.Username = strs.get(r.Username)
		for i := range r.Groups {
			r.Groups[i] = strs.get(r.Groups[i])
		}
	}
	c.Status.Phase = strs.get(c.Status.Phase)
	c.Status.Tier = strs.get(c.Status.Tier)
	for i := range c.Status.Conditions {
		cond := &c.Status.Conditions[i]
		cond.Type = strs.get(cond.Type)
		cond.Reason = strs.get(cond.Reason)
		cond.Status = metav1.ConditionStatus(strs.get(string(cond.Status)))
		if !strings.Contains(cond.Message, c.Name) {
			cond.Message = strs.get(cond.Message)
		}
	}
}

// interner shares equal strings. It holds at most max of them, so that strings unique to one object cannot grow it
// without bound; callers leave out the strings they know are unique (those with the object's name).
type interner struct {
	mu   sync.Mutex
	strs map[string]string
	max  int
}

func newInterner(maxStrings int) *interner {
	return &interner{strs: map[string]string{}, max: maxStrings}
}

func (t *interner) get(s string) string {
	if s == "" || len(s) > 1024 {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if shared, ok := t.strs[s]; ok {
		return shared
	}
	if len(t.strs) < t.max {
		t.strs[s] = s
	}
	return s
}

// mapOf returns m with its keys and values shared, except values that contain name.
func (t *interner) mapOf(m map[string]string, name string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if name == "" || !strings.Contains(v, name) {
			v = t.get(v)
		}
		out[t.get(k)] = v
	}
	return out
}
