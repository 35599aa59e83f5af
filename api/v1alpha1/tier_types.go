package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodSecurityLevel is a Pod Security Standards level.
// +kubebuilder:validation:Enum=privileged;baseline;restricted
type PodSecurityLevel string

// Pod Security levels.
const (
	PodSecurityPrivileged PodSecurityLevel = "privileged"
	PodSecurityBaseline   PodSecurityLevel = "baseline"
	PodSecurityRestricted PodSecurityLevel = "restricted"
)

// LimitRangeDefaults are the per-container defaults and bounds of a tier.
type LimitRangeDefaults struct {
	// defaultRequest is the request given to containers that set none.
	// +optional
	DefaultRequest corev1.ResourceList `json:"defaultRequest,omitempty"`
	// default is the limit given to containers that set none.
	// +optional
	Default corev1.ResourceList `json:"default,omitempty"`
	// max is the largest limit one container may set.
	// +optional
	Max corev1.ResourceList `json:"max,omitempty"`
}

// Budget is a monthly spending limit.
type Budget struct {
	// amount per month.
	// +required
	Amount resource.Quantity `json:"amount"`
	// currency is an ISO 4217 code.
	// +optional
	// +kubebuilder:default=USD
	// +kubebuilder:validation:Pattern=`^[A-Z]{3}$`
	Currency string `json:"currency,omitempty"`
	// thresholds are the percentages of the budget whose crossing, by actual or forecast spend, raises a
	// notification, once per threshold and month.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=1000
	// +kubebuilder:default={50,80,100}
	Thresholds []int32 `json:"thresholds,omitempty"`
	// hard stops growth once the budget is spent: the scope gets no new namespaces and no quota growth until
	// the next month, or until an admin lifts it for the month (liftedPeriod).
	// +optional
	Hard bool `json:"hard,omitempty"`
	// liftedPeriod (YYYY-MM) lifts a hard budget's stop for that month.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}$`
	LiftedPeriod string `json:"liftedPeriod,omitempty"`
}

// WorkloadPolicy is the admission policy a tier applies to workloads, beyond Pod Security.
type WorkloadPolicy struct {
	// requireResourceRequests rejects containers without cpu and memory requests.
	// +optional
	RequireResourceRequests bool `json:"requireResourceRequests,omitempty"`
	// imagePullPolicyAlways requires imagePullPolicy Always, so no tenant runs an image another tenant pulled
	// onto the node without its own credentials: naas sets it on containers whose policy is unset or
	// IfNotPresent, and refuses Never. On unless set to false.
	// +optional
	ImagePullPolicyAlways *bool `json:"imagePullPolicyAlways,omitempty"`
}

// TierSpec is a size and policy class of namespaces.
type TierSpec struct {
	// displayName is the title shown in the catalog.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`
	// description is a one-paragraph summary.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Description string `json:"description,omitempty"`
	// quota is the ResourceQuota hard limits of each namespace of the tier: compute (limits.cpu, limits.memory,
	// requests.ephemeral-storage, requests.storage, requests.nvidia.com/gpu) and object counts (pods, services,
	// services.nodeports, services.loadbalancers, secrets, configmaps, persistentvolumeclaims,
	// replicationcontrollers, resourcequotas).
	// +required
	Quota corev1.ResourceList `json:"quota"`
	// limitRange gives containers defaults and bounds.
	// +optional
	LimitRange LimitRangeDefaults `json:"limitRange,omitempty"`
	// podSecurity is the Pod Security Standards level enforced; restricted by default.
	// +optional
	// +kubebuilder:default=restricted
	PodSecurity PodSecurityLevel `json:"podSecurity,omitempty"`
	// monthlyBudget is the cost limit of one namespace of the tier.
	// +optional
	MonthlyBudget *Budget `json:"monthlyBudget,omitempty"`
	// workloadPolicy is enforced on the namespace's workloads by admission policies.
	// +optional
	WorkloadPolicy WorkloadPolicy `json:"workloadPolicy,omitempty"`
	// clusterSelector narrows the clusters the tier's namespaces may be placed on, e.g. prod only on clusters
	// labelled environment=prod.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`
}

// Tier is a size and policy class, such as dev, staging or prod.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:printcolumn:name="CPU",type=string,JSONPath=`.spec.quota.limits\.cpu`
// +kubebuilder:printcolumn:name="Memory",type=string,JSONPath=`.spec.quota.limits\.memory`
// +kubebuilder:printcolumn:name="Pod Security",type=string,JSONPath=`.spec.podSecurity`
// +kubebuilder:printcolumn:name="Budget",type=string,JSONPath=`.spec.monthlyBudget.amount`
// +kubebuilder:printcolumn:name="Currency",type=string,JSONPath=`.spec.monthlyBudget.currency`
type Tier struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the tier's quota and policy.
	// +required
	Spec TierSpec `json:"spec"`
}

// TierList is a list of Tiers.
// +kubebuilder:object:root=true
type TierList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Tier `json:"items"`
}
