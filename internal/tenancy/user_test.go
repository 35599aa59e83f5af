package tenancy

import (
	"testing"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestIsPlatformAdmin(t *testing.T) {
	tests := []struct {
		name string
		user User
		want bool
	}{
		{name: "member of naas:platform-admins", user: User{Name: "root", Groups: []string{"dev", PlatformAdminGroup}}, want: true},
		{name: "member of system:masters", user: User{Name: "kubernetes-admin", Groups: []string{"system:masters"}}, want: true},
		{name: "ordinary user", user: User{Name: "alice", Groups: []string{"dev", "system:authenticated"}}},
		{name: "user named like the group is not a member", user: User{Name: PlatformAdminGroup}},
		{name: "no groups", user: User{Name: "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsPlatformAdmin(tt.user); got != tt.want {
				t.Errorf("IsPlatformAdmin(%+v) = %v, want %v", tt.user, got, tt.want)
			}
		})
	}
}

func TestRoleOf(t *testing.T) {
	const (
		admin     = naasv1alpha1.RoleAdmin
		developer = naasv1alpha1.RoleDeveloper
		viewer    = naasv1alpha1.RoleViewer
	)
	tests := []struct {
		name     string
		user     User
		tenant   *naasv1alpha1.Tenant
		wantRole naasv1alpha1.Role
		wantOK   bool
	}{
		{
			name:     "user owner matches by name",
			user:     User{Name: "alice"},
			tenant:   tenant("payments").user("alice", developer).obj(),
			wantRole: developer, wantOK: true,
		},
		{
			name:   "user owner of another name does not match",
			user:   User{Name: "bob"},
			tenant: tenant("payments").user("alice", admin).obj(),
		},
		{
			name:     "group owner matches by group membership",
			user:     User{Name: "bob", Groups: []string{"system:authenticated", "payments-team"}},
			tenant:   tenant("payments").group("payments-team", viewer).obj(),
			wantRole: viewer, wantOK: true,
		},
		{
			name:   "group owner does not match a user of the same name",
			user:   User{Name: "payments-team"},
			tenant: tenant("payments").group("payments-team", admin).obj(),
		},
		{
			name:   "user owner does not match a group of the same name",
			user:   User{Name: "bob", Groups: []string{"alice"}},
			tenant: tenant("payments").user("alice", admin).obj(),
		},
		{
			name:     "service account owner matches its user name",
			user:     User{Name: "system:serviceaccount:ci:deployer", Groups: []string{"system:serviceaccounts"}},
			tenant:   tenant("payments").serviceAccount("ci", "deployer", developer).obj(),
			wantRole: developer, wantOK: true,
		},
		{
			name:   "service account owner in another namespace does not match",
			user:   User{Name: "system:serviceaccount:other:deployer"},
			tenant: tenant("payments").serviceAccount("ci", "deployer", admin).obj(),
		},
		{
			name:   "service account owner does not match a plain user of the same name",
			user:   User{Name: "deployer"},
			tenant: tenant("payments").serviceAccount("ci", "deployer", admin).obj(),
		},
		{
			name: "strongest role wins whatever the owner order",
			user: User{Name: "alice", Groups: []string{"leads"}},
			tenant: tenant("payments").
				user("alice", viewer).group("leads", admin).user("alice", developer).obj(),
			wantRole: admin, wantOK: true,
		},
		{
			name:     "developer beats viewer",
			user:     User{Name: "alice", Groups: []string{"everyone"}},
			tenant:   tenant("payments").group("everyone", viewer).user("alice", developer).obj(),
			wantRole: developer, wantOK: true,
		},
		{
			name:   "unknown role grants nothing",
			user:   User{Name: "alice"},
			tenant: tenant("payments").user("alice", "owner").obj(),
		},
		{
			name:   "tenant without owners",
			user:   User{Name: "alice"},
			tenant: tenant("payments").obj(),
		},
		{
			name: "nil tenant",
			user: User{Name: "alice"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role, ok := RoleOf(tt.user, tt.tenant)
			if role != tt.wantRole || ok != tt.wantOK {
				t.Errorf("RoleOf() = (%q, %v), want (%q, %v)", role, ok, tt.wantRole, tt.wantOK)
			}
		})
	}
}
