package tenancy

import (
	"slices"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// PlatformAdminGroup is the group whose members administer the whole platform: they create tenants, templates
// and tiers, and may act in every tenant.
const PlatformAdminGroup = naasv1alpha1.PlatformAdminGroupName

// SystemMastersGroup is the Kubernetes superuser group; its members are platform admins too, since they can
// do anything in the cluster anyway.
const SystemMastersGroup = "system:masters"

// serviceAccountUserPrefix starts the user name the API server gives a service account:
// system:serviceaccount:<namespace>:<name>.
const serviceAccountUserPrefix = "system:serviceaccount:"

// User is an authenticated identity, as the API server or the naas REST API authenticated it.
type User struct {
	// Name is the user name, e.g. "alice@example.com" or "system:serviceaccount:ci:deployer".
	Name string
	// Groups are the groups the user belongs to.
	Groups []string
}

// InGroup reports whether u is a member of group.
func (u User) InGroup(group string) bool {
	return slices.Contains(u.Groups, group)
}

// IsPlatformAdmin reports whether u is a platform admin: a member of PlatformAdminGroup or of
// SystemMastersGroup.
func IsPlatformAdmin(u User) bool {
	return u.InGroup(PlatformAdminGroup) || u.InGroup(SystemMastersGroup)
}

// ServiceAccountUserName is the user name the API server gives the service account namespace/name.
func ServiceAccountUserName(namespace, name string) string {
	return serviceAccountUserPrefix + namespace + ":" + name
}

// RoleOf returns the strongest role u holds in tenant t through its owners: a User owner whose name is u's
// name, a Group owner that is one of u's groups, or a ServiceAccount owner whose user name
// (system:serviceaccount:<namespace>:<name>) is u's name. The boolean is false when u holds no role.
func RoleOf(u User, t *naasv1alpha1.Tenant) (naasv1alpha1.Role, bool) {
	if t == nil {
		return "", false
	}
	var best naasv1alpha1.Role
	for _, o := range t.Spec.Owners {
		if !ownerMatches(u, o) || rank(o.Role) <= rank(best) {
			continue
		}
		best = o.Role
	}
	return best, best != ""
}

func ownerMatches(u User, o naasv1alpha1.Owner) bool {
	switch o.Kind {
	case naasv1alpha1.SubjectUser:
		return u.Name != "" && o.Name == u.Name
	case naasv1alpha1.SubjectGroup:
		return u.InGroup(o.Name)
	case naasv1alpha1.SubjectServiceAccount:
		return o.Namespace != "" && u.Name == ServiceAccountUserName(o.Namespace, o.Name)
	default:
		return false
	}
}

// rank orders roles from least (0, no or unknown role) to most privileged.
func rank(r naasv1alpha1.Role) int {
	switch r {
	case naasv1alpha1.RoleAdmin:
		return 3
	case naasv1alpha1.RoleDeveloper:
		return 2
	case naasv1alpha1.RoleViewer:
		return 1
	default:
		return 0
	}
}
