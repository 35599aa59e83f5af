package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Requester is the identity that created a claim, as the API server authenticated it.
type Requester struct {
	// username of the requester.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Username string `json:"username,omitempty"`
	// groups of the requester at request time.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Groups []string `json:"groups,omitempty"`
}

// NamespaceClaimSpec is what a team asks for.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.requester) || (has(self.requester) && self.requester == oldSelf.requester)",message="requester is immutable"
type NamespaceClaimSpec struct {
	// tenant that will own the namespace. Immutable: a namespace never moves between tenants.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="tenant is immutable: a namespace cannot move between tenants"
	Tenant string `json:"tenant"`
	// template from the catalog. Immutable: create a new namespace to change it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="template is immutable: request a new namespace to change the template"
	Template string `json:"template"`
	// tier of quota and policy; the template's default tier when empty. May change: the bundle is updated in place.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Tier string `json:"tier,omitempty"`
	// parameters of the template, as strings.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Parameters map[string]string `json:"parameters,omitempty"`
	// deletionProtection refuses deletion of the claim (and so of its namespace) while true.
	// +optional
	DeletionProtection bool `json:"deletionProtection,omitempty"`
	// requester is who created the claim; set by naas admission, never by hand.
	// +optional
	Requester *Requester `json:"requester,omitempty"`
	// alerting is where the namespace's alerts go, replacing the tenant's spec.alerting when set; set it to {}
	// to send none of the tenant's receivers the namespace's alerts.
	// +optional
	Alerting *Alerting `json:"alerting,omitempty"`
	// hostnames are the DNS names the namespace serves, such as api.payments.apps.example.com, or a wildcard such as
	// *.payments.apps.example.com. Each must lie under one of the tenant's domains, and no two namespaces may hold
	// overlapping hostnames. When empty on create, naas sets <namespace>.<the tenant's base domain>.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=240
	// +kubebuilder:validation:items:Pattern=`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Hostnames []string `json:"hostnames,omitempty"`
	// collaborators are other tenants given access to the namespace, and optionally network ingress into it. Only
	// the tenant's admins may change them.
	// +optional
	// +listType=map
	// +listMapKey=tenant
	// +kubebuilder:validation:MaxItems=16
	Collaborators []Collaborator `json:"collaborators,omitempty"`
	// acceptedCollaborations are the other tenants whose offers of collaboration this namespace's tenant accepts
	// for this namespace: it may then send to the namespaces those tenants let its tenant in (their claims'
	// spec.collaborators with allowIngress). The tenant's spec.acceptedCollaborations accepts for all its
	// namespaces. Only the tenant's admins may change them, and a template with the restricted network profile,
	// which promises no egress beyond the tenant, cannot accept any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	AcceptedCollaborations []string `json:"acceptedCollaborations,omitempty"`
	// cluster is the member cluster the namespace must be placed on; empty lets naas choose. Immutable once
	// set: a placed namespace never moves.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="cluster is immutable: a placed namespace never moves"
	Cluster string `json:"cluster,omitempty"`
}

// ApprovalState is where a claim is in the approval flow.
// +kubebuilder:validation:Enum=Pending;Approved;Rejected
type ApprovalState string

// Approval states.
const (
	ApprovalPending  ApprovalState = "Pending"
	ApprovalApproved ApprovalState = "Approved"
	ApprovalRejected ApprovalState = "Rejected"
)

// Approval records the approval decision of a claim whose template requires one.
type Approval struct {
	// state is Pending, Approved or Rejected.
	// +required
	State ApprovalState `json:"state"`
	// by is who decided.
	// +optional
	By string `json:"by,omitempty"`
	// at is when the decision was made.
	// +optional
	At *metav1.Time `json:"at,omitempty"`
	// reason is why.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason,omitempty"`
}

// NamespaceClaimStatus is the progress and outcome of provisioning.
type NamespaceClaimStatus struct {
	// observedGeneration is the generation last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// phase is a one-word summary for printer columns: Pending, Provisioning, Ready, Failed, Terminating.
	// +optional
	Phase string `json:"phase,omitempty"`
	// provisionedAt is when the namespace first became Ready.
	// +optional
	ProvisionedAt *metav1.Time `json:"provisionedAt,omitempty"`
	// tier is the effective tier (the template's default when spec.tier is empty).
	// +optional
	Tier string `json:"tier,omitempty"`
	// approval is the approval decision, for templates that require one.
	// +optional
	Approval *Approval `json:"approval,omitempty"`
	// conditions hold one condition per provisioning step and the overall Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// dashboardURL links to the namespace's Grafana dashboard, when the template turns monitoring on, the
	// dashboard is in place and the platform knows its Grafana's address.
	// +optional
	DashboardURL string `json:"dashboardURL,omitempty"`
	// hostnames are the hostnames the namespace holds: spec.hostnames (or the default) that lie under the
	// tenant's domains.
	// +optional
	// +listType=atomic
	Hostnames []string `json:"hostnames,omitempty"`
	// cluster is the member cluster naas placed the namespace on. Set once; never changes.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Cluster string `json:"cluster,omitempty"`
	// budget is the state of the tier's monthly budget for this namespace this month.
	// +optional
	Budget *BudgetStatus `json:"budget,omitempty"`
}

// Condition types of a NamespaceClaim: one per provisioning step, plus Ready.
const (
	ConditionValid           = "Valid"
	ConditionApproved        = "Approved"
	ConditionNamespace       = "NamespaceReady"
	ConditionQuota           = "QuotaReady"
	ConditionLimitRange      = "LimitRangeReady"
	ConditionRBAC            = "RBACReady"
	ConditionNetworkPolicies = "NetworkPoliciesReady"
	ConditionManifests       = "ManifestsReady"
	// ConditionPlaced: the claim has a cluster; its message says why each other cluster was left out.
	ConditionPlaced = "Placed"
)

// Condition reasons of a NamespaceClaim.
const (
	ReasonUnknownTenant     = "UnknownTenant"
	ReasonUnknownTemplate   = "UnknownTemplate"
	ReasonUnknownTier       = "UnknownTier"
	ReasonInvalidParameters = "InvalidParameters"
	ReasonNamingRules       = "NamingRulesViolated"
	ReasonNotAllowed        = "NotAllowedByTenant"
	ReasonForbidden         = "Forbidden"
	ReasonNamespaceConflict = "NamespaceNotOwned"
	ReasonPendingApproval   = "PendingApproval"
	ReasonRejected          = "Rejected"
	ReasonTemplateError     = "TemplateError"
	ReasonApplyFailed       = "ApplyFailed"
	// ReasonNoClusterFits: no registered cluster passes placement's predicates; nothing is created.
	ReasonNoClusterFits = "NoClusterFits"
	// ReasonClusterUnreachable: the claim's cluster does not answer; its objects are kept as they were.
	ReasonClusterUnreachable = "ClusterUnreachable"
	// ReasonClusterNotReady: the claim's cluster answers but is not ready (naas's objects are being installed
	// there, or the cluster is being removed); nothing is done on it meanwhile.
	ReasonClusterNotReady = "ClusterNotReady"
	// ReasonUnknownCluster: the claim's cluster is not registered.
	ReasonUnknownCluster = "UnknownCluster"
	// ReasonBudgetExceeded: a hard budget is spent; no new namespaces or quota growth until it is lifted.
	ReasonBudgetExceeded = "BudgetExceeded"
)

// Phases, the printer-column summary of a claim.
const (
	PhasePending      = "Pending"
	PhaseProvisioning = "Provisioning"
	PhaseReady        = "Ready"
	PhaseFailed       = "Failed"
	PhaseTerminating  = "Terminating"
)

// NamespaceClaim asks for one namespace; it is named as the namespace.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=nsc;claim
// +kubebuilder:printcolumn:name="Tenant",type=string,JSONPath=`.spec.tenant`
// +kubebuilder:printcolumn:name="Template",type=string,JSONPath=`.spec.template`
// +kubebuilder:printcolumn:name="Tier",type=string,JSONPath=`.status.tier`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.status.cluster`
// +kubebuilder:printcolumn:name="Protected",type=boolean,JSONPath=`.spec.deletionProtection`,priority=1
// +kubebuilder:printcolumn:name="Requester",type=string,JSONPath=`.spec.requester.username`,priority=1
// +kubebuilder:printcolumn:name="Hostnames",type=string,JSONPath=`.status.hostnames`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="name must be a valid namespace name (DNS-1123 label, at most 63 characters)"
type NamespaceClaim struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the requested namespace.
	// +required
	Spec NamespaceClaimSpec `json:"spec"`
	// status is the provisioning progress and outcome.
	// +optional
	Status NamespaceClaimStatus `json:"status,omitempty"`
}

// NamespaceClaimList is a list of NamespaceClaims.
// +kubebuilder:object:root=true
type NamespaceClaimList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NamespaceClaim `json:"items"`
}
