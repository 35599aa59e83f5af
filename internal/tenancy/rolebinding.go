package tenancy

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// AdminLevelClusterRoles are the ClusterRoles that only a tenant's admins may bind in the tenant's namespaces:
// Kubernetes' own admin and cluster-admin, and naas's tenant admin role. The developer role's own permissions
// (edit, plus Roles and RoleBindings) come close to admin's, so RBAC's escalation check alone would let a
// developer hand out admin.
var AdminLevelClusterRoles = []string{"admin", "cluster-admin", "naas:tenant-admin"}

// ServiceAccountGroupPrefix starts the group of every service account of one namespace:
// system:serviceaccounts:<namespace>.
const ServiceAccountGroupPrefix = "system:serviceaccounts:"

// systemPrefix starts the names Kubernetes reserves for its own users and groups (system:authenticated,
// system:serviceaccounts, system:masters, ...).
const systemPrefix = "system:"

// TenantNamespaces tells whether a namespace belongs to a tenant.
type TenantNamespaces func(namespace string) bool

// AuthorizeRoleBinding decides whether u may create or change rb, a RoleBinding in a namespace of tenant t, whose
// namespaces ns tells. A RoleBinding there may name only the tenant's own members (its owners, as they are
// written in spec.owners), service accounts of the tenant's namespaces (as ServiceAccount subjects, as their
// user names system:serviceaccount:<namespace>:<name>, or as the group of one namespace's service accounts,
// system:serviceaccounts:<namespace>); every other system: group is refused, whoever binds it, and members
// of other tenants get access only through the collaborations naas makes. Only the tenant's admins may bind an
// admin-level role (AdminLevelClusterRoles). Platform admins may do anything.
//
// The API server makes the same decision without naas: see the tenant RoleBinding admission policy in package
// platform. This function is its reference, used by naas's RoleBinding webhook.
func AuthorizeRoleBinding(u User, t *naasv1alpha1.Tenant, ns TenantNamespaces, rb *rbacv1.RoleBinding) Decision {
	if IsPlatformAdmin(u) {
		return allow("user %q is a platform admin", u.Name)
	}
	for _, s := range rb.Subjects {
		if why := refusedSubject(t, ns, rb.Namespace, s); why != "" {
			return deny("RoleBinding %s in namespace %s names %s, %s; RoleBindings in tenant %q's namespaces may name only "+
				"its members and the service accounts of its namespaces (other tenants get access through collaborations)",
				rb.Name, rb.Namespace, DescribeSubject(s, rb.Namespace), why, t.Name)
		}
	}
	if rb.RoleRef.Kind == "ClusterRole" && slices.Contains(AdminLevelClusterRoles, rb.RoleRef.Name) {
		if role, _ := RoleOf(u, t); role != naasv1alpha1.RoleAdmin {
			return deny("RoleBinding %s in namespace %s binds ClusterRole %s, an admin-level role, and user %q is not an admin of tenant %q: "+
				"bind %s or %s instead, or ask a tenant admin", rb.Name, rb.Namespace, rb.RoleRef.Name, u.Name, t.Name,
				naasv1alpha1.RoleDeveloper, naasv1alpha1.RoleViewer)
		}
	}
	return allow("RoleBinding %s in namespace %s names only members of tenant %q and service accounts of its namespaces", rb.Name, rb.Namespace, t.Name)
}

// refusedSubject returns why s may not be named in a RoleBinding in namespace (of tenant t), or "" if it may.
func refusedSubject(t *naasv1alpha1.Tenant, ns TenantNamespaces, namespace string, s rbacv1.Subject) string {
	tenantNamespace := func(n string) bool { return n == namespace || ns(n) }
	switch s.Kind {
	case rbacv1.GroupKind:
		if n, ok := strings.CutPrefix(s.Name, ServiceAccountGroupPrefix); ok && tenantNamespace(n) {
			return ""
		}
		if strings.HasPrefix(s.Name, systemPrefix) {
			return "a system group (only the service account groups of the tenant's own namespaces, " + ServiceAccountGroupPrefix + "<namespace>, may be bound)"
		}
	case rbacv1.UserKind:
		if n, ok := serviceAccountNamespace(s.Name); ok && tenantNamespace(n) {
			return ""
		}
	case rbacv1.ServiceAccountKind:
		if tenantNamespace(subjectNamespace(s, namespace)) {
			return ""
		}
	default:
		return "a subject of unknown kind"
	}
	if isOwner(t, s, namespace) {
		return ""
	}
	if s.Kind == rbacv1.ServiceAccountKind {
		return "a service account of a namespace that is not the tenant's"
	}
	return "who is not a member of the tenant"
}

// isOwner reports whether s is one of t's owners, as spec.owners writes it.
func isOwner(t *naasv1alpha1.Tenant, s rbacv1.Subject, namespace string) bool {
	for _, o := range t.Spec.Owners {
		if string(o.Kind) != s.Kind || o.Name != s.Name {
			continue
		}
		if s.Kind != rbacv1.ServiceAccountKind || o.Namespace == subjectNamespace(s, namespace) {
			return true
		}
	}
	return false
}

// subjectNamespace is the namespace of a ServiceAccount subject: a RoleBinding's own when it gives none.
func subjectNamespace(s rbacv1.Subject, namespace string) string {
	if s.Namespace == "" {
		return namespace
	}
	return s.Namespace
}

// serviceAccountNamespace returns the namespace of a service account's user name
// (system:serviceaccount:<namespace>:<name>).
func serviceAccountNamespace(user string) (string, bool) {
	rest, ok := strings.CutPrefix(user, serviceAccountUserPrefix)
	if !ok {
		return "", false
	}
	ns, _, ok := strings.Cut(rest, ":")
	return ns, ok && ns != ""
}

// DescribeSubject names a RoleBinding subject for messages and audit records: "User alice",
// "ServiceAccount acme-web/ci", "Group system:authenticated".
func DescribeSubject(s rbacv1.Subject, namespace string) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return fmt.Sprintf("%s %s/%s", s.Kind, subjectNamespace(s, namespace), s.Name)
	}
	return s.Kind + " " + s.Name
}
