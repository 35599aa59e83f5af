// Package clusterconfig checks the kubeconfigs of member clusters, as the REST API receives them and the CLI reads
// them. It depends on client-go only, so that clients can check a file
// before they send it.
package clusterconfig
