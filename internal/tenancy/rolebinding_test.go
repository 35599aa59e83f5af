package tenancy

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func roleBinding(namespace, clusterRole string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "grant"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   subjects,
	}
}

func userSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func groupSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func saSubject(namespace, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
}

func TestAuthorizeRoleBinding(t *testing.T) {
	acme := tenant("acme").
		user("alice", naasv1alpha1.RoleAdmin).
		user("bob", naasv1alpha1.RoleDeveloper).
		group("acme-auditors", naasv1alpha1.RoleViewer).
		group("acme-admins", naasv1alpha1.RoleAdmin).
		serviceAccount("ci", "deployer", naasv1alpha1.RoleDeveloper).
		obj()
	acmeNamespaces := func(ns string) bool { return ns == "acme-web" || ns == "acme-api" }
	alice, bob := User{Name: "alice"}, User{Name: "bob"}
	groupAdmin := User{Name: "gina", Groups: []string{"acme-admins"}}
	root := User{Name: "root", Groups: []string{PlatformAdminGroup}}

	tests := []struct {
		name string
		user User
		rb   *rbacv1.RoleBinding
		// want is "" when allowed, else a part of the denial.
		want string
	}{
		{"developer binds a member user", bob, roleBinding("acme-web", "naas:tenant-viewer", userSubject("alice")), ""},
		{"developer binds a member group", bob, roleBinding("acme-web", "view", groupSubject("acme-auditors")), ""},
		{"developer binds a service account of the namespace", bob, roleBinding("acme-web", "edit", saSubject("acme-web", "app")), ""},
		{"service account without namespace is the binding's own", bob, roleBinding("acme-web", "edit", saSubject("", "app")), ""},
		{"developer binds a service account of another namespace of the tenant", bob, roleBinding("acme-web", "edit", saSubject("acme-api", "app")), ""},
		{"service account as user name", bob, roleBinding("acme-web", "edit", userSubject("system:serviceaccount:acme-api:app")), ""},
		{"service account group of the tenant's namespace", bob, roleBinding("acme-web", "view", groupSubject("system:serviceaccounts:acme-api")), ""},
		{"member service account outside the tenant's namespaces", bob, roleBinding("acme-web", "edit", saSubject("ci", "deployer")), ""},

		{"system:authenticated", bob, roleBinding("acme-web", "naas:tenant-developer", groupSubject("system:authenticated")), "a system group"},
		{"system:authenticated even for an admin", alice, roleBinding("acme-web", "view", groupSubject("system:authenticated")), "a system group"},
		{"system:unauthenticated", bob, roleBinding("acme-web", "view", groupSubject("system:unauthenticated")), "a system group"},
		{"every service account", bob, roleBinding("acme-web", "view", groupSubject("system:serviceaccounts")), "a system group"},
		{"service accounts of another tenant's namespace", bob, roleBinding("acme-web", "view", groupSubject("system:serviceaccounts:globex-app")), "a system group"},
		{"system:masters", alice, roleBinding("acme-web", "view", groupSubject("system:masters")), "a system group"},
		{"non-member user", bob, roleBinding("acme-web", "view", userSubject("dave")), `names User dave, who is not a member`},
		{"non-member among members", bob, roleBinding("acme-web", "view", userSubject("alice"), userSubject("carol")), "User carol"},
		{"non-member group", bob, roleBinding("acme-web", "view", groupSubject("globex-admins")), "Group globex-admins"},
		{"anonymous user", bob, roleBinding("acme-web", "view", userSubject("system:anonymous")), "User system:anonymous"},
		{"service account of another tenant's namespace", bob, roleBinding("acme-web", "edit", saSubject("globex-app", "default")), "ServiceAccount globex-app/default, a service account of a namespace that is not the tenant's"},
		{"another tenant's service account as user name", bob, roleBinding("acme-web", "edit", userSubject("system:serviceaccount:globex-app:default")), "not a member"},
		{"member's name as another kind", bob, roleBinding("acme-web", "view", groupSubject("alice")), "Group alice"},
		{"member service account's name in another namespace", bob, roleBinding("acme-web", "view", saSubject("other", "deployer")), "ServiceAccount other/deployer"},

		{"developer binds admin", bob, roleBinding("acme-web", "admin", userSubject("bob")), "binds ClusterRole admin, an admin-level role"},
		{"developer binds naas:tenant-admin", bob, roleBinding("acme-web", "naas:tenant-admin", userSubject("alice")), "an admin-level role"},
		{"developer binds cluster-admin", bob, roleBinding("acme-web", "cluster-admin", userSubject("alice")), "an admin-level role"},
		{"admin binds admin", alice, roleBinding("acme-web", "admin", userSubject("bob")), ""},
		{"admin through a group binds admin", groupAdmin, roleBinding("acme-web", "naas:tenant-admin", userSubject("bob")), ""},
		{"a Role named admin is not the ClusterRole", bob, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: "acme-web", Name: "grant"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "admin"},
			Subjects:   []rbacv1.Subject{userSubject("alice")},
		}, ""},
		{"platform admin binds anyone", root, roleBinding("acme-web", "admin", groupSubject("system:authenticated")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := AuthorizeRoleBinding(tt.user, acme, acmeNamespaces, tt.rb)
			switch {
			case tt.want == "" && !d.Allowed:
				t.Errorf("denied, want allowed: %s", d.Reason)
			case tt.want != "" && d.Allowed:
				t.Errorf("allowed (%s), want denied saying %q", d.Reason, tt.want)
			case tt.want != "" && !strings.Contains(d.Reason, tt.want):
				t.Errorf("denial %q does not say %q", d.Reason, tt.want)
			}
		})
	}
}
