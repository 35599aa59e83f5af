package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ParameterType is the type of a template parameter's value.
// +kubebuilder:validation:Enum=string;integer;boolean
type ParameterType string

// Parameter types.
const (
	ParameterString  ParameterType = "string"
	ParameterInteger ParameterType = "integer"
	ParameterBoolean ParameterType = "boolean"
)

// Parameter is one typed input of a template.
type Parameter struct {
	// name of the parameter, used as {{ .Parameters.<name> }} in manifests.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-zA-Z][a-zA-Z0-9_]*$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// type is string, integer or boolean; string by default.
	// +optional
	// +kubebuilder:default=string
	Type ParameterType `json:"type,omitempty"`
	// description tells a requester what the parameter does.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`
	// default is used when the claim does not set the parameter.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Default *string `json:"default,omitempty"`
	// enum restricts the value to one of these.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	Enum []string `json:"enum,omitempty"`
	// pattern is a regular expression (RE2) a string value must match.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Pattern string `json:"pattern,omitempty"`
	// required parameters must be set by the claim (a default does not satisfy it).
	// +optional
	Required bool `json:"required,omitempty"`
}

// NetworkProfile selects the template's egress policy.
// +kubebuilder:validation:Enum=standard;restricted
type NetworkProfile string

// Network profiles.
const (
	// NetworkStandard allows egress to DNS, the tenant's namespaces, the shared services, the namespaces other
	// tenants let the tenant in whose collaboration it accepts, and, where allowHTTPSEgress is set, HTTPS anywhere.
	NetworkStandard NetworkProfile = "standard"
	// NetworkRestricted allows egress to DNS and the tenant's namespaces only, whatever allowHTTPSEgress or the
	// tenant's accepted collaborations say.
	NetworkRestricted NetworkProfile = "restricted"
)

// Features are the platform capabilities a template turns on.
type Features struct {
	// networkProfile selects the egress policy; standard by default.
	// +optional
	// +kubebuilder:default=standard
	NetworkProfile NetworkProfile `json:"networkProfile,omitempty"`
	// allowHTTPSEgress allows egress to any address on port 443 (standard profile only).
	// +optional
	AllowHTTPSEgress bool `json:"allowHTTPSEgress,omitempty"`
	// mesh enrols the namespace in the service mesh.
	// +optional
	Mesh bool `json:"mesh,omitempty"`
	// monitoring creates alert rules and a dashboard for the namespace.
	// +optional
	Monitoring bool `json:"monitoring,omitempty"`
	// gateway creates a namespaced Gateway for the namespace's hostnames.
	// +optional
	Gateway bool `json:"gateway,omitempty"`
}

// Manifest is one extra object (or several, as a multi-document YAML) a template adds to its namespaces.
type Manifest struct {
	// name identifies the manifest in status conditions; stable across changes.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// template is a Go text/template producing namespaced YAML objects. It sees .Namespace, .Tenant,
	// .Requester and .Parameters (a map of strings). Objects land in the claim's namespace.
	// +required
	// +kubebuilder:validation:MaxLength=65536
	Template string `json:"template"`
}

// NamespaceTemplateSpec is a catalog entry.
type NamespaceTemplateSpec struct {
	// displayName is the title shown in the catalog.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName"`
	// description is a one-paragraph summary.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Description string `json:"description,omitempty"`
	// documentation is the runbook text (Markdown) shown in the catalog and linked from alerts.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Documentation string `json:"documentation,omitempty"`
	// parameters are the typed inputs of the template.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Parameters []Parameter `json:"parameters,omitempty"`
	// defaultTier is used by claims that name no tier.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	DefaultTier string `json:"defaultTier,omitempty"`
	// features are the capabilities the template turns on.
	// +optional
	Features Features `json:"features,omitempty"`
	// manifests are extra objects created in every namespace made from the template.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Manifests []Manifest `json:"manifests,omitempty"`
	// quotaAdditions are added to the tier's quota for namespaces of this template, e.g. GPUs and more
	// memory for machine learning, or more volumes for data workloads. A resource the tier does not
	// limit stays unlimited.
	// +optional
	QuotaAdditions corev1.ResourceList `json:"quotaAdditions,omitempty"`
	// requiresApproval holds claims of this template until a tenant or platform admin approves them.
	// +optional
	RequiresApproval bool `json:"requiresApproval,omitempty"`
	// clusterSelector narrows the clusters the template's namespaces may be placed on.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`
}

// NamespaceTemplate is a catalog entry: a kind of namespace teams can ask for.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=nstpl
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Default Tier",type=string,JSONPath=`.spec.defaultTier`
// +kubebuilder:printcolumn:name="Approval",type=boolean,JSONPath=`.spec.requiresApproval`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type NamespaceTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the catalog entry.
	// +required
	Spec NamespaceTemplateSpec `json:"spec"`
}

// NamespaceTemplateList is a list of NamespaceTemplates.
// +kubebuilder:object:root=true
type NamespaceTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NamespaceTemplate `json:"items"`
}
