package api

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/testenv"
)

// clusterView is the part of the API's Cluster the tests read.
type clusterView struct {
	Name     string
	Labels   map[string]string
	Taints   []struct{ Key, Value, Effect string }
	Cordoned bool
}

// memberKubeconfig is a valid kubeconfig with inline credentials: the management cluster's own, which is all
// the API checks at registration (reaching the member is the Cluster controller's work).
func memberKubeconfig(t *testing.T) string {
	t.Helper()
	kc, err := cluster.Kubeconfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	return string(kc)
}

// removeClusters deletes test clusters directly, with their Secrets, whatever the API left.
func removeClusters(t *testing.T, names ...string) {
	t.Cleanup(func() {
		ctx := context.Background()
		for _, n := range names {
			_ = env.Client.Delete(ctx, &naasv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: n}})
			_ = env.Client.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: testenv.SystemNamespace, Name: cluster.KubeconfigSecretName(n)}})
		}
	})
}

func clusterNames(t *testing.T, r response) []string {
	t.Helper()
	var list struct{ Items []clusterView }
	r.decode(t, &list)
	var names []string
	for _, c := range list.Items {
		names = append(names, c.Name)
	}
	return names
}

func TestAPI_PlatformAdminsRegisterChangeAndRemoveClusters(t *testing.T) {
	ctx := context.Background()
	p := startPlatform(t, platformConfig{})
	admin := as("platform-admin")
	removeClusters(t, "member-a", "member-b", "member-c")
	kubeconfig := memberKubeconfig(t)
	body := map[string]any{
		"name": "member-a", "labels": map[string]string{"naas.dev/region": "eu-west", "environment": "prod"},
		"taints": []map[string]string{{"key": "gpu", "value": "true", "effect": "NoSchedule"}}, "kubeconfig": kubeconfig,
	}

	r := p.call(t, admin, http.MethodPost, "/api/v1/clusters", body)
	expect(t, r, http.StatusCreated, "platform admin registers member-a")
	if loc := r.header.Get("Location"); loc != "/api/v1/clusters/member-a" {
		t.Errorf("Location = %q", loc)
	}
	if strings.Contains(string(r.body), "kubeconfig") || strings.Contains(string(r.body), env.Config.BearerToken) {
		t.Errorf("the answer shows credentials: %s", r.body)
	}
	expect(t, p.call(t, admin, http.MethodPost, "/api/v1/clusters", body), http.StatusConflict, "registering it again")

	// The Cluster names the Secret, which holds the kubeconfig under "value" and goes with the Cluster.
	c := &naasv1alpha1.Cluster{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "member-a"}, c); err != nil {
		t.Fatal(err)
	}
	if c.Spec.KubeconfigSecretRef == nil || c.Labels["environment"] != "prod" || len(c.Spec.Taints) != 1 {
		t.Fatalf("cluster = %+v", c)
	}
	secret := &corev1.Secret{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: testenv.SystemNamespace, Name: c.Spec.KubeconfigSecretRef.Name}, secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data[naasv1alpha1.KubeconfigSecretKey]) != kubeconfig {
		t.Error("the Secret does not hold the kubeconfig under key value")
	}
	if len(secret.OwnerReferences) != 1 || secret.OwnerReferences[0].UID != c.UID {
		t.Errorf("Secret owners = %+v, want the Cluster", secret.OwnerReferences)
	}

	// A bad kubeconfig, name or taint is refused with every field named, and nothing is written.
	r = p.call(t, admin, http.MethodPost, "/api/v1/clusters", map[string]any{
		"name": "Member B", "taints": []map[string]string{{"key": "gpu", "effect": "Sometimes"}},
		"kubeconfig": strings.Replace(kubeconfig, "token:", "tokenFile: /var/run/secrets/token\n    token:", 1),
	})
	expect(t, r, http.StatusUnprocessableEntity, "a bad cluster")
	var fields []string
	for _, e := range r.problem(t).Errors {
		fields = append(fields, e.Field)
	}
	if want := []string{"name", "taints[0].effect", "kubeconfig"}; !slices.Equal(fields, want) {
		t.Errorf("fields = %v, want %v", fields, want)
	}
	r = p.call(t, admin, http.MethodPost, "/api/v1/clusters", map[string]any{"name": "member-b", "kubeconfig": "apiVersion: v1\nkind: Config\n"})
	expect(t, r, http.StatusUnprocessableEntity, "a kubeconfig without a context")
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "member-b"}, &naasv1alpha1.Cluster{}); !apierrors.IsNotFound(err) {
		t.Errorf("a refused registration left a Cluster: %v", err)
	}

	// When the Secret cannot be written, the Cluster made a moment before is removed again.
	stale := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: testenv.SystemNamespace, Name: cluster.KubeconfigSecretName("member-c")}}
	if err := env.Client.Create(ctx, stale); err != nil {
		t.Fatal(err)
	}
	r = p.call(t, admin, http.MethodPost, "/api/v1/clusters", map[string]any{"name": "member-c", "kubeconfig": kubeconfig})
	expect(t, r, http.StatusConflict, "registering over a stale Secret")
	if d := r.problem(t).Detail; !strings.Contains(d, "already exists") {
		t.Errorf("detail = %q", d)
	}
	testenv.Eventually(t, time.Minute, "member-c's Cluster is gone", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Name: "member-c"}, &naasv1alpha1.Cluster{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("member-c still exists (%w)", err)
	})

	// Cordon, relabel and untaint by merge patch; PUT replaces.
	r = p.call(t, admin, http.MethodPatch, "/api/v1/clusters/member-a", map[string]any{
		"cordoned": true, "labels": map[string]any{"environment": nil, "tier": "gold"}, "taints": []any{},
	})
	expect(t, r, http.StatusOK, "cordon member-a")
	var view clusterView
	r.decode(t, &view)
	if !view.Cordoned || view.Labels["tier"] != "gold" || view.Labels["environment"] != "" || view.Labels["naas.dev/region"] != "eu-west" || len(view.Taints) != 0 {
		t.Errorf("after the patch: %+v", view)
	}
	r = p.call(t, admin, http.MethodPut, "/api/v1/clusters/member-a", map[string]any{"labels": map[string]string{"environment": "dev"}})
	expect(t, r, http.StatusOK, "replace member-a")
	view = clusterView{}
	r.decode(t, &view)
	if view.Cordoned || len(view.Labels) != 1 || view.Labels["environment"] != "dev" {
		t.Errorf("after the PUT: %+v", view)
	}
	r = p.call(t, admin, http.MethodPut, "/api/v1/clusters/member-a", map[string]any{"kubeconfig": kubeconfig})
	expect(t, r, http.StatusUnprocessableEntity, "a PUT with a kubeconfig")
	expect(t, p.call(t, admin, http.MethodPatch, "/api/v1/clusters/nope", map[string]any{"cordoned": true}), http.StatusNotFound, "patching no cluster")

	// A cluster holding namespaces is removed only with orphan=true.
	createTenant(t, "fleetapi", nil, user("alice", naasv1alpha1.RoleAdmin))
	t.Cleanup(func() {
		_ = env.Client.Delete(ctx, &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "fleetapi-web"}})
		_ = env.Client.Delete(ctx, &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "fleetapi"}})
	})
	claim := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "fleetapi-web"}, Spec: naasv1alpha1.NamespaceClaimSpec{
		Tenant: "fleetapi", Template: "standard", Parameters: map[string]string{"owner_email": "alice@example.com"}}}
	if err := env.Client.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(claim), claim); err != nil {
			return err
		}
		claim.Status.Cluster = "member-a"
		return env.Client.Status().Update(ctx, claim)
	}); err != nil {
		t.Fatal(err)
	}
	r = p.call(t, admin, http.MethodDelete, "/api/v1/clusters/member-a", nil)
	expect(t, r, http.StatusConflict, "removing member-a while it holds a namespace")
	if d := r.problem(t).Detail; !strings.Contains(d, "cluster member-a holds 1 namespaces (fleetapi-web)") || !strings.Contains(d, "--orphan") {
		t.Errorf("detail = %q", d)
	}
	expect(t, p.call(t, admin, http.MethodDelete, "/api/v1/clusters/member-a?orphan=maybe", nil), http.StatusBadRequest, "orphan=maybe")
	expect(t, p.call(t, admin, http.MethodDelete, "/api/v1/clusters/local", nil), http.StatusConflict, "removing local")
	r = p.call(t, admin, http.MethodDelete, "/api/v1/clusters/member-a?orphan=true", nil)
	expect(t, r, http.StatusAccepted, "removing member-a, orphaning its namespace")
	testenv.Eventually(t, time.Minute, "member-a is gone", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Name: "member-a"}, c)
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		case c.Annotations[naasv1alpha1.AnnotationOrphan] != "true":
			return fmt.Errorf("member-a is not marked to orphan: %v", c.Annotations)
		}
		return fmt.Errorf("member-a still exists, finalizers %v", c.Finalizers)
	})
	expect(t, p.call(t, admin, http.MethodDelete, "/api/v1/clusters/member-a", nil), http.StatusNotFound, "removing it again")

	// Every write is in the audit log: what was done, and what was refused.
	got := map[string]int{}
	for _, e := range p.auditOf(t, admin, url.Values{"user": {"platform-admin"}}) {
		if strings.HasPrefix(e.Action, "cluster.") {
			got[e.Action+" "+e.Result]++
		}
	}
	want := map[string]int{
		"cluster.register allowed": 1, "cluster.register denied": 4,
		"cluster.update allowed": 2, "cluster.update denied": 2,
		"cluster.remove allowed": 1, "cluster.remove denied": 4,
	}
	if !maps.Equal(got, want) {
		t.Errorf("audited cluster actions = %v, want %v", got, want)
	}
}

func TestAPI_TenantsSeeOnlyTheClustersTheirPlacementAdmitsAndChangeNone(t *testing.T) {
	ctx := context.Background()
	p := startPlatform(t, platformConfig{})
	removeClusters(t, "see-prod", "see-dev", "see-gpu")
	for _, c := range []*naasv1alpha1.Cluster{
		{ObjectMeta: metav1.ObjectMeta{Name: "see-prod", Labels: map[string]string{"environment": "prod"}},
			Spec: naasv1alpha1.ClusterSpec{KubeconfigSecretRef: &naasv1alpha1.SecretReference{Name: "see-prod-kubeconfig"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "see-dev", Labels: map[string]string{"environment": "dev"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "see-gpu", Labels: map[string]string{"environment": "prod"}},
			Spec: naasv1alpha1.ClusterSpec{Taints: []naasv1alpha1.ClusterTaint{{Key: "gpu", Effect: naasv1alpha1.ClusterTaintNoSchedule}}}},
	} {
		if err := env.Client.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	prod := &naasv1alpha1.Placement{ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"environment": "prod"}}}
	createTenant(t, "seeprod", func(s *naasv1alpha1.TenantSpec) { s.Placement = prod },
		user("alice", naasv1alpha1.RoleAdmin), user("bob", naasv1alpha1.RoleDeveloper))
	createTenant(t, "seegpu", func(s *naasv1alpha1.TenantSpec) {
		s.Placement = prod.DeepCopy()
		s.Placement.Tolerations = []naasv1alpha1.ClusterToleration{{Key: "gpu", Operator: naasv1alpha1.ClusterTolerationExists}}
	}, user("carol", naasv1alpha1.RoleViewer))
	t.Cleanup(func() {
		for _, n := range []string{"seeprod", "seegpu"} {
			_ = env.Client.Delete(ctx, &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: n}})
		}
	})
	mine := func(names []string) []string {
		return slices.DeleteFunc(names, func(n string) bool { return !strings.HasPrefix(n, "see-") })
	}

	want := map[string][]string{
		"platform-admin": {"see-dev", "see-gpu", "see-prod"},
		"alice":          {"see-prod"},
		"bob":            {"see-prod"},
		"carol":          {"see-gpu", "see-prod"},
		"dave":           nil, // in no tenant
	}
	for who, names := range want {
		testenv.Eventually(t, time.Minute, who+" lists the clusters they may use", func() error {
			r := p.call(t, as(who), http.MethodGet, "/api/v1/clusters", nil)
			if r.status != http.StatusOK {
				return fmt.Errorf("%s", r)
			}
			if got := mine(clusterNames(t, r)); !slices.Equal(got, names) {
				return fmt.Errorf("%s sees %v, want %v", who, got, names)
			}
			if who != "platform-admin" && strings.Contains(string(r.body), "see-prod-kubeconfig") {
				t.Errorf("%s sees where credentials are kept: %s", who, r.body)
			}
			return nil
		})
	}
	// A cluster outside one's placement is not found, whatever the role.
	expect(t, p.call(t, as("alice"), http.MethodGet, "/api/v1/clusters/see-prod", nil), http.StatusOK, "alice reads see-prod")
	for _, who := range []string{"alice", "bob", "dave"} {
		for _, name := range []string{"see-dev", "see-gpu"} {
			r := p.call(t, as(who), http.MethodGet, "/api/v1/clusters/"+name, nil)
			expect(t, r, http.StatusNotFound, who+" reads "+name)
			r.problem(t)
		}
	}
	expect(t, p.call(t, as("dave"), http.MethodGet, "/api/v1/clusters/see-prod", nil), http.StatusNotFound, "dave reads see-prod")

	// No tenant role registers, changes or removes a cluster, not even one the tenant may use.
	kubeconfig := memberKubeconfig(t)
	for _, who := range []string{"alice", "bob", "carol", "dave"} {
		r := p.call(t, as(who), http.MethodPost, "/api/v1/clusters", map[string]any{"name": "see-mine", "kubeconfig": kubeconfig})
		expect(t, r, http.StatusForbidden, who+" registers a cluster")
		if d := r.problem(t).Detail; !strings.Contains(d, "managing clusters takes platform admin rights") {
			t.Errorf("detail = %q", d)
		}
		expect(t, p.call(t, as(who), http.MethodPatch, "/api/v1/clusters/see-prod", map[string]any{"cordoned": true}), http.StatusForbidden, who+" cordons see-prod")
		expect(t, p.call(t, as(who), http.MethodPut, "/api/v1/clusters/see-prod", map[string]any{}), http.StatusForbidden, who+" replaces see-prod")
		expect(t, p.call(t, as(who), http.MethodDelete, "/api/v1/clusters/see-prod?orphan=true", nil), http.StatusForbidden, who+" removes see-prod")
	}
	c := &naasv1alpha1.Cluster{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "see-prod"}, c); err != nil || c.Spec.Cordoned || c.DeletionTimestamp != nil {
		t.Errorf("see-prod was changed by a tenant: %+v (%v)", c.Spec, err)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "see-mine"}, &naasv1alpha1.Cluster{}); !apierrors.IsNotFound(err) {
		t.Errorf("a tenant registered a cluster: %v", err)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: testenv.SystemNamespace, Name: cluster.KubeconfigSecretName("see-mine")}, &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Errorf("a tenant's registration left a Secret: %v", err)
	}
}
