package isolation

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
	"github.com/naas-dev/naas/internal/webhook/rolebinding"
)

func grant(name, namespace, clusterRole string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   subjects,
	}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func serviceAccount(namespace, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
}

// refused checks that err is the API server's Forbidden naming every part of want.
func refused(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: allowed, want it refused", what)
		return
	}
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: %v, want Forbidden", what, err)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: the refusal does not say %q: %v", what, w, err)
		}
	}
}

// byPolicy is how the API server names the denial of tenant's RoleBinding policy: seeing it proves the API server
// refused by itself, before naas's webhook was asked.
func byPolicy(tenant string) string {
	return "ValidatingAdmissionPolicy '" + platform.TenantRoleBindingsPolicyName(tenant) + "'"
}

// waitPolicy waits until the API server enforces tenant's RoleBinding policy: it takes up a policy a moment after
// naas writes it (naas's webhook holds the rule meanwhile).
func waitPolicy(t *testing.T, user, namespace, tenant string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "the API server enforces "+platform.TenantRoleBindingsPolicyName(tenant), func() error {
		err := as(user).Create(context.Background(), grant("probe", namespace, "view", group("system:authenticated")), client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), byPolicy(tenant)) {
			return testenv.Errorf("dry run refused by %v", err)
		}
		return nil
	})
}

func TestRoleBindings_DeveloperCannotGrantAccessToOutsiders(t *testing.T) {
	ctx := testenv.Context(t)
	bob := as("bob")
	waitPolicy(t, "bob", acmeWeb, acmeTenant)
	waitPolicy(t, "carol", globexApp, globex)

	// The attack from the issue: bob binds every authenticated user to the developer role, and dave then reads
	// acme-web's Secrets.
	refused(t, "bob binds system:authenticated", bob.Create(ctx, grant("everyone", acmeWeb, bundle.ClusterRoleDeveloper, group("system:authenticated"))),
		"Group system:authenticated", "tenant acme", byPolicy(acmeTenant))
	if ok, err := may(ctx, "dave", accessCheck{resource: "secrets", namespace: acmeWeb, verb: "list"}); err != nil || ok {
		t.Errorf("dave may list the Secrets of %s: %v (%v), want no", acmeWeb, ok, err)
	}
	for _, tt := range []struct {
		what string
		rb   *rbacv1.RoleBinding
		want []string
	}{
		{"bob binds every service account", grant("sas", acmeWeb, "view", group("system:serviceaccounts")), []string{"Group system:serviceaccounts"}},
		{"bob binds anonymous users", grant("anon", acmeWeb, "view", group("system:unauthenticated")), []string{"Group system:unauthenticated"}},
		{"bob binds a user in no tenant", grant("dave", acmeWeb, "view", user("dave")), []string{"User dave"}},
		{"bob binds globex's admin", grant("carol", acmeWeb, "view", user("alice"), user("carol")), []string{"User carol"}},
		{"bob binds a service account of globex's namespace", grant("globex-sa", acmeWeb, "edit", serviceAccount(globexApp, "default")),
			[]string{"ServiceAccount " + globexApp + "/default"}},
		{"bob binds the service accounts of globex's namespace", grant("globex-sas", acmeWeb, "edit", group("system:serviceaccounts:"+globexApp)),
			[]string{"Group system:serviceaccounts:" + globexApp}},
		{"bob binds a service account of another namespace under a member's name", grant("ci-other", acmeWeb, "edit", serviceAccount("ci-other", "deployer")),
			[]string{"ServiceAccount ci-other/deployer"}},
		{"bob binds globex's service account by its user name", grant("globex-sa-user", acmeWeb, "edit", user("system:serviceaccount:"+globexApp+":default")),
			[]string{"system:serviceaccount:" + globexApp + ":default"}},
	} {
		refused(t, tt.what, bob.Create(ctx, tt.rb), append(tt.want, byPolicy(acmeTenant))...)
	}
	// RBAC's escalation check refuses a developer the admin role only as long as the developer lacks one of its
	// permissions (today: creating local subject access reviews). Given it, bob holds all of admin's, and
	// naas's rule still refuses.
	refused(t, "bob, a developer, binds admin", bob.Create(ctx, grant("bob-admin", acmeWeb, "admin", user("bob"))))
	extra := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: acmeWeb, Name: "bob-reviews"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"localsubjectaccessreviews"}, Verbs: []string{"create"}}},
	}
	extraBinding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: acmeWeb, Name: "bob-reviews"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: extra.Name},
		Subjects:   []rbacv1.Subject{user("bob")},
	}
	for _, o := range []client.Object{extra, extraBinding} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), o) })
	}
	testenv.Eventually(t, 30*time.Second, "bob holds every permission of admin in "+acmeWeb, func() error {
		err := bob.Create(ctx, grant("bob-admin", acmeWeb, "admin", user("bob")), client.DryRunAll)
		if err != nil && strings.Contains(err.Error(), "not currently held") {
			return err
		}
		return nil
	})
	refused(t, "bob, a developer holding admin's permissions, binds admin", bob.Create(ctx, grant("bob-admin", acmeWeb, "admin", user("bob"))),
		"admin-level", "only admins of tenant acme", byPolicy(acmeTenant))
	refused(t, "bob, a developer holding admin's permissions, binds naas's tenant admin role",
		bob.Create(ctx, grant("alice-admin", acmeWeb, bundle.ClusterRoleAdmin, user("alice"))), "admin-level", byPolicy(acmeTenant))
	// Carol, admin of globex, cannot reach into acme either (she has no role there: RBAC refuses).
	refused(t, "carol binds herself in acme's namespace", as("carol").Create(ctx, grant("carol", acmeWeb, "view", user("carol"))))
	// Nor can carol invite acme's members into globex with system groups: the rule holds for admins too.
	refused(t, "carol binds system:authenticated in her own namespace", as("carol").Create(ctx, grant("everyone", globexApp, "view", group("system:authenticated"))),
		"Group system:authenticated", "tenant globex", byPolicy(globex))
}

func TestRoleBindings_MembersAndTenantServiceAccountsMayBeBoundAndAreAudited(t *testing.T) {
	ctx := testenv.Context(t)
	waitPolicy(t, "bob", acmeWeb, acmeTenant)
	bindings := []struct {
		user string
		rb   *rbacv1.RoleBinding
	}{
		{"bob", grant("alice-view", acmeWeb, bundle.ClusterRoleViewer, user("alice"))},
		{"bob", grant("app-edit", acmeWeb, "edit", serviceAccount(acmeWeb, "default"), group("system:serviceaccounts:"+acmeWeb))},
		{"bob", grant("ci-edit", acmeWeb, "edit", serviceAccount("ci", "deployer"))},
		{"alice", grant("bob-admin", acmeWeb, "admin", user("bob"))},
	}
	for _, b := range bindings {
		if err := as(b.user).Create(ctx, b.rb); err != nil {
			t.Fatalf("%s creates RoleBinding %s: %v", b.user, b.rb.Name, err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), b.rb) })
	}
	// A change is decided again: adding an outsider is refused, adding a member is not.
	change := func(user string, add rbacv1.Subject) error {
		rb := &rbacv1.RoleBinding{}
		if err := as(user).Get(ctx, client.ObjectKey{Namespace: acmeWeb, Name: "alice-view"}, rb); err != nil {
			return err
		}
		rb.Subjects = append(rb.Subjects, add)
		return as(user).Update(ctx, rb)
	}
	refused(t, "bob adds dave to his binding", change("bob", user("dave")), "User dave", byPolicy(acmeTenant))
	if err := change("bob", user("bob")); err != nil {
		t.Fatalf("bob adds himself to his binding: %v", err)
	}

	// Each is in acme's audit log, which its admin reads: who, which subjects, which role.
	events := auditEvents(t, "alice", acmeTenant)
	find := func(action, target, user string) map[string]string {
		for _, e := range events {
			if e.Action == action && e.Target == target && e.User == user && e.Namespace == acmeWeb && e.Result == "allowed" {
				return e.Details
			}
		}
		return nil
	}
	for _, b := range bindings {
		d := find(rolebinding.ActionCreate, "rolebinding/"+b.rb.Name, b.user)
		if d == nil {
			t.Errorf("no audit record of %s creating RoleBinding %s in acme's log: %v", b.user, b.rb.Name, events)
			continue
		}
		if want := "ClusterRole/" + b.rb.RoleRef.Name; d["role"] != want {
			t.Errorf("audit record of %s: role %q, want %q", b.rb.Name, d["role"], want)
		}
		if want := rolebinding.Details(b.rb)["subjects"]; d["subjects"] != want {
			t.Errorf("audit record of %s: subjects %q, want %q", b.rb.Name, d["subjects"], want)
		}
	}
	if d := find(rolebinding.ActionUpdate, "rolebinding/alice-view", "bob"); d == nil || d["subjects"] != "User alice, User bob" {
		t.Errorf("audit record of bob's change of alice-view: %v", d)
	}
	// No tenant reads another's: globex's log holds none of acme's bindings.
	for _, e := range auditEvents(t, "carol", globex) {
		if e.Namespace == acmeWeb {
			t.Errorf("globex's audit log shows acme's event %+v", e)
		}
	}
}

func TestRoleBindings_CollaborationBindingsNaasMakesStay(t *testing.T) {
	ctx := testenv.Context(t)
	waitPolicy(t, "bob", acmeWeb, acmeTenant)
	c := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: acmeWeb}, c); err != nil {
		t.Fatal(err)
	}
	c.Spec.Collaborators = []naasv1alpha1.Collaborator{{Tenant: globex, Access: naasv1alpha1.CollaboratorDeveloper}}
	if err := env.Client.Update(ctx, c); err != nil {
		t.Fatalf("give globex developer access to %s: %v", acmeWeb, err)
	}
	t.Cleanup(func() {
		c := &naasv1alpha1.NamespaceClaim{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: acmeWeb}, c); err == nil {
			c.Spec.Collaborators = nil
			_ = env.Client.Update(context.Background(), c)
		}
	})
	name := bundle.CollaboratorBindingName(globex, "developer")
	testenv.Eventually(t, time.Minute, "naas binds globex's admin in "+acmeWeb, func() error {
		rb := &rbacv1.RoleBinding{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: acmeWeb, Name: name}, rb); err != nil {
			return err
		}
		if len(rb.Subjects) != 1 || rb.Subjects[0].Name != "carol" {
			return fmt.Errorf("subjects %v, want carol", rb.Subjects)
		}
		return nil
	})
	// Carol works there as a developer, and is held to acme's rules there like acme's own developers.
	refused(t, "carol, collaborating, binds admin in acme's namespace", as("carol").Create(ctx, grant("carol-admin", acmeWeb, "admin", user("carol"))))
	refused(t, "carol, collaborating, binds a globex service account in acme's namespace",
		as("carol").Create(ctx, grant("globex-sa", acmeWeb, "edit", serviceAccount(globexApp, "default"))), "ServiceAccount "+globexApp+"/default", byPolicy(acmeTenant))
}

// The API server compiles a tenant's policy when naas writes it, and refuses expressions over its CEL parser's
// limit: a policy for a tenant with 12,000 namespaces must still be accepted.
func TestRoleBindingPolicy_TenantWithThousandsOfNamespacesIsAccepted(t *testing.T) {
	ctx := testenv.Context(t)
	var names []string
	for i := range 12000 {
		names = append(names, fmt.Sprintf("a-rather-long-namespace-name-for-a-big-tenant-%05d", i))
	}
	big := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "big", UID: "uid-big"}}
	policy := platform.TenantAccess(platform.Config{}, big, names)[2].(*admissionregistrationv1.ValidatingAdmissionPolicy)
	policy.OwnerReferences = nil
	if err := env.Client.Create(ctx, policy, client.DryRunAll); err != nil {
		t.Fatalf("the API server refuses the policy of a tenant with %d namespaces: %v", len(names), err)
	}
	// What the lists avoid: the same namespaces in one list literal are refused.
	one := policy.DeepCopy()
	quoted := make([]string, 0, len(names))
	for _, n := range names {
		quoted = append(quoted, fmt.Sprintf("%q", n))
	}
	one.Spec.Variables = append([]admissionregistrationv1.Variable{{Name: "namespaces", Expression: "[" + strings.Join(quoted, ", ") + "]"}},
		one.Spec.Variables[len(one.Spec.Variables)-3:]...) // subjects, refused, isAdmin
	err := env.Client.Create(ctx, one, client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), "size") {
		t.Errorf("a policy with one list of %d namespaces: %v, want it refused for its size: the test does not exercise the parser's limit", len(names), err)
	}
}
