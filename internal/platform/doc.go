// Package platform builds the cluster-wide objects naas installs once per target
// cluster: the ClusterRoles that tenant role bindings refer to, the access every
// authenticated user needs to ask for namespaces, and the ValidatingAdmissionPolicies
// that protect what naas manages. Admission policies run inside the API server, so
// the protection holds even while naas itself is down.
package platform
