package isolation

import (
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// claimYAML is a claim as a GitOps repository holds it.
func claimYAML(name, tenant, tier string) []byte {
	return []byte(`apiVersion: naas.dev/v1alpha1
kind: NamespaceClaim
metadata:
  name: ` + name + `
spec:
  tenant: ` + tenant + `
  template: standard
  tier: ` + tier + `
`)
}

// applyAs server-side applies data as user, as kubectl apply --server-side and Flux do.
func applyAs(t *testing.T, user string, data []byte, opts ...client.PatchOption) error {
	t.Helper()
	obj := &naasv1alpha1.NamespaceClaim{}
	if err := yaml.Unmarshal(data, obj); err != nil {
		t.Fatal(err)
	}
	opts = append([]client.PatchOption{client.FieldOwner("gitops"), client.ForceOwnership}, opts...)
	return as(user).Patch(testenv.Context(t), obj, client.RawPatch(types.ApplyPatchType, data), opts...)
}

func TestServerSideApply_MembersManageTheirTenantsClaimsOnceCreated(t *testing.T) {
	ctx := testenv.Context(t)
	const name = "acme-gitops"
	// kubectl create -f claim.yaml: the one step that cannot be a server-side apply (see below).
	c := claim(name, acmeTenant)
	if err := as("bob").Create(ctx, c); err != nil {
		t.Fatalf("bob creates claim %s: %v", name, err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, c) })
	// From then on the same YAML is applied, as Flux does: a dry run, then for real, and again every interval.
	changed := []byte(strings.Replace(string(claimYAML(name, acmeTenant, "dev")), "metadata:\n", "metadata:\n  labels:\n    team: web\n", 1))
	testenv.Eventually(t, 30*time.Second, "bob dry-runs the apply of a change once naas has named the claim in acme's role", func() error {
		return applyAs(t, "bob", changed, client.DryRunAll)
	})
	allowed(t, "bob applies a change to his claim", applyAs(t, "bob", changed))
	allowed(t, "bob re-applies the same claim", applyAs(t, "bob", changed))
	allowed(t, "alice, acme's admin, applies it too", applyAs(t, "alice", changed))
	// A GitOps controller acting as acme's CI service account (a developer of acme by name), as Flux impersonates one.
	deployer := serviceAccountClient(t, "ci", "deployer")
	obj := &naasv1alpha1.NamespaceClaim{}
	if err := yaml.Unmarshal(changed, obj); err != nil {
		t.Fatal(err)
	}
	allowed(t, "acme's CI service account applies the claim", deployer.Patch(ctx, obj, client.RawPatch(types.ApplyPatchType, changed),
		client.FieldOwner("kustomize-controller"), client.ForceOwnership))
	got := &naasv1alpha1.NamespaceClaim{}
	if err := as("bob").Get(ctx, client.ObjectKey{Name: name}, got); err != nil {
		t.Fatal(err)
	}
	if got.Labels["team"] != "web" {
		t.Errorf("the applied change is not in the claim: labels %v", got.Labels)
	}
	// Another tenant's admin and a user in no tenant may not change it by applying.
	for _, user := range []string{"carol", "dave"} {
		forbidden(t, user+" applies acme's claim", applyAs(t, user, changed))
	}
	// A claim nobody holds yet cannot be made by applying it, by a member either: see
	// TestPatch_OutsidersGetOneAnswerForEveryPatchOfAClaimName for why.
	forbidden(t, "bob applies a new claim", applyAs(t, "bob", claimYAML("acme-not-yet", acmeTenant, "dev")))
}

// serviceAccountClient returns a client that acts as a service account, with a token the API server issues for it.
func serviceAccountClient(t *testing.T, namespace, name string) client.Client {
	t.Helper()
	ctx := testenv.Context(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := env.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if err := env.Client.Create(ctx, sa); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for service account %s/%s: %v", namespace, name, err)
	}
	cfg := rest.AnonymousClientConfig(env.Config)
	cfg.BearerToken = tr.Status.Token
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPatch_OutsidersGetOneAnswerForEveryPatchOfAClaimName sends, as another tenant's admin and as a user in no
// tenant, every kind of patch to acme's claim and to a free name: right and wrong guesses of its fields, no-op
// patches, dry runs. Every answer must be the same refusal, with no object, so that none tells a taken name from
// a free one or a right guess from a wrong one.
//
// This is why naas:requester grants no patch on claims, and so why server-side apply cannot create a claim: RBAC
// cannot tell a patch that would create from one that would change, and with patch granted the API server works
// the patch out on the stored claim before any admission runs. Checked on kube-apiserver 1.37 with patch granted
// and a ValidatingAdmissionPolicy refusing changes of claims the user may not update: a JSON patch test of
// /spec/requester/username or /spec/tenant failed (422) on a wrong guess and reached the policy (403) on the right
// one; a server-side apply without force conflicted (409, naming the field and its manager) on a wrong tier or
// tenant; a changed tenant or template failed the CRD's immutability rule (422) before the policy.
func TestPatch_OutsidersGetOneAnswerForEveryPatchOfAClaimName(t *testing.T) {
	ctx := testenv.Context(t)
	before := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: acmeWeb}, before); err != nil {
		t.Fatal(err)
	}
	const free = "acme-free-name"
	patches := []struct {
		name string
		pt   types.PatchType
		data func(claim string) string
		opts []client.PatchOption
	}{
		{"server-side apply, forced", types.ApplyPatchType, func(n string) string { return string(claimYAML(n, acmeTenant, "prod")) }, []client.PatchOption{client.ForceOwnership}},
		{"server-side apply, forced, dry run", types.ApplyPatchType, func(n string) string { return string(claimYAML(n, globex, "dev")) }, []client.PatchOption{client.ForceOwnership, client.DryRunAll}},
		{"server-side apply of the right fields", types.ApplyPatchType, func(n string) string { return string(claimYAML(n, acmeTenant, "dev")) }, nil},
		{"server-side apply of a wrong tenant", types.ApplyPatchType, func(n string) string { return string(claimYAML(n, globex, "dev")) }, nil},
		{"server-side apply of a wrong tier", types.ApplyPatchType, func(n string) string { return string(claimYAML(n, acmeTenant, "prod")) }, nil},
		{"merge patch of a change", types.MergePatchType, func(string) string { return `{"spec":{"tier":"prod"}}` }, nil},
		{"merge patch of a label, dry run", types.MergePatchType, func(string) string { return `{"metadata":{"labels":{"x":"y"}}}` }, []client.PatchOption{client.DryRunAll}},
		{"no-op merge patch", types.MergePatchType, func(string) string { return `{}` }, nil},
		{"no-op merge patch, dry run", types.MergePatchType, func(string) string { return `{}` }, []client.PatchOption{client.DryRunAll}},
		{"merge patch of the right tenant", types.MergePatchType, func(string) string { return `{"spec":{"tenant":"acme"}}` }, nil},
		{"merge patch of a wrong tenant (immutable)", types.MergePatchType, func(string) string { return `{"spec":{"tenant":"globex"}}` }, nil},
		{"merge patch of a wrong template (immutable)", types.MergePatchType, func(string) string { return `{"spec":{"template":"other"}}` }, nil},
		{"merge patch of a wrong resourceVersion", types.MergePatchType, func(string) string { return `{"metadata":{"resourceVersion":"1"}}` }, nil},
		{"JSON patch testing the right tenant", types.JSONPatchType, func(string) string { return `[{"op":"test","path":"/spec/tenant","value":"acme"}]` }, nil},
		{"JSON patch testing a wrong tenant", types.JSONPatchType, func(string) string { return `[{"op":"test","path":"/spec/tenant","value":"globex"}]` }, nil},
		{"JSON patch testing the right requester", types.JSONPatchType, func(string) string {
			return `[{"op":"test","path":"/spec/requester/username","value":"alice"}]`
		}, nil},
		{"JSON patch testing a wrong requester", types.JSONPatchType, func(string) string {
			return `[{"op":"test","path":"/spec/requester/username","value":"bob"}]`
		}, nil},
		{"JSON patch removing a label that is not there", types.JSONPatchType, func(string) string { return `[{"op":"remove","path":"/metadata/labels/nothere"}]` }, nil},
		{"JSON patch of a change", types.JSONPatchType, func(string) string { return `[{"op":"replace","path":"/spec/tier","value":"prod"}]` }, nil},
	}
	send := func(user, name string, p int) (string, error) {
		got := &naasv1alpha1.NamespaceClaim{ObjectMeta: claim(name, "").ObjectMeta}
		err := as(user).Patch(ctx, got, client.RawPatch(patches[p].pt, []byte(patches[p].data(name))),
			append([]client.PatchOption{client.FieldOwner("intruder")}, patches[p].opts...)...)
		if got.UID != "" || got.Spec.Tenant != "" {
			t.Errorf("%s, %s of %s: the answer holds a claim: %+v", user, patches[p].name, name, got)
		}
		if err == nil {
			return "", nil
		}
		return strings.ReplaceAll(err.Error(), name, "NAME"), err
	}
	for _, user := range []string{"carol", "dave"} {
		for p := range patches {
			taken, err := send(user, acmeWeb, p)
			forbidden(t, user+", "+patches[p].name+" of acme's claim", err)
			freeAnswer, err := send(user, free, p)
			forbidden(t, user+", "+patches[p].name+" of a free name", err)
			if taken != freeAnswer {
				t.Errorf("%s, %s: a taken name and a free one get different answers:\n%s\n%s", user, patches[p].name, taken, freeAnswer)
			}
		}
	}
	after := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: acmeWeb}, after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("acme's claim changed under the patches: resourceVersion %s, was %s", after.ResourceVersion, before.ResourceVersion)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: free}, &naasv1alpha1.NamespaceClaim{}); !apierrors.IsNotFound(err) {
		t.Errorf("the patches of a free name made a claim: %v", err)
	}
	// The status is nobody's but naas's: patch on the claim, where a member has it, does not reach
	// namespaceclaims/status.
	for _, user := range []string{"alice", "bob", "carol", "dave"} {
		err := as(user).Status().Patch(ctx, claim(acmeWeb, acmeTenant), client.RawPatch(types.MergePatchType, []byte(`{"status":{"observedGeneration":99}}`)))
		forbidden(t, user+" patches the status of acme's claim", err)
	}
}
