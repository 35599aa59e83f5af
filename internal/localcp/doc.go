// Package localcp runs a real, local Kubernetes control plane: etcd,
// kube-apiserver and kube-controller-manager as child processes built from the
// Kubernetes Go modules (see controlplane/). `naas up` runs it with its state in
// a data directory that survives restarts; the integration tests run it in a
// temporary directory. The API server is configured as a real cluster is: RBAC
// authorization, the default admission plugins (ResourceQuota, LimitRanger,
// PodSecurity, ValidatingAdmissionPolicy, the webhooks) and a static token file,
// so that tests and local users can act as named users and groups.
package localcp
