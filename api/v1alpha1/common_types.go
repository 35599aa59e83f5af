package v1alpha1

// Well-known labels and annotations that naas stamps on the objects it manages.
const (
	// LabelManagedBy marks every object naas creates; its value is ManagedByValue.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of LabelManagedBy on naas objects.
	ManagedByValue = "naas"
	// LabelTenant names the tenant that owns a namespace.
	LabelTenant = "naas.dev/tenant"
	// LabelTier names the tier of a namespace.
	LabelTier = "naas.dev/tier"
	// LabelTemplate names the template a namespace was made from.
	LabelTemplate = "naas.dev/template"
	// LabelClaim names the NamespaceClaim a namespace belongs to (equal to the namespace name).
	LabelClaim = "naas.dev/claim"
	// LabelSharedServices (value "true") marks namespaces of shared services, such as ingress controllers and
	// monitoring, whose workloads may reach every tenant namespace on port 443.
	LabelSharedServices = "naas.dev/shared-services"
	// AnnotationDescription is a human-readable description copied from the template.
	AnnotationDescription = "naas.dev/description"

	// PlatformAdminGroupName is the group whose members are naas platform admins.
	PlatformAdminGroupName = "naas:platform-admins"

	// FinalizerNamespace holds a NamespaceClaim until its namespace is deleted.
	FinalizerNamespace = "naas.dev/namespace"
)

// Role is a tenant member's role.
// +kubebuilder:validation:Enum=admin;developer;viewer
type Role string

// Roles of tenant members, from most to least privileged.
const (
	// RoleAdmin manages the tenant's members and namespaces and everything inside them.
	RoleAdmin Role = "admin"
	// RoleDeveloper creates namespaces and runs workloads in them.
	RoleDeveloper Role = "developer"
	// RoleViewer reads the tenant's namespaces.
	RoleViewer Role = "viewer"
)

// SubjectKind is the kind of identity a tenant member is.
// +kubebuilder:validation:Enum=User;Group;ServiceAccount
type SubjectKind string

// Subject kinds, as in rbac/v1.
const (
	SubjectUser           SubjectKind = "User"
	SubjectGroup          SubjectKind = "Group"
	SubjectServiceAccount SubjectKind = "ServiceAccount"
)

// Condition types shared by the naas kinds.
const (
	// ConditionReady summarises an object: True when everything it asks for is in place.
	ConditionReady = "Ready"
)

// Condition reasons shared by the naas kinds.
const (
	ReasonReconciled    = "Reconciled"
	ReasonProgressing   = "Progressing"
	ReasonFailed        = "Failed"
	ReasonNotApplicable = "NotApplicable"
	ReasonWaiting       = "Waiting"
)
