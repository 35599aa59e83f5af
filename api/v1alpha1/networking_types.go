package v1alpha1

// Labels and annotations of hostnames, gateways, the service mesh and collaboration between tenants.
const (
	// AnnotationHostnames lists, comma-separated, the hostnames a managed namespace holds (the claim's
	// status.hostnames). The admission policy on Gateway API routes admits only routes whose hostnames it covers.
	AnnotationHostnames = "naas.dev/hostnames"
	// LabelIngressFromPrefix starts the label that a namespace carries, with the value LabelIngressAllowed, for
	// each tenant it lets in: ingress.naas.dev/<tenant>=allowed. The namespaces of that tenant may then send to it
	// (their egress policy selects namespaces by this label; the namespace's own ingress policy selects theirs).
	LabelIngressFromPrefix = "ingress.naas.dev/"
	// LabelIngressAllowed is the value of the LabelIngressFromPrefix labels.
	LabelIngressAllowed = "allowed"
)

// CollaboratorAccess is what a collaborating tenant may do in a namespace.
// +kubebuilder:validation:Enum=viewer;developer
type CollaboratorAccess string

// Collaborator access levels.
const (
	// CollaboratorViewer lets every member of the collaborating tenant read the namespace.
	CollaboratorViewer CollaboratorAccess = "viewer"
	// CollaboratorDeveloper lets the collaborating tenant's admins and developers work in the namespace as
	// developers, and its viewers read it.
	CollaboratorDeveloper CollaboratorAccess = "developer"
)

// Collaborator is another tenant given access to a namespace by the namespace's tenant admins.
type Collaborator struct {
	// tenant is the collaborating tenant.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Tenant string `json:"tenant"`
	// access is viewer or developer.
	// +required
	Access CollaboratorAccess `json:"access"`
	// allowIngress lets the collaborating tenant's namespaces reach this namespace's pods over the network.
	// +optional
	AllowIngress bool `json:"allowIngress,omitempty"`
}

// Condition types of the optional networking steps of a NamespaceClaim.
const (
	// ConditionGateway is the step of the namespace's Gateway (Gateway API), for templates that turn the gateway on.
	ConditionGateway = "GatewayReady"
	// ConditionTLS tells whether cert-manager is there to issue the certificates of the Gateway's HTTPS listeners.
	ConditionTLS = "TLSReady"
	// ConditionMesh is the step of the namespace's service mesh policies (Istio), for templates that turn the mesh on.
	ConditionMesh = "MeshReady"
)
