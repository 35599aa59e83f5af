package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of the naas API.
	GroupVersion = schema.GroupVersion{Group: "naas.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the naas types with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the naas types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
