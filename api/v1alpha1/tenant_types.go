package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Owner is one identity that belongs to a tenant, with its role.
// +kubebuilder:validation:XValidation:rule="self.kind == 'ServiceAccount' ? has(self.__namespace__) : !has(self.__namespace__)",message="namespace is required for a ServiceAccount and not allowed otherwise"
type Owner struct {
	// kind is User, Group or ServiceAccount.
	// +required
	Kind SubjectKind `json:"kind"`
	// name is the user name, group name or service account name, as the API server authenticates it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace is the namespace of a ServiceAccount.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
	// role is admin, developer or viewer.
	// +required
	Role Role `json:"role"`
}

// NamingRules constrain the names of a tenant's namespaces.
type NamingRules struct {
	// prefix every namespace name of the tenant must start with, e.g. "payments-".
	// +optional
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*)?$`
	Prefix string `json:"prefix,omitempty"`
	// forbiddenPatterns are regular expressions (RE2) that no namespace name of the tenant may match.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=256
	ForbiddenPatterns []string `json:"forbiddenPatterns,omitempty"`
}

// TenantSpec is what a platform admin declares about a tenant.
type TenantSpec struct {
	// displayName is a human-friendly name for the portal.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`
	// owners are the tenant's members and their roles.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Owners []Owner `json:"owners,omitempty"`
	// maxNamespaces caps how many namespaces the tenant may hold; unset means no cap.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxNamespaces *int32 `json:"maxNamespaces,omitempty"`
	// allowedTemplates lists the templates the tenant may use; empty allows every template.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	AllowedTemplates []string `json:"allowedTemplates,omitempty"`
	// allowedTiers lists the tiers the tenant may use; empty allows every tier.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	AllowedTiers []string `json:"allowedTiers,omitempty"`
	// naming constrains the names of the tenant's namespaces.
	// +optional
	Naming NamingRules `json:"naming,omitempty"`
	// namespaceLabels are stamped on every namespace of the tenant.
	// +optional
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// namespaceAnnotations are stamped on every namespace of the tenant.
	// +optional
	NamespaceAnnotations map[string]string `json:"namespaceAnnotations,omitempty"`
	// costCenter is the chargeback code the tenant's spending is booked to.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	CostCenter string `json:"costCenter,omitempty"`
	// cordoned stops the tenant from creating new namespaces and workloads; what runs keeps running.
	// +optional
	Cordoned bool `json:"cordoned,omitempty"`
	// quota caps the sum of resource usage over all the tenant's namespaces (tenant-wide quota).
	// +optional
	Quota corev1.ResourceList `json:"quota,omitempty"`
	// allowedRegistries are image reference prefixes the tenant's pods may pull from, e.g. "ghcr.io/acme/"; empty allows any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	AllowedRegistries []string `json:"allowedRegistries,omitempty"`
	// alerting is where the alerts of the tenant's monitored namespaces go, unless a claim sets its own.
	// +optional
	Alerting *Alerting `json:"alerting,omitempty"`
	// domains are the DNS name suffixes the tenant owns, such as payments.apps.example.com: its namespaces may
	// hold hostnames at or under them. The first is the tenant's base domain, under which each namespace gets
	// <namespace>.<base domain> by default. Empty means <tenant>.<platform base domain> (naas --base-domain).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=200
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$`
	Domains []string `json:"domains,omitempty"`
	// acceptedCollaborations are the other tenants whose offers of collaboration the tenant's admins accept for
	// all its namespaces: each namespace may then send to the namespaces those tenants let this tenant in
	// (NamespaceClaim spec.collaborators with allowIngress). A grant alone never opens this tenant's egress. A
	// namespace whose template has the restricted network profile never sends to another tenant, accepted or not.
	// Set by the tenant's admins through the naas API, which writes it as naas; per namespace, see the
	// NamespaceClaim's spec.acceptedCollaborations.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	AcceptedCollaborations []string `json:"acceptedCollaborations,omitempty"`
	// placement says which member clusters the tenant's namespaces may be placed on; every cluster when unset.
	// +optional
	Placement *Placement `json:"placement,omitempty"`
	// monthlyBudget is the tenant's monthly cost limit over all its namespaces.
	// +optional
	MonthlyBudget *Budget `json:"monthlyBudget,omitempty"`
}

// TenantStatus is what naas observes about a tenant.
type TenantStatus struct {
	// observedGeneration is the generation last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// namespaceCount is the number of namespace claims of the tenant.
	// +optional
	NamespaceCount int32 `json:"namespaceCount"`
	// used is the tenant-wide usage of the resources in spec.quota.
	// +optional
	Used corev1.ResourceList `json:"used,omitempty"`
	// conditions describe the tenant's state.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// budget is the state of spec.monthlyBudget this month.
	// +optional
	Budget *BudgetStatus `json:"budget,omitempty"`
}

// Tenant is a team or organisation unit that owns namespaces.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=tn
// +kubebuilder:printcolumn:name="Namespaces",type=integer,JSONPath=`.status.namespaceCount`
// +kubebuilder:printcolumn:name="Max",type=integer,JSONPath=`.spec.maxNamespaces`
// +kubebuilder:printcolumn:name="Cost Center",type=string,JSONPath=`.spec.costCenter`
// +kubebuilder:printcolumn:name="Cordoned",type=boolean,JSONPath=`.spec.cordoned`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Tenant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the tenant.
	// +required
	Spec TenantSpec `json:"spec"`
	// status is the observed state of the tenant.
	// +optional
	Status TenantStatus `json:"status,omitempty"`
}

// TenantList is a list of Tenants.
// +kubebuilder:object:root=true
type TenantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Tenant `json:"items"`
}

// Reasons of a Tenant's Ready condition when False: what is not as the tenant's spec and claims say.
const (
	// ReasonNamespacesOrphaned: namespaces labelled for the tenant have no claim of the tenant.
	ReasonNamespacesOrphaned = "NamespacesOrphaned"
	// ReasonNamespacesMissing: claims whose namespace naas made have none now.
	ReasonNamespacesMissing = "NamespacesMissing"
	// ReasonOverNamespaceLimit: the tenant has more namespaces than spec.maxNamespaces allows.
	ReasonOverNamespaceLimit = "OverNamespaceLimit"
	// ReasonOverQuota: the tenant uses more than spec.quota allows of some resource.
	ReasonOverQuota = "OverQuota"
	// ReasonMembersUnresolvable: owners name service accounts in namespaces that do not exist.
	ReasonMembersUnresolvable = "MembersUnresolvable"
)
