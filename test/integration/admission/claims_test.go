package admission

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/testenv"
)

func TestClaims_OnlyAdminsAndDevelopersOfTheTenantMayCreate(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("roles").Admin("alice").Developer("bob").
		Viewer("carol").Create(t, env)
	testenv.Tenant("others").Admin("dave").Create(t, env)

	env.CreateAs(t, "alice", claim("roles-admin", "roles", "dev"))
	env.CreateAs(t, "bob", claim("roles-dev", "roles", "dev"))
	env.CreateAs(t, "platform-admin", claim("roles-platform", "roles", "dev"))

	denied(t, "viewer creates a claim", as("carol").Create(ctx, claim("roles-viewer", "roles", "dev")), metav1.StatusReasonForbidden,
		`user "carol" has role viewer in tenant "roles"`, "creating namespaces takes the admin or developer role")
	denied(t, "admin of another tenant creates a claim", as("dave").Create(ctx, claim("roles-dave", "roles", "dev")), metav1.StatusReasonForbidden,
		`user "dave" is not a member of tenant "roles"`)
	denied(t, "claim naming a tenant that does not exist", as("bob").Create(ctx, claim("roles-typo", "rolse", "dev")), metav1.StatusReasonInvalid,
		`tenant "rolse" does not exist; you hold a role in: roles`)
	for _, name := range []string{"roles-viewer", "roles-dave", "roles-typo"} {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, &naasv1alpha1.NamespaceClaim{}); !apierrors.IsNotFound(err) {
			t.Errorf("denied claim %s exists: %v", name, err)
		}
	}
	env.WaitReady(t, "roles-dev")
}

func TestClaims_RequesterIsWhoTheAPIServerAuthenticated(t *testing.T) {
	testenv.Tenant("who").Admin("alice").Developer("bob").Create(t, env)
	forged := claim("who-app", "who", "dev")
	forged.Spec.Requester = &naasv1alpha1.Requester{Username: "alice", Groups: []string{"team-alice"}}
	env.CreateAs(t, "bob", forged)
	got := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "who-app"}, got); err != nil {
		t.Fatal(err)
	}
	if r := got.Spec.Requester; r == nil || r.Username != "bob" || !contains(r.Groups, "team-bob") {
		t.Fatalf("requester = %+v, want bob (who created it), not the forged alice", r)
	}

	// A platform admin (or naas's REST API acting for a user) may record someone else as the requester.
	onBehalf := claim("who-api", "who", "dev")
	onBehalf.Spec.Requester = &naasv1alpha1.Requester{Username: "bob"}
	env.CreateAs(t, "platform-admin", onBehalf)
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "who-api"}, got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Requester.Username != "bob" {
		t.Errorf("requester set by a platform admin = %q, want bob", got.Spec.Requester.Username)
	}
}

func TestClaims_CreateResponseCarriesNaasFinalizer(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("fin").Developer("bob").Create(t, env)

	// The mutating webhook puts the finalizer on: the claim is protected from the moment it is stored, without a
	// write of naas's own.
	c := claim("fin-app", "fin", "dev")
	env.CreateAs(t, "bob", c)
	if !slices.Equal(c.Finalizers, []string{naasv1alpha1.FinalizerNamespace}) {
		t.Errorf("finalizers in bob's create response = %v, want [%s]", c.Finalizers, naasv1alpha1.FinalizerNamespace)
	}
	if c.Spec.Requester == nil || c.Spec.Requester.Username != "bob" {
		t.Errorf("requester in the create response = %+v, want bob", c.Spec.Requester)
	}

	// Someone else's finalizer stays, and a platform admin's requester too.
	other := claim("fin-other", "fin", "dev")
	other.Finalizers = []string{"example.com/backup"}
	other.Spec.Requester = &naasv1alpha1.Requester{Username: "bob"}
	if err := as("platform-admin").Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			got := &naasv1alpha1.NamespaceClaim{}
			if err := env.Client.Get(ctx, client.ObjectKey{Name: other.Name}, got); err != nil {
				return err
			}
			got.Finalizers = slices.DeleteFunc(got.Finalizers, func(f string) bool { return f == "example.com/backup" })
			return env.Client.Update(ctx, got)
		})
		env.DeleteClaim(other.Name)
	})
	if want := []string{"example.com/backup", naasv1alpha1.FinalizerNamespace}; !slices.Equal(other.Finalizers, want) {
		t.Errorf("finalizers in the create response = %v, want %v", other.Finalizers, want)
	}
	if other.Spec.Requester == nil || other.Spec.Requester.Username != "bob" {
		t.Errorf("requester given by a platform admin = %+v, want bob", other.Spec.Requester)
	}

	// The claim controller provisions it as ever, and deleting the claim removes the finalizer with the namespace.
	env.WaitReady(t, "fin-app")
	if err := as("bob").Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 90*time.Second, "fin-app and its namespace gone", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "fin-app"}, &naasv1alpha1.NamespaceClaim{}); !apierrors.IsNotFound(err) {
			return testenv.Errorf("claim still there: %v", err)
		}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "fin-app"}, &corev1.Namespace{}); !apierrors.IsNotFound(err) {
			return testenv.Errorf("namespace still there: %v", err)
		}
		return nil
	})
}

func TestClaims_DeleteTakesTheAdminRoleOrBeingTheRequester(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("del").Admin("alice").Developer("bob").
		Developer("erin").Viewer("carol").Create(t, env)
	for _, c := range []struct{ name, user string }{{"del-bob", "bob"}, {"del-bob2", "bob"}, {"del-erin", "erin"}} {
		env.CreateAs(t, c.user, claim(c.name, "del", "dev"))
	}
	get := func(name string) *naasv1alpha1.NamespaceClaim {
		c := &naasv1alpha1.NamespaceClaim{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	denied(t, "developer deletes another developer's claim", as("bob").Delete(ctx, get("del-erin")), metav1.StatusReasonForbidden,
		`did not request namespace "del-erin" (requested by "erin")`, "deleting namespaces takes the admin role")
	denied(t, "viewer deletes a claim", as("carol").Delete(ctx, get("del-bob")), metav1.StatusReasonForbidden, "has role viewer")
	// Someone outside the tenant is refused by RBAC before admission: the claim's name is not in a role of theirs.
	denied(t, "non-member deletes a claim", as("mallory").Delete(ctx, get("del-bob")), metav1.StatusReasonForbidden, `cannot delete resource "namespaceclaims"`)

	if err := as("bob").Delete(ctx, get("del-bob")); err != nil {
		t.Errorf("developer deletes the claim they requested: %v", err)
	}
	if err := as("alice").Delete(ctx, get("del-erin")); err != nil {
		t.Errorf("tenant admin deletes a developer's claim: %v", err)
	}
	testenv.Eventually(t, 60*time.Second, "deleted claims gone", func() error {
		for _, name := range []string{"del-bob", "del-erin"} {
			if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, &naasv1alpha1.NamespaceClaim{}); !apierrors.IsNotFound(err) {
				return testenv.Errorf("claim %s still there (%v)", name, err)
			}
		}
		return nil
	})
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "del-bob2"}, &naasv1alpha1.NamespaceClaim{}); err != nil {
		t.Errorf("a claim nobody deleted is gone: %v", err)
	}
}

func TestClaims_UpdatesTakeARoleAndKeepTheRules(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("upd").Admin("alice").Developer("bob").Viewer("carol").
		With(func(s *naasv1alpha1.TenantSpec) { s.AllowedTiers = []string{"dev", "staging"} }).Create(t, env)
	env.CreateAs(t, "bob", claim("upd-app", "upd", "dev"))
	env.WaitReady(t, "upd-app")
	update := func(user string, f func(*naasv1alpha1.NamespaceClaim)) error {
		c := &naasv1alpha1.NamespaceClaim{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "upd-app"}, c); err != nil {
			t.Fatal(err)
		}
		f(c)
		return as(user).Update(ctx, c)
	}
	denied(t, "developer moves to a tier the tenant does not allow", update("bob", func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Tier = "prod" }),
		metav1.StatusReasonInvalid, `tenant "upd" allows tiers dev, staging; got prod`)
	denied(t, "viewer labels a claim", update("carol", func(c *naasv1alpha1.NamespaceClaim) { c.Labels = map[string]string{"x": "y"} }),
		metav1.StatusReasonForbidden, "updating namespaces takes the admin or developer role")
	denied(t, "admin removes naas's finalizer", update("alice", func(c *naasv1alpha1.NamespaceClaim) { c.Finalizers = nil }),
		metav1.StatusReasonInvalid, "naas.dev/namespace is removed by naas")
	if err := update("bob", func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Tier = "staging" }); err != nil {
		t.Fatalf("developer moves to an allowed tier: %v", err)
	}
	testenv.Eventually(t, 30*time.Second, "namespace on the staging tier", func() error {
		ns := &corev1.Namespace{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "upd-app"}, ns); err != nil {
			return err
		}
		if ns.Labels[naasv1alpha1.LabelTier] != "staging" {
			return testenv.Errorf("tier label %q", ns.Labels[naasv1alpha1.LabelTier])
		}
		return nil
	})
}

func TestClaims_TenantGuardrails(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("rails").Developer("bob").With(func(s *naasv1alpha1.TenantSpec) {
		s.AllowedTiers = []string{"dev", "staging"}
		s.AllowedTemplates = []string{"standard", "data"}
		s.Naming = naasv1alpha1.NamingRules{Prefix: "rails-", ForbiddenPatterns: []string{"-tmp$"}}
	}).Create(t, env)
	withTemplate := func(c *naasv1alpha1.NamespaceClaim, tpl string) *naasv1alpha1.NamespaceClaim {
		c.Spec.Template = tpl
		return c
	}
	withParam := func(c *naasv1alpha1.NamespaceClaim, k, v string) *naasv1alpha1.NamespaceClaim {
		c.Spec.Parameters = map[string]string{k: v}
		return c
	}
	tests := []struct {
		name  string
		claim *naasv1alpha1.NamespaceClaim
		want  []string
	}{
		{"tier not allowed", claim("rails-a", "rails", "prod"), []string{`tenant "rails" allows tiers dev, staging; got prod`}},
		{"template not allowed", withTemplate(claim("rails-b", "rails", "dev"), "ml"), []string{`tenant "rails" allows templates standard, data; got ml`}},
		{"name without the prefix", claim("other-c", "rails", "dev"), []string{`tenant "rails" requires namespace names to start with "rails-"`}},
		{"forbidden name pattern", claim("rails-d-tmp", "rails", "dev"), []string{`matches pattern "-tmp$"`}},
		{"unknown tier", claim("rails-e", "rails", "gold"), []string{`spec.tier: Invalid value: "gold": no such tier; existing tiers: dev, prod, staging`}},
		{"parameter that does not match its pattern", withParam(claim("rails-f", "rails", "dev"), "owner_email", "nope"), []string{"spec.parameters[owner_email]", "must match the regular expression"}},
		{"unknown parameter", withParam(claim("rails-g", "rails", "dev"), "colour", "blue"), []string{`template "standard" has no parameter "colour"; it takes owner_email`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			denied(t, tt.name, as("bob").Create(ctx, tt.claim), metav1.StatusReasonInvalid, tt.want...)
		})
	}
	env.CreateAs(t, "bob", withParam(claim("rails-ok", "rails", "staging"), "owner_email", "bob@example.com"))
}

func TestClaims_CordonedTenantTakesNoNewNamespacesOrWorkloads(t *testing.T) {
	ctx := context.Background()
	tn := testenv.Tenant("frozen").Admin("alice").Developer("bob").Create(t, env)
	env.Provision(t, claim("frozen-app", "frozen", "dev"))
	if err := env.EventuallyAs(t, "bob", func(c client.Client) error { return c.Create(ctx, testenv.RestrictedPod("frozen-app", "before")) }); err != nil {
		t.Fatalf("pod before the cordon: %v", err)
	}

	setCordon := func(on bool) {
		t.Helper()
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(tn), tn); err != nil {
			t.Fatal(err)
		}
		tn.Spec.Cordoned = on
		if err := env.Client.Update(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	setCordon(true)
	denied(t, "claim in a cordoned tenant", as("alice").Create(ctx, claim("frozen-new", "frozen", "dev")), metav1.StatusReasonInvalid,
		`tenant "frozen" is cordoned and accepts no new namespaces; ask a platform admin to uncordon it`)
	// The admission policy reads the Tenant as its parameter: the API server sees the change within moments.
	testenv.Eventually(t, 10*time.Second, "pod refused in a cordoned tenant", func() error {
		err := as("bob").Create(ctx, testenv.RestrictedPod("frozen-app", "during"))
		if err == nil {
			_ = env.Client.Delete(ctx, testenv.RestrictedPod("frozen-app", "during"))
			return testenv.Errorf("pod created in a cordoned tenant")
		}
		if !apierrors.IsForbidden(err) {
			return err
		}
		denied(t, "pod in a cordoned tenant", err, metav1.StatusReasonForbidden, `tenant frozen is cordoned (spec.cordoned)`, "ask a platform admin to uncordon")
		return nil
	})
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "frozen-app", Name: "before"}, &corev1.Pod{}); err != nil {
		t.Errorf("what ran before the cordon is gone: %v", err)
	}

	setCordon(false)
	testenv.Eventually(t, 10*time.Second, "pod allowed after uncordon", func() error {
		return as("bob").Create(ctx, testenv.RestrictedPod("frozen-app", "after"))
	})
	env.CreateAs(t, "alice", claim("frozen-new", "frozen", "dev"))
}

func TestClaims_ProtectedClaimCannotBeDeletedByItsTenant(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("vault").Admin("alice").Create(t, env)
	c := claim("vault-db", "vault", "dev")
	c.Spec.DeletionProtection = true
	env.CreateAs(t, "alice", c)
	denied(t, "tenant admin deletes a protected claim", as("alice").Delete(ctx, c), metav1.StatusReasonForbidden,
		"has deletion protection on: set spec.deletionProtection to false first")
	// naas writes the claim's status meanwhile: read and write again on a conflict, as kubectl edit would.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(c), c); err != nil {
			return err
		}
		c.Spec.DeletionProtection = false
		return as("alice").Update(ctx, c)
	}); err != nil {
		t.Fatalf("tenant admin turns protection off: %v", err)
	}
	if err := as("alice").Delete(ctx, c); err != nil {
		t.Errorf("tenant admin deletes the unprotected claim: %v", err)
	}
}

func TestClaims_NamespaceIsNeverTakenOverOrMovedBetweenTenants(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("red").Admin("alice").Create(t, env)
	testenv.Tenant("blue").Admin("bob").Create(t, env)
	env.Provision(t, claim("red-db", "red", "dev"))

	// A namespace nobody claimed, and one of another tenant whose claim is gone while the namespace stays
	// (here: held by a finalizer of someone else's).
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "legacy-db"}}); err != nil {
		t.Fatal(err)
	}
	untilCached(t, "bob", claim("legacy-db", "blue", "dev"))
	denied(t, "claim for a namespace naas does not manage", as("bob").Create(ctx, claim("legacy-db", "blue", "dev")), metav1.StatusReasonInvalid,
		`namespace "legacy-db" already exists and is not managed by naas`)
	denied(t, "claim for kube-system", as("bob").Create(ctx, claim("kube-system", "blue", "dev")), metav1.StatusReasonInvalid,
		`namespace "kube-system" already exists and is not managed by naas`)
	orphan := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "red-orphan", Labels: map[string]string{
		naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelTenant: "red", naasv1alpha1.LabelClaim: "red-orphan",
	}}}
	if err := env.Client.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, orphan) })
	untilCached(t, "bob", claim("red-orphan", "blue", "dev"))
	denied(t, "claim for a namespace of another tenant", as("bob").Create(ctx, claim("red-orphan", "blue", "dev")), metav1.StatusReasonInvalid,
		`namespace "red-orphan" belongs to another tenant; a namespace never moves between tenants`)

	// erin runs the cluster's namespaces (she may create and edit any) but is no naas platform admin.
	env.GrantClusterRole(t, "test-namespace-operator", "erin",
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "create", "update", "patch"}})
	ns := &corev1.Namespace{}
	testenv.Eventually(t, 10*time.Second, "erin reads namespaces", func() error {
		return as("erin").Get(ctx, client.ObjectKey{Name: "red-db"}, ns)
	})
	ns.Labels[naasv1alpha1.LabelTenant] = "blue"
	denied(t, "moving a namespace to another tenant", as("erin").Update(ctx, ns), metav1.StatusReasonForbidden,
		"the naas labels of a managed namespace", "cannot be changed")

	squat := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "blue-squat", Labels: map[string]string{
		naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelTenant: "blue",
	}}}
	denied(t, "creating a namespace that poses as a naas namespace", as("erin").Create(ctx, squat), metav1.StatusReasonForbidden,
		"namespace blue-squat would carry", "naas.dev/tenant", "reserved for naas and platform admins")
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "erin-plain", Labels: map[string]string{"team": "ops"}}}
	if err := as("erin").Create(ctx, plain); err != nil {
		t.Fatalf("creating an ordinary namespace: %v", err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, plain) })
	plain.Labels[naasv1alpha1.LabelSharedServices] = "true"
	denied(t, "marking a namespace as shared services", as("erin").Update(ctx, plain), metav1.StatusReasonForbidden,
		"namespace erin-plain would carry naas.dev/shared-services")
	delete(plain.Labels, naasv1alpha1.LabelSharedServices)
	plain.Labels["tier"] = "gold"
	if err := as("erin").Update(ctx, plain); err != nil {
		t.Errorf("relabelling an ordinary namespace: %v", err)
	}
}

func TestClaims_TenantUsersCannotChangeWhatNaasManages(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("locked").Admin("alice").Developer("bob").Create(t, env)
	env.Provision(t, claim("locked-app", "locked", "dev"))
	rq := &corev1.ResourceQuota{}
	testenv.Eventually(t, 30*time.Second, "developer reads the quota", func() error {
		return as("bob").Get(ctx, client.ObjectKey{Namespace: "locked-app", Name: bundle.QuotaName}, rq)
	})
	rq.Spec.Hard[corev1.ResourceLimitsCPU] = resource.MustParse("64")
	denied(t, "tenant admin raises the quota", as("alice").Update(ctx, rq), metav1.StatusReasonForbidden)
	denied(t, "tenant admin deletes the limit range", as("alice").Delete(ctx, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: "locked-app", Name: bundle.LimitRangeName}}),
		metav1.StatusReasonForbidden) // by RBAC: limit ranges are read-only to tenants
	denied(t, "tenant admin deletes naas's role binding", as("alice").Delete(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "locked-app", Name: bundle.AdminBindingName}}),
		metav1.StatusReasonForbidden, "is managed by naas and cannot be changed or deleted by tenant users")
	if err := env.EventuallyAs(t, "bob", func(c client.Client) error {
		return c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "locked-app", Name: "mine"}})
	}); err != nil {
		t.Errorf("developer creates their own ConfigMap: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// untilCached waits until naas's cache shows the namespace c claims: admission reads namespaces from the cache,
// which shows a namespace a moment after it was written (a claim admitted before then is refused by the claim
// controller instead). It dry-runs the create as user, which passes the webhooks and stores nothing, until it is
// refused.
func untilCached(t *testing.T, user string, c *naasv1alpha1.NamespaceClaim) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "naas's cache shows namespace "+c.Name, func() error {
		if err := as(user).Create(context.Background(), c.DeepCopy(), client.DryRunAll); err == nil {
			return testenv.Errorf("a claim for %s is still admitted", c.Name)
		}
		return nil
	})
}

func TestClaims_AdmissionReadsTheClaimedNamespaceFromNaasCache(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("reads").Developer("bob").Create(t, env)
	legacy := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "reads-legacy"}}
	if err := env.Client.Create(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), legacy) })
	// The decision sees what the cache holds: a namespace that is not naas's is not taken over.
	untilCached(t, "bob", claim("reads-legacy", "reads", "dev"))
	denied(t, "claim for a namespace naas does not manage", as("bob").Create(ctx, claim("reads-legacy", "reads", "dev"), client.DryRunAll),
		metav1.StatusReasonInvalid, `namespace "reads-legacy" already exists and is not managed by naas`)

	// Every claim admission used to read the claimed namespace from kube-apiserver: 6,000 GETs, mostly 404s,
	// in 30 s of claims at 200/s.
	const claims = 50
	before := namespaceGets(t)
	for i := range claims {
		c := claim(fmt.Sprintf("reads-%d", i), "reads", "dev")
		if err := as("bob").Create(ctx, c, client.DryRunAll); err != nil {
			t.Fatalf("dry-run claim %s: %v", c.Name, err)
		}
	}
	if got := namespaceGets(t) - before; got >= claims/5 {
		t.Errorf("kube-apiserver answered %d GETs of namespaces during %d claim admissions; want them read from naas's cache", got, claims)
	}
}

// namespaceGets is the number of GET requests for a namespace kube-apiserver has answered, by its metrics.
func namespaceGets(t *testing.T) int {
	t.Helper()
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatalf("read kube-apiserver's metrics: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") || !strings.Contains(line, `resource="namespaces"`) ||
			!strings.Contains(line, `verb="GET"`) || !strings.Contains(line, `subresource=""`) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		n += int(v)
	}
	return n
}
