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
func leanObject() toolscache.TransformFunc {
	return func(in any) (any, error) {
		obj, ok := in.(metav1.Object)
		if !ok {
			return in, nil
		}
		obj.SetManagedFields(nil)
		leanMeta(obj)
		if c, ok := in.(*naasv1alpha1.NamespaceClaim); ok {
			leanClaim(c)
		}
		return in, nil
	}
}

func leanMeta(obj metav1.Object) {
	if a := obj.GetAnnotations(); a != nil {
		delete(a, lastApplied)
		obj.SetAnnotations(internMap(a, obj.GetName()))
	}
	if l := obj.GetLabels(); l != nil {
		obj.SetLabels(internMap(l, obj.GetName()))
	}
	if f := obj.GetFinalizers(); f != nil {
		for i := range f {
			f[i] = intern.String(f[i])
		}
	}
}

func leanClaim(c *naasv1alpha1.NamespaceClaim) {
	c.Spec.Tenant = intern.String(c.Spec.Tenant)
	c.Spec.Template = intern.String(c.Spec.Template)
	c.Spec.Tier = intern.String(c.Spec.Tier)
	if r := c.Spec.Requester; r != nil {
		r.Username = intern.String(r.Username)
		for i := range r.Groups {
			r.Groups[i] = intern.String(r.Groups[i])
		}
	}
	// Decoding grows slices by doubling: at ten conditions a claim held room for sixteen.
	c.Status.Conditions = exact(c.Status.Conditions)
	c.Finalizers = exact(c.Finalizers)
	c.Status.Phase = intern.String(c.Status.Phase)
	c.Status.Tier = intern.String(c.Status.Tier)
	for i := range c.Status.Conditions {
		cond := &c.Status.Conditions[i]
		cond.Type = intern.String(cond.Type)
		cond.Reason = intern.String(cond.Reason)
		cond.Status = metav1.ConditionStatus(intern.String(string(cond.Status)))
		if !strings.Contains(cond.Message, c.Name) {
			cond.Message = intern.String(cond.Message)
		}
	}
}

// internMap returns m with its keys and values shared, except values that contain name.
func internMap(m map[string]string, name string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if name == "" || !strings.Contains(v, name) {
			v = intern.String(v)
		}
		out[intern.String(k)] = v
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
