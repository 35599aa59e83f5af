package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of the naas API.
	GroupVersion = schema.GroupVersion{Group: "naas.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the naas types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the naas types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers every kind of the group version. The API package
// depends on apimachinery only, so that clients can import it cheaply.
func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&Tenant{}, &TenantList{},
		&NamespaceTemplate{}, &NamespaceTemplateList{},
		&Tier{}, &TierList{},
		&NamespaceClaim{}, &NamespaceClaimList{},
		&Cluster{}, &ClusterList{},
		&PriceBook{}, &PriceBookList{},
		&CostPolicy{}, &CostPolicyList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
