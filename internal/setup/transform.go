package setup

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/intern"
)

// lastApplied is kubectl's copy of the whole object, as it last applied it: on objects kept in GitOps it doubles
// their size, and naas never reads it.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// leanObject is the cache's transform of the full objects naas caches (claims, tenants, the catalog): it drops the
// managed fields and kubectl's last-applied copy, and shares the strings that repeat from object to object (label
// keys and values, condition types, reasons and messages), so that 10,000 claims hold one copy of "the tenant,
// template, tier and parameters are valid", not 10,000.
func leanObject(strs *intern.Table) toolscache.TransformFunc {
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

func leanMeta(strs *intern.Table, obj metav1.Object) {
	if a := obj.GetAnnotations(); a != nil {
		delete(a, lastApplied)
		obj.SetAnnotations(internMap(strs, a, obj.GetName()))
	}
	if l := obj.GetLabels(); l != nil {
		obj.SetLabels(internMap(strs, l, obj.GetName()))
	}
	if f := obj.GetFinalizers(); f != nil {
		for i := range f {
			f[i] = strs.Get(f[i])
		}
	}
}

func leanClaim(strs *intern.Table, c *naasv1alpha1.NamespaceClaim) {
	c.Spec.Tenant = strs.Get(c.Spec.Tenant)
	c.Spec.Template = strs.Get(c.Spec.Template)
	c.Spec.Tier = strs.Get(c.Spec.Tier)
	if r := c.Spec.Requester; r != nil {
		r.Username = strs.Get(r.Username)
		for i := range r.Groups {
			r.Groups[i] = strs.Get(r.Groups[i])
		}
	}
	// Decoding grows slices by doubling: at ten conditions a claim held room for sixteen.
	c.Status.Conditions = exact(c.Status.Conditions)
	c.Finalizers = exact(c.Finalizers)
	c.Status.Phase = strs.Get(c.Status.Phase)
	c.Status.Tier = strs.Get(c.Status.Tier)
	for i := range c.Status.Conditions {
		cond := &c.Status.Conditions[i]
		cond.Type = strs.Get(cond.Type)
		cond.Reason = strs.Get(cond.Reason)
		cond.Status = metav1.ConditionStatus(strs.Get(string(cond.Status)))
		if !strings.Contains(cond.Message, c.Name) {
			cond.Message = strs.Get(cond.Message)
		}
	}
}

// internMap returns m with its keys and values shared, except values that contain name.
func internMap(strs *intern.Table, m map[string]string, name string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if name == "" || !strings.Contains(v, name) {
			v = strs.Get(v)
		}
		out[strs.Get(k)] = v
	}
	return out
}

// exact returns s in an array exactly as long, unless it is already.
func exact[T any](s []T) []T {
	if cap(s) == len(s) {
		return s
	}
	return slices.Clone(s)
}
