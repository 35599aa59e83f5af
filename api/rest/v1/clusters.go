package v1

import "time"

// ClusterTaint keeps new namespaces off a cluster unless their tenant tolerates it.
type ClusterTaint struct {
	Key    string `json:"key" required:"true"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect" required:"true" enum:"NoSchedule|PreferNoSchedule|NoExecute"`
}

// ClusterInput is the body of POST /api/v1/clusters and PUT /api/v1/clusters/{name}. A PUT replaces the labels,
// taints, cordon and display name; the kubeconfig is given on POST only.
type ClusterInput struct {
	Name        string            `json:"name,omitempty" doc:"DNS-1123 label of at most 63 characters. Required on POST; on PUT, when given, it must equal the path's name."`
	DisplayName string            `json:"displayName,omitempty"`
	Labels      map[string]string `json:"labels,omitempty" doc:"Labels tenants' placement selects clusters by, e.g. naas.dev/region, environment."`
	Taints      []ClusterTaint    `json:"taints,omitempty" doc:"Keep new namespaces off the cluster unless their tenant tolerates the taint."`
	Cordoned    bool              `json:"cordoned,omitempty" doc:"A cordoned cluster takes no new namespaces; those placed there stay."`
	Kubeconfig  string            `json:"kubeconfig,omitempty" multiline:"true" doc:"POST only: a kubeconfig with one context, its credentials inline (no exec plugins, no file paths). naas keeps it in a Secret in its namespace and never returns it."`
}

// ClusterPatch is the body of PATCH /api/v1/clusters/{name}, a JSON merge patch (RFC 7396) of the fields a
// platform admin may change: fields left out are kept, a label set to null is removed, taints given replace all
// taints.
type ClusterPatch struct {
	DisplayName *string            `json:"displayName,omitempty"`
	Labels      map[string]*string `json:"labels,omitempty"`
	Taints      *[]ClusterTaint    `json:"taints,omitempty"`
	Cordoned    *bool              `json:"cordoned,omitempty"`
}

// Cluster is a registered cluster as the caller may see it: never its credentials.
type Cluster struct {
	Name              string            `json:"name" required:"true"`
	DisplayName       string            `json:"displayName,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Taints            []ClusterTaint    `json:"taints,omitempty"`
	Cordoned          bool              `json:"cordoned"`
	Ready             bool              `json:"ready" required:"true" doc:"Reachable and installed: namespaces may be placed and kept there."`
	Reachable         bool              `json:"reachable" required:"true"`
	KubernetesVersion string            `json:"kubernetesVersion,omitempty"`
	Allocatable       map[string]string `json:"allocatable,omitempty" doc:"Sum of the allocatable cpu and memory of the cluster's nodes."`
	Allocated         map[string]string `json:"allocated,omitempty" doc:"What the quotas of the naas namespaces placed there reserve."`
	NamespaceCount    int32             `json:"namespaceCount" required:"true"`
	LastHeartbeatTime *time.Time        `json:"lastHeartbeatTime,omitempty"`
	Conditions        []Condition       `json:"conditions,omitempty" doc:"Reachable, Installed and Ready."`
}

// ClusterList is a list of clusters.
type ClusterList struct {
	Items []Cluster `json:"items" required:"true"`
}
