package tenancy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

var allActions = []Action{
	ActionView, ActionCreateNamespace, ActionUpdateNamespace, ActionDeleteNamespace,
	ActionApprove, ActionManageMembers, ActionManageTenant, ActionManageClusters,
}

// TestAuthorize_RoleMatrix checks every role against every action, on a claim the user did not request.
func TestAuthorize_RoleMatrix(t *testing.T) {
	payments := tenant("payments").
		user("ada", naasv1alpha1.RoleAdmin).
		user("dev", naasv1alpha1.RoleDeveloper).
		group("auditors", naasv1alpha1.RoleViewer).
		obj()
	someoneElses := claim("payments-api", "payments", "web").requester("carol").obj()

	allowed := map[string][]Action{
		"ada":      {ActionView, ActionCreateNamespace, ActionUpdateNamespace, ActionDeleteNamespace, ActionApprove, ActionManageMembers},
		"dev":      {ActionView, ActionCreateNamespace, ActionUpdateNamespace},
		"vic":      {ActionView},
		"stranger": {},
		"root":     allActions,
	}
	users := map[string]User{
		"ada":      {Name: "ada"},
		"dev":      {Name: "dev"},
		"vic":      {Name: "vic", Groups: []string{"auditors"}},
		"stranger": {Name: "stranger", Groups: []string{"system:authenticated"}},
		"root":     {Name: "root", Groups: []string{PlatformAdminGroup}},
	}
	for name, u := range users {
		for _, action := range allActions {
			t.Run(name+"/"+string(action), func(t *testing.T) {
				want := false
				for _, a := range allowed[name] {
					want = want || a == action
				}
				got := Authorize(u, payments, action, someoneElses)
				if got.Allowed != want {
					t.Errorf("Authorize(%s, %s).Allowed = %v, want %v (reason: %s)", name, action, got.Allowed, want, got.Reason)
				}
				if got.Reason == "" {
					t.Error("Authorize returned no reason")
				}
			})
		}
	}
}

func TestAuthorize(t *testing.T) {
	payments := tenant("payments").
		user("ada", naasv1alpha1.RoleAdmin).
		user("dev", naasv1alpha1.RoleDeveloper).
		user("bob", naasv1alpha1.RoleViewer).
		serviceAccount("ci", "deployer", naasv1alpha1.RoleDeveloper).
		obj()
	tests := []struct {
		name   string
		user   User
		tenant *naasv1alpha1.Tenant
		action Action
		claim  *naasv1alpha1.NamespaceClaim
		want   Decision
	}{
		{
			name: "viewer may not create, and is told which roles may",
			user: User{Name: "bob"}, tenant: payments, action: ActionCreateNamespace,
			claim: claim("payments-api", "payments", "web").obj(),
			want: Decision{Reason: `user "bob" has role viewer in tenant "payments"; ` +
				`creating namespaces takes the admin or developer role`},
		},
		{
			name: "viewer may view",
			user: User{Name: "bob"}, tenant: payments, action: ActionView,
			want: Decision{Allowed: true, Reason: `user "bob" has role viewer in tenant "payments"`},
		},
		{
			name: "non-member is told they are not a member",
			user: User{Name: "eve"}, tenant: payments, action: ActionView,
			want: Decision{Reason: `user "eve" is not a member of tenant "payments"; ` +
				`viewing namespaces takes the admin, developer or viewer role`},
		},
		{
			name: "developer deletes a namespace they requested",
			user: User{Name: "dev"}, tenant: payments, action: ActionDeleteNamespace,
			claim: claim("payments-api", "payments", "web").requester("dev").obj(),
			want:  Decision{Allowed: true, Reason: `user "dev" has role developer in tenant "payments" and requested namespace "payments-api"`},
		},
		{
			name: "developer may not delete someone else's namespace",
			user: User{Name: "dev"}, tenant: payments, action: ActionDeleteNamespace,
			claim: claim("payments-api", "payments", "web").requester("carol").obj(),
			want: Decision{Reason: `user "dev" has role developer in tenant "payments" and did not request namespace "payments-api" ` +
				`(requested by "carol"); deleting namespaces takes the admin role, or the developer role for namespaces the user requested`},
		},
		{
			name: "developer may not delete a namespace without a recorded requester",
			user: User{Name: "dev"}, tenant: payments, action: ActionDeleteNamespace,
			claim: claim("payments-api", "payments", "web").obj(),
			want: Decision{Reason: `user "dev" has role developer in tenant "payments" and did not request namespace "payments-api" ` +
				`(requested by an unknown requester); deleting namespaces takes the admin role, or the developer role for namespaces the user requested`},
		},
		{
			name: "developer with an empty user name never matches an empty requester",
			user: User{Name: "", Groups: []string{"devs"}}, action: ActionDeleteNamespace,
			tenant: tenant("payments").group("devs", naasv1alpha1.RoleDeveloper).obj(),
			claim:  claim("payments-api", "payments", "web").requester("").obj(),
			want: Decision{Reason: `user "" has role developer in tenant "payments" and did not request namespace "payments-api" ` +
				`(requested by an unknown requester); deleting namespaces takes the admin role, or the developer role for namespaces the user requested`},
		},
		{
			name: "developer delete without a claim is denied",
			user: User{Name: "dev"}, tenant: payments, action: ActionDeleteNamespace,
			want: Decision{Reason: `user "dev" has role developer in tenant "payments" and no namespace was given to check who requested it; ` +
				`deleting namespaces takes the admin role, or the developer role for namespaces the user requested`},
		},
		{
			name: "service account developer deletes its own namespace",
			user: User{Name: "system:serviceaccount:ci:deployer"}, tenant: payments, action: ActionDeleteNamespace,
			claim: claim("payments-ci", "payments", "web").requester("system:serviceaccount:ci:deployer").obj(),
			want:  Decision{Allowed: true, Reason: `user "system:serviceaccount:ci:deployer" has role developer in tenant "payments" and requested namespace "payments-ci"`},
		},
		{
			name: "developer may not approve",
			user: User{Name: "dev"}, tenant: payments, action: ActionApprove,
			want: Decision{Reason: `user "dev" has role developer in tenant "payments"; approving namespace claims takes the admin role`},
		},
		{
			name: "tenant admin may not manage tenants",
			user: User{Name: "ada"}, tenant: payments, action: ActionManageTenant,
			want: Decision{Reason: `user "ada" is not a platform admin; managing tenants takes platform admin rights (membership of group "naas:platform-admins")`},
		},
		{
			name: "tenant admin may not manage clusters",
			user: User{Name: "ada"}, tenant: payments, action: ActionManageClusters,
			want: Decision{Reason: `user "ada" is not a platform admin; managing clusters takes platform admin rights (membership of group "naas:platform-admins")`},
		},
		{
			name: "tenant admin may not act on a claim of another tenant",
			user: User{Name: "ada"}, tenant: payments, action: ActionDeleteNamespace,
			claim: claim("billing-db", "billing", "data").obj(),
			want:  Decision{Reason: `namespace "billing-db" belongs to tenant "billing", not "payments"; roles in tenant "payments" do not apply to it`},
		},
		{
			name: "platform admin may manage tenants without a tenant",
			user: User{Name: "root", Groups: []string{PlatformAdminGroup}}, action: ActionManageTenant,
			want: Decision{Allowed: true, Reason: `user "root" is a platform admin`},
		},
		{
			name: "system:masters may delete in any tenant",
			user: User{Name: "kubernetes-admin", Groups: []string{"system:masters"}}, tenant: payments, action: ActionDeleteNamespace,
			claim: claim("payments-api", "payments", "web").requester("carol").obj(),
			want:  Decision{Allowed: true, Reason: `user "kubernetes-admin" is a platform admin`},
		},
		{
			name: "no tenant denies members' actions",
			user: User{Name: "ada"}, action: ActionView,
			want: Decision{Reason: `user "ada" asked for "view" without a tenant; viewing namespaces takes the admin, developer or viewer role`},
		},
		{
			name: "unknown action is denied even to platform admins",
			user: User{Name: "root", Groups: []string{PlatformAdminGroup}}, tenant: payments, action: "impersonate",
			want: Decision{Reason: `unknown action "impersonate"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Authorize(tt.user, tt.tenant, tt.action, tt.claim)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Authorize() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
