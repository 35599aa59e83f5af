package bundle

import (
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
)

// namespaceObject is the Namespace: the tenant's namespace labels and annotations, overridden by the labels
// naas relies on (ownership, tier, template, Pod Security and deletion protection), so a tenant can never relax its own policy; the
// mesh's enrolment label, the labels of the tenants let in (ingress.naas.dev/<tenant>), and the annotation listing
// the namespace's hostnames, which the route admission policy reads.
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
	delete(labels, LabelDeletionProtection) // it mirrors the claim, never the tenant's namespaceLabels
	if b.in.Claim.Spec.DeletionProtection {
		labels[LabelDeletionProtection] = "true"
	}

	// The mesh and collaboration labels are naas's too: a tenant's namespaceLabels cannot set them.
	for k := range labels {
		if strings.HasPrefix(k, naasv1alpha1.LabelIngressFromPrefix) {
			delete(labels, k)
		}
	}
	if b.in.Template.Spec.Features.Mesh {
		k, v := b.cfg.MeshMode.namespaceLabel()
		labels[k] = v
	}
	for _, c := range b.in.Claim.Spec.Collaborators {
		if c.AllowIngress && c.Tenant != b.tenant {
			labels[naasv1alpha1.LabelIngressFromPrefix+c.Tenant] = naasv1alpha1.LabelIngressAllowed
		}
	}
	annotations := maps.Clone(b.in.Tenant.Spec.NamespaceAnnotations)
	delete(annotations, naasv1alpha1.AnnotationHostnames)
	if len(b.hostnames) > 0 {
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[naasv1alpha1.AnnotationHostnames] = domains.Join(b.hostnames)
	}

	ns := &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        b.namespace,
			Labels:      labels,
			Annotations: annotations,
		},
	}
	u, err := toUnstructured(ns)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{u}, nil
}
