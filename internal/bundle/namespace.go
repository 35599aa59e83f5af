package bundle

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// namespaceObject is the Namespace: the tenant's namespace labels and annotations, overridden by the labels
// naas relies on (ownership, tier, template and Pod Security), so a tenant can never relax its own policy.
func (b *builder) namespaceObject() ([]*unstructured.Unstructured, error) {
	level := b.in.Tier.Spec.PodSecurity
	if level == "" {
		level = naasv1alpha1.PodSecurityRestricted
	}
	labels := b.withLabels(b.in.Tenant.Spec.NamespaceLabels)
	labels[naasv1alpha1.LabelTier] = b.in.Tier.Name
	labels[naasv1alpha1.LabelTemplate] = b.in.Template.Name
	labels[LabelPodSecurityEnforce] = string(level)
	labels[LabelPodSecurityEnforceVersion] = "latest"
	labels[LabelPodSecurityWarn] = string(level)
	labels[LabelPodSecurityAudit] = string(level)

	ns := &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        b.namespace,
			Labels:      labels,
			Annotations: maps.Clone(b.in.Tenant.Spec.NamespaceAnnotations),
		},
	}
	u, err := toUnstructured(ns)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{u}, nil
}
