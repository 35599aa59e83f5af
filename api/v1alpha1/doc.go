// Package v1alpha1 holds the naas API: tenants, the catalog of namespace
// templates, tiers, and the namespace claims that application teams create to
// get a namespace. These custom resources are the source of truth of the
// platform; the REST API, portal and CLI are thin layers over them.
//
// +kubebuilder:object:generate=true
// +groupName=naas.dev
package v1alpha1
