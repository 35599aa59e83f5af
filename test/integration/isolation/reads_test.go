package isolation

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

func forbidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: %v, want Forbidden", what, err)
	}
}

func allowed(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v, want it allowed", what, err)
	}
}

func TestKubectl_TenantUsersReadOnlyTheirOwnTenantsAndClaims(t *testing.T) {
	ctx := testenv.Context(t)
	get := func(user string, obj client.Object, name string) error {
		return as(user).Get(ctx, client.ObjectKey{Name: name}, obj)
	}
	tenant := func() *naasv1alpha1.Tenant { return &naasv1alpha1.Tenant{} }
	claim := func() *naasv1alpha1.NamespaceClaim { return &naasv1alpha1.NamespaceClaim{} }

	// Members read their tenant and its claims: admins, developers alike.
	for _, user := range []string{"alice", "bob"} {
		tn := tenant()
		allowed(t, user+" gets tenant acme", get(user, tn, acmeTenant))
		if tn.Spec.CostCenter != "cc-acme-secret" {
			t.Errorf("%s read tenant acme without its spec: %+v", user, tn.Spec)
		}
		allowed(t, user+" gets claim acme-web", get(user, claim(), acmeWeb))
	}
	allowed(t, "carol gets tenant globex", get("carol", tenant(), globex))
	allowed(t, "carol gets claim globex-app", get("carol", claim(), globexApp))

	// Nobody reads another tenant's, or lists them all; a user in no tenant reads none.
	for _, tt := range []struct{ user, tenant, claim string }{
		{"alice", globex, globexApp}, {"bob", globex, globexApp}, {"carol", acmeTenant, acmeWeb}, {"dave", acmeTenant, acmeWeb}, {"dave", globex, globexApp},
	} {
		forbidden(t, tt.user+" gets tenant "+tt.tenant, get(tt.user, tenant(), tt.tenant))
		forbidden(t, tt.user+" gets claim "+tt.claim, get(tt.user, claim(), tt.claim))
		forbidden(t, tt.user+" watches claim "+tt.claim, func() error {
			w, err := client.NewWithWatch(env.UserConfig(tt.user), client.Options{Scheme: env.Scheme})
			if err != nil {
				return err
			}
			watch, err := w.Watch(ctx, &naasv1alpha1.NamespaceClaimList{}, client.MatchingFields{"metadata.name": tt.claim})
			if err == nil {
				watch.Stop()
			}
			return err
		}())
	}
	for _, user := range []string{"alice", "bob", "carol", "dave"} {
		forbidden(t, user+" lists tenants", as(user).List(ctx, &naasv1alpha1.TenantList{}))
		forbidden(t, user+" lists claims", as(user).List(ctx, &naasv1alpha1.NamespaceClaimList{}))
	}
	// A claim that does not exist is refused like another tenant's: the answer tells nothing.
	forbidden(t, "alice gets a claim nobody has", get("alice", claim(), "nobody-has-this"))

	// kubectl get namespaceclaim NAME [-w] lists by name: allowed for the member's own.
	list := &naasv1alpha1.NamespaceClaimList{}
	allowed(t, "bob lists claims by name", as("bob").List(ctx, list, client.MatchingFields{"metadata.name": acmeWeb}))
	if len(list.Items) != 1 || list.Items[0].Name != acmeWeb {
		t.Errorf("bob lists claim %s by name: %d items", acmeWeb, len(list.Items))
	}
	forbidden(t, "bob lists globex's claim by name", as("bob").List(ctx, &naasv1alpha1.NamespaceClaimList{}, client.MatchingFields{"metadata.name": globexApp}))

	// Platform admins keep full access; everyone keeps the catalog.
	all := &naasv1alpha1.TenantList{}
	allowed(t, "platform admin lists tenants", as("platform-admin").List(ctx, all))
	if len(all.Items) < 2 {
		t.Errorf("platform admin lists %d tenants", len(all.Items))
	}
	allowed(t, "dave lists the templates", as("dave").List(ctx, &naasv1alpha1.NamespaceTemplateList{}))
	allowed(t, "dave lists the tiers", as("dave").List(ctx, &naasv1alpha1.TierList{}))
}

func TestKubectl_ClaimCreatedIsReadableSoonAfterAndNoLongerOnceDeleted(t *testing.T) {
	ctx := testenv.Context(t)
	c := claim("acme-kubectl", acmeTenant)
	if err := as("bob").Create(ctx, c); err != nil {
		t.Fatalf("bob creates claim %s with kubectl's call: %v", c.Name, err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), c) })
	// kubectl apply, then kubectl get: readable once naas has named the claim in acme's role.
	testenv.Eventually(t, 30*time.Second, "bob reads the claim he created", func() error {
		return as("bob").Get(ctx, client.ObjectKey{Name: c.Name}, &naasv1alpha1.NamespaceClaim{})
	})
	allowed(t, "alice, acme's admin, reads it", as("alice").Get(ctx, client.ObjectKey{Name: c.Name}, &naasv1alpha1.NamespaceClaim{}))
	// kubectl apply of a change: the member may update and patch it.
	testenv.Eventually(t, 30*time.Second, "bob labels his claim", func() error {
		got := &naasv1alpha1.NamespaceClaim{}
		if err := as("bob").Get(ctx, client.ObjectKey{Name: c.Name}, got); err != nil {
			return err
		}
		patch := client.MergeFrom(got.DeepCopy())
		got.Labels = map[string]string{"team": "web"}
		return as("bob").Patch(ctx, got, patch)
	})
	for _, user := range []string{"carol", "dave"} {
		forbidden(t, user+" reads acme's new claim", as(user).Get(ctx, client.ObjectKey{Name: c.Name}, &naasv1alpha1.NamespaceClaim{}))
	}

	// Deleted, its name leaves acme's role: a claim of that name made later by another tenant stays hidden.
	if err := as("bob").Delete(ctx, c); err != nil {
		t.Fatalf("bob deletes the claim he requested: %v", err)
	}
	testenv.Eventually(t, 2*time.Minute, "the deleted claim's name leaves acme's role", func() error {
		err := as("bob").Get(ctx, client.ObjectKey{Name: c.Name}, &naasv1alpha1.NamespaceClaim{})
		if apierrors.IsForbidden(err) {
			return nil
		}
		return testenv.Errorf("bob's get of the deleted claim: %v, want Forbidden", err)
	})
}

func TestKubectl_AnotherTenantsClaimNameIsOnlyTaken(t *testing.T) {
	ctx := testenv.Context(t)
	err := as("carol").Create(ctx, claim(acmeWeb, globex))
	if err == nil {
		t.Fatalf("carol created a claim named %s, which acme holds", acmeWeb)
	}
	t.Logf("carol claims acme's namespace name: %v", err)
	for _, secret := range []string{`tenant "acme"`, "tenant acme", "alice", "bob", "cc-acme-secret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the refusal tells carol about acme (%q): %v", secret, err)
		}
	}
}

// accessCheck is one SelfSubjectAccessReview.
type accessCheck struct {
	group, resource, name, namespace, verb string
}

func (c accessCheck) String() string {
	s := c.verb + " " + c.resource
	if c.group != "" {
		s += "." + c.group
	}
	if c.name != "" {
		s += " " + c.name
	}
	if c.namespace != "" {
		s += " (namespace " + c.namespace + ")"
	}
	return s
}

// may answers what user may do, as the API server decides it for them.
func may(ctx context.Context, user string, c accessCheck) (bool, error) {
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Group: c.group, Resource: c.resource, Name: c.name, Namespace: c.namespace, Verb: c.verb},
	}}
	if err := as(user).Create(ctx, review); err != nil {
		return false, err
	}
	return review.Status.Allowed, nil
}

// TestSubjectAccessReviews_TenantUsersGetOrChangeNoClusterScopedObjectButTheirOwn asks the API server, for
// every cluster-scoped resource it serves (from discovery), whether each of the cast may read or change it, by
// name and without: the only answers that may be yes are a member's own tenant and claims, the catalog, creating
// a claim (admission decides for which tenant), the reviews every user may ask about themselves, and a tenant
// namespace to its members.
func TestSubjectAccessReviews_TenantUsersGetOrChangeNoClusterScopedObjectButTheirOwn(t *testing.T) {
	ctx := testenv.Context(t)
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := dc.ServerPreferredResources()
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	type resource struct{ group, name string }
	var clusterScoped []resource
	for _, l := range lists {
		gv, err := schemaGroup(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if !r.Namespaced && !strings.Contains(r.Name, "/") {
				clusterScoped = append(clusterScoped, resource{gv, r.Name})
			}
		}
	}
	if len(clusterScoped) < 20 {
		t.Fatalf("discovery found %d cluster-scoped resources: the sweep would miss most", len(clusterScoped))
	}
	own := map[string]struct{ tenant, claim string }{
		"alice": {acmeTenant, acmeWeb}, "bob": {acmeTenant, acmeWeb}, "carol": {globex, globexApp}, "dave": {},
	}
	other := map[string]struct{ tenant, claim string }{
		"alice": {globex, globexApp}, "bob": {globex, globexApp}, "carol": {acmeTenant, acmeWeb}, "dave": {acmeTenant, acmeWeb},
	}
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	// want says which checks may be allowed.
	want := func(user string, c accessCheck) bool {
		switch {
		case c.group == naasv1alpha1.GroupVersion.Group && (c.resource == "namespacetemplates" || c.resource == "tiers"):
			return c.verb == "get" || c.verb == "list" || c.verb == "watch"
		case c.group == naasv1alpha1.GroupVersion.Group && c.resource == "namespaceclaims":
			return c.verb == "create" || (c.name != "" && c.name == own[user].claim && c.verb != "deletecollection" && c.verb != "create")
		case c.group == naasv1alpha1.GroupVersion.Group && c.resource == "tenants":
			return c.name != "" && c.name == own[user].tenant && (c.verb == "get" || c.verb == "list" || c.verb == "watch")
		case c.group == "authorization.k8s.io" && (c.resource == "selfsubjectaccessreviews" || c.resource == "selfsubjectrulesreviews"):
			return c.verb == "create"
		case c.group == "authentication.k8s.io" && c.resource == "selfsubjectreviews":
			return c.verb == "create"
		case c.group == "" && c.resource == "namespaces":
			// A namespace is read in itself: its tenant's members get it through their RoleBindings there.
			return c.namespace != "" && c.namespace == own[user].claim && (c.verb == "get" || c.verb == "list" || c.verb == "watch")
		}
		return false
	}
	var checks []struct {
		user string
		c    accessCheck
	}
	for user := range own {
		for _, r := range clusterScoped {
			names := []string{"", other[user].claim, other[user].tenant}
			if own[user].tenant != "" {
				names = append(names, own[user].claim, own[user].tenant)
			}
			for _, verb := range verbs {
				for _, name := range names {
					checks = append(checks, struct {
						user string
						c    accessCheck
					}{user, accessCheck{group: r.group, resource: r.name, name: name, verb: verb}})
				}
			}
		}
		// Namespaces are authorized in themselves.
		for _, ns := range []string{own[user].claim, other[user].claim} {
			if ns == "" {
				continue
			}
			for _, verb := range verbs {
				checks = append(checks, struct {
					user string
					c    accessCheck
				}{user, accessCheck{resource: "namespaces", name: ns, namespace: ns, verb: verb}})
			}
		}
	}
	t.Logf("%d access reviews over %d cluster-scoped resources", len(checks), len(clusterScoped))
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan int)
	allowedCount := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				ch := checks[i]
				got, err := may(ctx, ch.user, ch.c)
				mu.Lock()
				switch {
				case err != nil:
					t.Errorf("%s: may %s? %v", ch.user, ch.c, err)
				case got != want(ch.user, ch.c):
					t.Errorf("%s may %s: %v, want %v", ch.user, ch.c, got, !got)
				case got:
					allowedCount++
				}
				mu.Unlock()
			}
		}()
	}
	for i := range checks {
		work <- i
	}
	close(work)
	wg.Wait()
	if allowedCount == 0 {
		t.Errorf("no review was allowed: the sweep cannot tell a working RBAC from a broken one")
	}
}

func schemaGroup(groupVersion string) (string, error) {
	gv, err := schema.ParseGroupVersion(groupVersion)
	return gv.Group, err
}

func TestKubectl_AccessFollowsMembershipAndEndsWithTheTenant(t *testing.T) {
	ctx := testenv.Context(t)
	tn := testenv.Tenant("initech").Viewer("dave").Create(t, env)
	getAs := func(user string) error {
		return as(user).Get(ctx, client.ObjectKey{Name: tn.Name}, &naasv1alpha1.Tenant{})
	}
	testenv.Eventually(t, 30*time.Second, "dave, made a member, reads initech", func() error { return getAs("dave") })

	// A member removed by a platform admin loses the access.
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(tn), tn); err != nil {
		t.Fatal(err)
	}
	tn.Spec.Owners = []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "erin", Role: naasv1alpha1.RoleAdmin}}
	if err := env.Client.Update(ctx, tn); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "dave, removed, no longer reads initech", func() error {
		if err := getAs("dave"); !apierrors.IsForbidden(err) {
			return testenv.Errorf("dave's get: %v, want Forbidden", err)
		}
		return getAs("erin")
	})

	// Someone editing the access objects gets them put back.
	role := &rbacv1.ClusterRole{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: platform.TenantAccessName(tn.Name)}, role); err != nil {
		t.Fatal(err)
	}
	role.Rules[0].ResourceNames = append(role.Rules[0].ResourceNames, acmeTenant)
	if err := env.Client.Update(ctx, role); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the edited role put back", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: platform.TenantAccessName(tn.Name)}, role); err != nil {
			return err
		}
		if names := role.Rules[0].ResourceNames; len(names) != 1 || names[0] != tn.Name {
			return testenv.Errorf("role names %v", names)
		}
		return nil
	})

	// Deleting the tenant deletes its access objects.
	if err := env.Client.Delete(ctx, tn); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "initech's access objects gone", func() error {
		for _, o := range []client.Object{
			&rbacv1.ClusterRole{}, &rbacv1.ClusterRoleBinding{},
		} {
			if err := env.Client.Get(ctx, client.ObjectKey{Name: platform.TenantAccessName(tn.Name)}, o); !apierrors.IsNotFound(err) {
				return testenv.Errorf("%T still there: %v", o, err)
			}
		}
		p := &admissionregistrationv1.ValidatingAdmissionPolicy{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: platform.TenantRoleBindingsPolicyName(tn.Name)}, p); !apierrors.IsNotFound(err) {
			return testenv.Errorf("RoleBinding policy still there: %v", err)
		}
		return nil
	})
}
