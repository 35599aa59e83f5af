package platform

import (
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// PolicyClusterRemoval refuses the deletion of a Cluster that still holds naas namespaces (its
// status.namespaceCount), unless it carries naasv1alpha1.AnnotationOrphan. It is an admission policy, not a
// webhook, so that it holds while naas is down. It applies to everyone, platform admins included: `naas cluster
// remove --orphan` sets the annotation, then deletes.
const PolicyClusterRemoval = "naas-cluster-removal"

// ClusterRemovalPolicy is PolicyClusterRemoval and its binding. Installed on the management cluster only (where
// Clusters are).
func ClusterRemovalPolicy() []runtime.Object {
	orphan := fmt.Sprintf("has(oldObject.metadata.annotations) && (%[1]q in oldObject.metadata.annotations) && oldObject.metadata.annotations[%[1]q] == 'true'",
		naasv1alpha1.AnnotationOrphan)
	p := vap(PolicyClusterRemoval, &admissionregistrationv1.MatchResources{
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule(naasv1alpha1.GroupVersion.Group, []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}, "clusters"),
		},
	}, nil, []admissionregistrationv1.Validation{{
		Expression: "!has(oldObject.status) || !has(oldObject.status.namespaceCount) || oldObject.status.namespaceCount == 0 || (" + orphan + ")",
		MessageExpression: "'cluster ' + oldObject.metadata.name + ' still holds ' + string(oldObject.status.namespaceCount) + " +
			"' naas namespaces: delete their claims first, or remove it with --orphan (annotation " + naasv1alpha1.AnnotationOrphan + "=true) " +
			"to leave them on the cluster without naas'",
		Reason: ptr.To(metav1.StatusReasonForbidden),
	}})
	return []runtime.Object{p, binding(PolicyClusterRemoval)}
}
