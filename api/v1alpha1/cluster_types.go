package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LocalClusterName is the Cluster naas registers for the management cluster itself.
const LocalClusterName = "local"

// AnnotationOrphan is the annotation that, set to "true" on a Cluster before deleting it, lets the Cluster go while it still holds
// naas namespaces: they stay on the member, naas's ownership of them (labels, finalizers) is removed there, and
// their claims are deleted without deleting the namespaces (`naas cluster remove --orphan`). Without it, the
// deletion of a Cluster that holds naas namespaces is refused.
const AnnotationOrphan = "naas.dev/orphan"

// LabelClusterKubeconfig marks a Secret in naas's namespace as the kubeconfig of the Cluster its value names
// (`naas cluster register` and the API set it; cluster.Register writes such Secrets).
const LabelClusterKubeconfig = "naas.dev/cluster-kubeconfig"

// FinalizerCluster holds a Cluster until naas has removed its cluster-wide objects from the member.
const FinalizerCluster = "naas.dev/cluster"

// KubeconfigSecretKey is the key of a Cluster's kubeconfig in its Secret (the Cluster API convention).
const KubeconfigSecretKey = "value"

// ClusterTaintEffect says what an untolerated cluster taint does to placement.
// +kubebuilder:validation:Enum=NoSchedule;PreferNoSchedule;NoExecute
type ClusterTaintEffect string

// Cluster taint effects. NoExecute is taken as NoSchedule: a placed namespace never moves.
const (
	ClusterTaintNoSchedule       ClusterTaintEffect = "NoSchedule"
	ClusterTaintPreferNoSchedule ClusterTaintEffect = "PreferNoSchedule"
	ClusterTaintNoExecute        ClusterTaintEffect = "NoExecute"
)

// ClusterTaint keeps new namespaces off a cluster unless their tenant tolerates it, as a node taint keeps pods off a node.
type ClusterTaint struct {
	// key of the taint.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
	// value of the taint.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Value string `json:"value,omitempty"`
	// effect of the taint.
	// +required
	Effect ClusterTaintEffect `json:"effect"`
}

// ClusterTolerationOperator is Exists or Equal (the default).
// +kubebuilder:validation:Enum=Exists;Equal
type ClusterTolerationOperator string

// Cluster toleration operators.
const (
	ClusterTolerationExists ClusterTolerationOperator = "Exists"
	ClusterTolerationEqual  ClusterTolerationOperator = "Equal"
)

// ClusterToleration lets a tenant's namespaces onto clusters with a matching taint. An empty key with Exists
// tolerates every taint; an empty effect every effect.
type ClusterToleration struct {
	// key of the taint tolerated; empty with operator Exists tolerates every taint.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
	// operator is Equal (the default) or Exists.
	// +optional
	Operator ClusterTolerationOperator `json:"operator,omitempty"`
	// value of the taint tolerated, with operator Equal.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Value string `json:"value,omitempty"`
	// effect tolerated; empty tolerates every effect.
	// +optional
	Effect ClusterTaintEffect `json:"effect,omitempty"`
}

// Placement says which clusters a tenant's namespaces may be placed on.
type Placement struct {
	// clusterSelector selects the Clusters (by their labels) the tenant's namespaces may go to; empty selects
	// every cluster.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`
	// tolerations let the tenant's namespaces onto tainted clusters.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Tolerations []ClusterToleration `json:"tolerations,omitempty"`
}

// SecretReference names a Secret in naas's namespace.
type SecretReference struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// ClusterSpec is how naas reaches a member cluster and what may be placed on it. Its labels (region,
// environment, cloud, ...) are the Cluster's metadata labels.
type ClusterSpec struct {
	// displayName is shown in the portal and the CLI.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`
	// kubeconfigSecretRef names a Secret in naas's namespace whose key "value" holds a kubeconfig for the
	// cluster. Empty for the management cluster ("local"), which naas reaches with its own identity.
	// +optional
	KubeconfigSecretRef *SecretReference `json:"kubeconfigSecretRef,omitempty"`
	// taints keep new namespaces off the cluster unless their tenant tolerates them.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Taints []ClusterTaint `json:"taints,omitempty"`
	// cordoned clusters take no new namespaces; those placed there stay and are kept.
	// +optional
	Cordoned bool `json:"cordoned,omitempty"`
}

// ClusterStatus is what naas observes of a member cluster.
type ClusterStatus struct {
	// observedGeneration is the generation last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// kubernetesVersion is the version the cluster's API server reports.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// allocatable is the sum of the allocatable CPU and memory of the cluster's nodes.
	// +optional
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`
	// allocated is what the quotas of the naas namespaces placed on the cluster reserve (limits.cpu and
	// limits.memory).
	// +optional
	Allocated corev1.ResourceList `json:"allocated,omitempty"`
	// namespaceCount is the number of naas namespaces placed on the cluster.
	// +optional
	NamespaceCount int32 `json:"namespaceCount"`
	// lastHeartbeatTime is when naas last reached the cluster's API server.
	// +optional
	LastHeartbeatTime *metav1.Time `json:"lastHeartbeatTime,omitempty"`
	// conditions: Reachable, Installed and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Condition types of a Cluster.
const (
	// ClusterReachable: naas reached the cluster's API server at the last heartbeat.
	ClusterReachable = "Reachable"
	// ClusterInstalled: naas's cluster-wide objects (ClusterRoles, admission policies, priority levels and
	// FlowSchemas) are in place on the cluster.
	ClusterInstalled = "Installed"
	// ClusterReady: reachable and installed, so namespaces may be placed and kept there.
	ClusterReady = "Ready"
)

// Condition reasons of a Cluster.
const (
	ReasonClusterReached      = "Reached"
	ReasonClusterNotAnswering = "NotAnswering"
	ReasonKubeconfigInvalid   = "KubeconfigInvalid"
	// ReasonClusterCredentialsRejected: the cluster's API server answers, but refuses the kubeconfig's credentials.
	ReasonClusterCredentialsRejected = "CredentialsRejected"
	ReasonClusterInstalled           = "Installed"
	ReasonClusterInstallFailed       = "InstallFailed"
	ReasonClusterManagement          = "ManagementCluster"
	ReasonClusterRemovalBlocked      = "RemovalBlocked"
)

// Cluster is a member cluster naas places namespaces on. The management cluster is registered as "local".
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=ncl
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reachable",type=string,JSONPath=`.status.conditions[?(@.type=="Reachable")].status`
// +kubebuilder:printcolumn:name="Cordoned",type=boolean,JSONPath=`.spec.cordoned`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.kubernetesVersion`
// +kubebuilder:printcolumn:name="Namespaces",type=integer,JSONPath=`.status.namespaceCount`
// +kubebuilder:printcolumn:name="Heartbeat",type=date,JSONPath=`.status.lastHeartbeatTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="name must be a DNS-1123 label of at most 63 characters"
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is how naas reaches the cluster and what may be placed on it.
	// +optional
	Spec ClusterSpec `json:"spec,omitempty"`
	// status is what naas observes of the cluster.
	// +optional
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}
