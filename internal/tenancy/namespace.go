package tenancy

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// ValidateExistingNamespace refuses a claim for a namespace that exists (ns is its metadata, nil when there is
// none) and is not a naas namespace of the claim's tenant: a claim never takes over someone else's namespace.
// Admission and the REST API both ask it, so that kubectl and the API refuse alike.
func ValidateExistingNamespace(c *naasv1alpha1.NamespaceClaim, ns *metav1.ObjectMeta) *field.Error {
	if ns == nil {
		return nil
	}
	l := ns.Labels
	path := field.NewPath("metadata", "name")
	switch {
	case l[naasv1alpha1.LabelManagedBy] != naasv1alpha1.ManagedByValue:
		return field.Forbidden(path, fmt.Sprintf(
			"namespace %q already exists and is not managed by naas; naas never takes over a namespace it did not make: choose another name",
			ns.Name)).WithOrigin("namespaceExists")
	case l[naasv1alpha1.LabelTenant] != c.Spec.Tenant:
		// Which tenant holds it is not said: a user learns of other tenants only that a name is taken.
		return field.Forbidden(path, fmt.Sprintf(
			"namespace %q belongs to another tenant; a namespace never moves between tenants: choose another name",
			ns.Name)).WithOrigin("namespaceOfAnotherTenant")
	}
	return nil
}
