package upgrade

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/kubeaudit"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

// previousCRDs is the previous release's CRDs (v1alpha1 as of commit 62249a3, where issue 17 starts).
const previousCRDs = "test/fixtures/crds/naas-62249a3"

// upgradedCRDs are the CRDs whose schema this release changes: the upgrade writes each once, and nothing else
// of what the previous release left.
var upgradedCRDs = []string{"namespaceclaims.naas.dev", "namespacetemplates.naas.dev", "tenants.naas.dev", "tiers.naas.dev"}

// newKindsCRDs copies into a temporary directory the CRDs of config/crd whose kinds the previous release did
// not have, and returns it.
func newKindsCRDs(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	current, err := os.ReadDir(filepath.Join(root, "config/crd"))
	if err != nil {
		t.Fatal(err)
	}
	copied := 0
	for _, f := range current {
		if _, err := os.Stat(filepath.Join(root, previousCRDs, f.Name())); err == nil || !strings.HasSuffix(f.Name(), ".yaml") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, "config/crd", f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
		copied++
	}
	if copied == 0 {
		t.Fatal("config/crd has no kind the previous release lacked: the fixture is stale")
	}
	return dir
}

// An upgrade from the previous release rewrites nothing that release wrote: naas updates the CRDs whose schema
// changed, and makes no other write, neither to the tenants, claims, templates and tiers, nor to the namespaces
// and their objects.
func TestUpgrade_FromThePreviousReleaseUpdatesTheCRDsAndRewritesNothingElse(t *testing.T) {
	ctx := testenv.Context(t)
	naas, err := client.New(env.UserConfig(naasUser), client.Options{Scheme: setup.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	// The previous release installed its CRDs with the same installer naas has today.
	if err := setup.InstallCRDs(ctx, naas, os.DirFS(filepath.Join(env.RepoRoot, previousCRDs)), "."); err != nil {
		t.Fatalf("install the previous release's CRDs: %v", err)
	}
	// The kinds this release adds (Cluster, PriceBook, CostPolicy) had no CRD before. The "previous release"
	// below is today's platform run on the previous schemas, and today's platform needs these kinds, so their
	// CRDs are installed as they are today; the kinds the previous release had keep its schemas.
	if err := setup.InstallCRDs(ctx, naas, os.DirFS(newKindsCRDs(t, env.RepoRoot)), "."); err != nil {
		t.Fatalf("install the CRDs of the kinds this release adds: %v", err)
	}
	if crdHasField(t, "tenants.naas.dev", "acceptedCollaborations") {
		t.Fatal("the fixture is not the previous release's: its Tenant CRD has spec.acceptedCollaborations")
	}

	// The cluster as the previous release leaves it: the platform provisions against the previous CRDs, so that
	// every object holds only what their schema keeps.
	webhookAddr := testenv.FreeAddr(t)
	platform := func(installCRDs bool) func(*setup.Options) {
		return func(o *setup.Options) {
			o.Config = env.UserConfig(naasUser)
			o.InstallCRDs = installCRDs
			o.InstallThirdPartyCRDs = true
			o.Webhook.Addr = webhookAddr
		}
	}
	_, stop, err := env.StartPlatform(platform(false))
	if err != nil {
		t.Fatalf("start on the previous release's CRDs: %v", err)
	}
	tn := &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "upgrade"},
		Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{
			{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
		}},
	}
	if err := env.Client.Create(ctx, tn); err != nil {
		stop()
		t.Fatalf("create tenant: %v", err)
	}
	claims := []string{"upgrade-web", "upgrade-db"}
	for _, name := range claims {
		c := &naasv1alpha1.NamespaceClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: tn.Name, Template: "standard", Tier: "dev",
				Parameters: map[string]string{"owner_email": "alice@example.com"}},
		}
		if err := env.Client.Create(ctx, c); err != nil {
			stop()
			t.Fatalf("create claim %s: %v", name, err)
		}
	}
	for _, name := range claims {
		waitClaimReady(t, name)
	}
	testenv.WaitControllersIdle(t, testenv.Reconciles(t), map[string]float64{})
	stop()
	before := versions(t, claims)

	// The upgrade: this release starts and installs its CRDs.
	var tiers naasv1alpha1.TierList
	if err := env.Client.List(ctx, &tiers); err != nil {
		t.Fatal(err)
	}
	counts := testenv.Reconciles(t)
	mark, err := audit.Mark()
	if err != nil {
		t.Fatal(err)
	}
	_, stop2, err := env.StartPlatform(platform(true))
	if err != nil {
		t.Fatalf("start of this release: %v", err)
	}
	defer stop2()
	testenv.WaitControllersIdle(t, counts, map[string]float64{
		"namespaceclaim":       float64(len(claims)),
		"tenant":               1,
		"workload-policy-tier": float64(len(tiers.Items)),
	})
	events, err := audit.Since(mark)
	if err != nil {
		t.Fatal(err)
	}
	writes := kubeaudit.Writes(events, naasUser)

	upgraded := map[string]bool{}
	var unexpected []string
	for _, w := range writes {
		if w.ObjectRef != nil && w.ObjectRef.Resource == "customresourcedefinitions" && !w.Refused() &&
			(w.Verb == "update" || w.Verb == "patch") && contains(upgradedCRDs, w.ObjectRef.Name) && !upgraded[w.ObjectRef.Name] {
			upgraded[w.ObjectRef.Name] = true
			continue
		}
		unexpected = append(unexpected, w.String())
	}
	for _, name := range upgradedCRDs {
		if !upgraded[name] {
			t.Errorf("the CRD %s was not upgraded", name)
		}
	}
	if len(unexpected) > 0 {
		t.Errorf("the upgrade made %d writes besides the CRDs' (it may write nothing else):\n%s", len(unexpected), strings.Join(unexpected, "\n"))
	}
	if !crdHasField(t, "tenants.naas.dev", "acceptedCollaborations") {
		t.Error("the Tenant CRD was not upgraded to this release's schema")
	}
	after := versions(t, claims)
	for key, rv := range before {
		if after[key] != rv {
			t.Errorf("%s changed in the upgrade: resourceVersion %s, was %s", key, after[key], rv)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d objects after the upgrade, %d before", len(after), len(before))
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

// crdHasField reports whether the CRD's spec schema has field.
func crdHasField(t *testing.T, crd, field string) bool {
	t.Helper()
	admin, err := client.New(env.Config, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	c := &apiextensionsv1.CustomResourceDefinition{}
	if err := admin.Get(context.Background(), client.ObjectKey{Name: crd}, c); err != nil {
		t.Fatal(err)
	}
	for _, v := range c.Spec.Versions {
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		if _, ok := v.Schema.OpenAPIV3Schema.Properties["spec"].Properties[field]; ok {
			return true
		}
	}
	return false
}

// versions returns the resourceVersion of every naas object, of the claims' namespaces and of the objects
// naas made in them, by kind/namespace/name.
func versions(t *testing.T, claims []string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	record := func(kind string, l client.ObjectList, opts ...client.ListOption) {
		if err := env.Client.List(ctx, l, opts...); err != nil {
			t.Fatal(err)
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range items {
			o, err := meta.Accessor(item)
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("%s %s/%s", kind, o.GetNamespace(), o.GetName())] = o.GetResourceVersion()
		}
	}
	record("Tenant", &naasv1alpha1.TenantList{})
	record("NamespaceClaim", &naasv1alpha1.NamespaceClaimList{})
	record("NamespaceTemplate", &naasv1alpha1.NamespaceTemplateList{})
	record("Tier", &naasv1alpha1.TierList{})
	record("Namespace", &corev1.NamespaceList{}, client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue})
	for _, ns := range claims {
		in := client.InNamespace(ns)
		record("ResourceQuota", &corev1.ResourceQuotaList{}, in)
		record("LimitRange", &corev1.LimitRangeList{}, in)
		record("RoleBinding", &rbacv1.RoleBindingList{}, in)
		record("NetworkPolicy", &networkingv1.NetworkPolicyList{}, in)
		record("ServiceAccount", &corev1.ServiceAccountList{}, in)
		record("ConfigMap", &corev1.ConfigMapList{}, in)
	}
	if len(out) < 4+len(claims) {
		keys := make([]string, 0, len(out))
		for k := range out {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Fatalf("too few objects to compare: %v", keys)
	}
	return out
}

func waitClaimReady(t *testing.T, name string) {
	t.Helper()
	testenv.Eventually(t, 2*time.Minute, "claim "+name+" Ready", func() error {
		c := &naasv1alpha1.NamespaceClaim{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		if c.Status.Phase != naasv1alpha1.PhaseReady {
			return testenv.Errorf("phase %q: %v", c.Status.Phase, c.Status.Conditions)
		}
		return nil
	})
}
