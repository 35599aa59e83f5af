package tenancy

import (
	"fmt"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Action is something a user asks to do in a tenant.
type Action string

// Actions checked by Authorize.
const (
	// ActionView reads the tenant and its namespaces.
	ActionView Action = "view"
	// ActionCreateNamespace creates a namespace claim in the tenant.
	ActionCreateNamespace Action = "create-namespace"
	// ActionUpdateNamespace changes a claim's tier, parameters or deletion protection.
	ActionUpdateNamespace Action = "update-namespace"
	// ActionDeleteNamespace deletes a claim and so its namespace.
	ActionDeleteNamespace Action = "delete-namespace"
	// ActionApprove approves or rejects a claim whose template requires approval.
	ActionApprove Action = "approve"
	// ActionManageMembers changes the tenant's owners.
	ActionManageMembers Action = "manage-members"
	// ActionManageTenant creates, updates or deletes tenants; reserved to platform admins.
	ActionManageTenant Action = "manage-tenant"
	// ActionManageClusters registers, changes, cordons and removes member clusters; reserved to platform admins.
	ActionManageClusters Action = "manage-clusters"
)

// Decision is the outcome of Authorize. Reason is a sentence fit for an audit log or an error message; on a
// denial it says which role would be allowed.
type Decision struct {
	Allowed bool
	Reason  string
}

// describe returns what the action does and who may do it, as in "creating namespaces takes the admin or
// developer role".
func (a Action) describe() (string, bool) {
	switch a {
	case ActionView:
		return "viewing namespaces takes the admin, developer or viewer role", true
	case ActionCreateNamespace:
		return "creating namespaces takes the admin or developer role", true
	case ActionUpdateNamespace:
		return "updating namespaces takes the admin or developer role", true
	case ActionDeleteNamespace:
		return "deleting namespaces takes the admin role, or the developer role for namespaces the user requested", true
	case ActionApprove:
		return "approving namespace claims takes the admin role", true
	case ActionManageMembers:
		return "managing tenant members takes the admin role", true
	case ActionManageTenant:
		return fmt.Sprintf("managing tenants takes platform admin rights (membership of group %q)", PlatformAdminGroup), true
	case ActionManageClusters:
		return fmt.Sprintf("managing clusters takes platform admin rights (membership of group %q)", PlatformAdminGroup), true
	default:
		return "", false
	}
}

// Authorize decides whether u may perform action in tenant t. claim is the namespace claim acted on, when
// there is one; it is required to let a developer delete a namespace they requested, and a claim of another
// tenant is refused so that a role in one tenant never reaches into another.
//
// Platform admins may do everything. In the tenant, an admin may do everything but ActionManageTenant; a
// developer may view, create and update namespaces, and delete the claims whose spec.requester.username is
// theirs; a viewer may only view; anyone else may do nothing.
func Authorize(u User, t *naasv1alpha1.Tenant, action Action, claim *naasv1alpha1.NamespaceClaim) Decision {
	rule, known := action.describe()
	if !known {
		return deny("unknown action %q", action)
	}
	if IsPlatformAdmin(u) {
		return allow("user %q is a platform admin", u.Name)
	}
	if action.platformWide() {
		return deny("user %q is not a platform admin; %s", u.Name, rule)
	}
	if t == nil {
		return deny("user %q asked for %q without a tenant; %s", u.Name, action, rule)
	}
	if claim != nil && claim.Spec.Tenant != t.Name {
		return deny("namespace %q belongs to tenant %q, not %q; roles in tenant %q do not apply to it",
			claim.Name, claim.Spec.Tenant, t.Name, t.Name)
	}
	role, member := RoleOf(u, t)
	if !member {
		return deny("user %q is not a member of tenant %q; %s", u.Name, t.Name, rule)
	}
	if roleAllows(role, action) {
		return allow("user %q has role %s in tenant %q", u.Name, role, t.Name)
	}
	if role == naasv1alpha1.RoleDeveloper && action == ActionDeleteNamespace {
		return developerDelete(u, t, claim, rule)
	}
	return deny("user %q has role %s in tenant %q; %s", u.Name, role, t.Name, rule)
}

// platformWide actions act beyond any one tenant: no tenant role allows them.
func (a Action) platformWide() bool { return a == ActionManageTenant || a == ActionManageClusters }

// roleAllows is the role matrix, without the developer's own-claim delete rule.
func roleAllows(role naasv1alpha1.Role, action Action) bool {
	switch role {
	case naasv1alpha1.RoleAdmin:
		return !action.platformWide()
	case naasv1alpha1.RoleDeveloper:
		return action == ActionView || action == ActionCreateNamespace || action == ActionUpdateNamespace
	case naasv1alpha1.RoleViewer:
		return action == ActionView
	default:
		return false
	}
}

func developerDelete(u User, t *naasv1alpha1.Tenant, claim *naasv1alpha1.NamespaceClaim, rule string) Decision {
	if claim == nil {
		return deny("user %q has role developer in tenant %q and no namespace was given to check who requested it; %s",
			u.Name, t.Name, rule)
	}
	requester := ""
	if claim.Spec.Requester != nil {
		requester = claim.Spec.Requester.Username
	}
	if requester != "" && requester == u.Name {
		return allow("user %q has role developer in tenant %q and requested namespace %q", u.Name, t.Name, claim.Name)
	}
	by := "an unknown requester"
	if requester != "" {
		by = fmt.Sprintf("%q", requester)
	}
	return deny("user %q has role developer in tenant %q and did not request namespace %q (requested by %s); %s",
		u.Name, t.Name, claim.Name, by, rule)
}

func allow(format string, args ...any) Decision {
	return Decision{Allowed: true, Reason: fmt.Sprintf(format, args...)}
}

func deny(format string, args ...any) Decision {
	return Decision{Allowed: false, Reason: fmt.Sprintf(format, args...)}
}
