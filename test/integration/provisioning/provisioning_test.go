package provisioning

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/testenv"
)

func TestProvision_ClaimBecomesReadyWithCompleteBundle(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("acme").Admin("alice").Group("team-bob", naasv1alpha1.RoleDeveloper).Viewer("carol").
		With(func(s *naasv1alpha1.TenantSpec) {
			s.NamespaceLabels = map[string]string{"cost-center": "cc-42", naasv1alpha1.LabelTier: "spoofed"}
		}).Create(t, env)
	testenv.Claim("acme-web", "acme").Create(t, env)
	c := env.WaitReady(t, "acme-web")

	for _, step := range []string{naasv1alpha1.ConditionValid, naasv1alpha1.ConditionNamespace, naasv1alpha1.ConditionQuota,
		naasv1alpha1.ConditionLimitRange, naasv1alpha1.ConditionRBAC, naasv1alpha1.ConditionNetworkPolicies, naasv1alpha1.ConditionManifests} {
		env.WaitCondition(t, "acme-web", step, metav1.ConditionTrue, "")
	}
	if c.Status.Tier != "dev" || c.Status.Phase != naasv1alpha1.PhaseReady {
		t.Errorf("status tier/phase = %q/%q, want dev (the template's default)/Ready", c.Status.Tier, c.Status.Phase)
	}

	ns := &corev1.Namespace{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "acme-web"}, ns); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		naasv1alpha1.LabelTenant: "acme", naasv1alpha1.LabelTier: "dev", naasv1alpha1.LabelTemplate: "standard",
		naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelClaim: "acme-web", "cost-center": "cc-42",
		"pod-security.kubernetes.io/enforce": "restricted",
	} {
		if got := ns.Labels[k]; got != want {
			t.Errorf("namespace label %s = %q, want %q", k, got, want)
		}
	}

	tier := &naasv1alpha1.Tier{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "dev"}, tier); err != nil {
		t.Fatal(err)
	}
	rq := &corev1.ResourceQuota{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "acme-web", Name: bundle.QuotaName}, rq); err != nil {
		t.Fatal(err)
	}
	if len(rq.Spec.Hard) != len(tier.Spec.Quota) {
		t.Errorf("quota has %d resources, tier %d: %v", len(rq.Spec.Hard), len(tier.Spec.Quota), rq.Spec.Hard)
	}
	for name, want := range tier.Spec.Quota {
		if got, ok := rq.Spec.Hard[name]; !ok || got.Cmp(want) != 0 {
			t.Errorf("quota %s = %v, want %v", name, got.String(), want.String())
		}
	}
	for name, want := range map[corev1.ResourceName]string{"limits.cpu": "2", "limits.memory": "4Gi", "requests.storage": "20Gi",
		"persistentvolumeclaims": "5", "services.loadbalancers": "0"} {
		if got := rq.Spec.Hard[name]; got.Cmp(resource.MustParse(want)) != 0 {
			t.Errorf("dev quota %s = %s, want %s", name, got.String(), want)
		}
	}

	lr := &corev1.LimitRange{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "acme-web", Name: bundle.LimitRangeName}, lr); err != nil {
		t.Fatal(err)
	}
	if len(lr.Spec.Limits) != 1 || lr.Spec.Limits[0].Type != corev1.LimitTypeContainer {
		t.Fatalf("limit range limits = %+v, want one Container item", lr.Spec.Limits)
	}
	if got := lr.Spec.Limits[0].Default[corev1.ResourceCPU]; got.Cmp(resource.MustParse("500m")) != 0 {
		t.Errorf("default cpu limit = %s, want 500m", got.String())
	}
	if got := lr.Spec.Limits[0].DefaultRequest[corev1.ResourceMemory]; got.Cmp(resource.MustParse("128Mi")) != 0 {
		t.Errorf("default memory request = %s, want 128Mi", got.String())
	}

	for name, want := range map[string]struct {
		role    string
		subject rbacv1.Subject
	}{
		bundle.AdminBindingName:     {bundle.ClusterRoleAdmin, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}},
		bundle.DeveloperBindingName: {bundle.ClusterRoleDeveloper, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "team-bob"}},
		bundle.ViewerBindingName:    {bundle.ClusterRoleViewer, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "carol"}},
	} {
		rb := &rbacv1.RoleBinding{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "acme-web", Name: name}, rb); err != nil {
			t.Fatalf("role binding %s: %v", name, err)
		}
		if rb.RoleRef.Kind != "ClusterRole" || rb.RoleRef.Name != want.role {
			t.Errorf("%s roleRef = %+v, want ClusterRole %s", name, rb.RoleRef, want.role)
		}
		if len(rb.Subjects) != 1 || rb.Subjects[0] != want.subject {
			t.Errorf("%s subjects = %+v, want [%+v]", name, rb.Subjects, want.subject)
		}
	}

	nps := &networkingv1.NetworkPolicyList{}
	if err := env.Client.List(ctx, nps, client.InNamespace("acme-web")); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, np := range nps.Items {
		got[np.Name] = true
	}
	for _, name := range []string{bundle.PolicyDefaultDeny, bundle.PolicySameTenant, bundle.PolicySharedServices, bundle.PolicyDNS, bundle.PolicyHTTPSEgress} {
		if !got[name] {
			t.Errorf("network policy %s missing; have %v", name, got)
		}
	}
}

func TestProvision_TenantUsersGetTheirRoleAndNoMore(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("globex").Admin("alice").Developer("bob").Viewer("carol").Create(t, env)
	testenv.Tenant("initech").Admin("dave").Create(t, env)
	testenv.Claim("globex-app", "globex").Tier("dev").Create(t, env)
	testenv.Claim("initech-app", "initech").Tier("dev").Create(t, env)
	env.WaitReady(t, "globex-app")
	env.WaitReady(t, "initech-app")

	bob := env.UserClient("bob")
	// Role aggregation is asynchronous (kube-controller-manager), so the first write may need a moment.
	testenv.Eventually(t, 30*time.Second, "developer creates a Deployment", func() error {
		return bob.Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: "globex-app", Name: "web"},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
					Spec:       testenv.RestrictedPodCPU("", "web", "100m").Spec,
				},
			},
		})
	})
	ownPolicy := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "globex-app", Name: "allow-web"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{}},
		},
	}
	if err := bob.Create(ctx, ownPolicy); err != nil {
		t.Fatalf("developer creates own NetworkPolicy: %v", err)
	}

	forbidden := func(what string, err error) {
		t.Helper()
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s: want Forbidden, got %v", what, err)
		}
	}
	rq := &corev1.ResourceQuota{}
	if err := bob.Get(ctx, client.ObjectKey{Namespace: "globex-app", Name: bundle.QuotaName}, rq); err != nil {
		t.Fatalf("developer reads the quota: %v", err)
	}
	rq.Spec.Hard[corev1.ResourceLimitsCPU] = resource.MustParse("100")
	forbidden("developer edits the ResourceQuota", bob.Update(ctx, rq))
	forbidden("developer deletes the LimitRange", bob.Delete(ctx, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: "globex-app", Name: bundle.LimitRangeName}}))
	np := &networkingv1.NetworkPolicy{}
	if err := bob.Get(ctx, client.ObjectKey{Namespace: "globex-app", Name: bundle.PolicyDefaultDeny}, np); err != nil {
		t.Fatal(err)
	}
	np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	forbidden("developer edits a naas NetworkPolicy", bob.Update(ctx, np))
	forbidden("developer deletes a naas NetworkPolicy", bob.Delete(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "globex-app", Name: bundle.PolicyDNS}}))
	forbidden("admin deletes a naas RoleBinding", env.UserClient("alice").Delete(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "globex-app", Name: bundle.ViewerBindingName}}))
	forbidden("developer reads another tenant's namespace", bob.List(ctx, &corev1.PodList{}, client.InNamespace("initech-app")))
	forbidden("viewer creates a ConfigMap", env.UserClient("carol").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "globex-app", Name: "x"}}))
	if err := env.UserClient("carol").List(ctx, &corev1.PodList{}, client.InNamespace("globex-app")); err != nil {
		t.Errorf("viewer lists pods: %v", err)
	}

	// Quota is enforced by the API server: the dev tier allows 2 CPUs.
	testenv.Eventually(t, 30*time.Second, "quota status and default service account", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "globex-app", Name: "default"}, &corev1.ServiceAccount{}); err != nil {
			return err
		}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "globex-app", Name: bundle.QuotaName}, rq); err != nil {
			return err
		}
		if rq.Status.Hard == nil {
			return testenv.Errorf("quota status not filled in yet")
		}
		return nil
	})
	testenv.Eventually(t, 30*time.Second, "a pod within quota", func() error {
		err := bob.Create(ctx, testenv.RestrictedPodCPU("globex-app", "fits", "1500m"))
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	err := bob.Create(ctx, testenv.RestrictedPodCPU("globex-app", "over", "1500m"))
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "exceeded quota") {
		t.Fatalf("pod over quota: want Forbidden 'exceeded quota', got %v", err)
	}
}

func TestProvision_DriftHeals(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("drift").Admin("alice").Developer("bob").Create(t, env)
	testenv.Claim("drift-app", "drift").Tier("dev").Create(t, env)
	env.WaitReady(t, "drift-app")

	if err := env.Client.Delete(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "drift-app", Name: bundle.QuotaName}}); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "drift-app", Name: bundle.PolicyDefaultDeny}}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "drift-app", Name: bundle.DeveloperBindingName}, rb); err != nil {
		t.Fatal(err)
	}
	rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "mallory"})
	if err := env.Client.Update(ctx, rb); err != nil {
		t.Fatal(err)
	}

	testenv.Eventually(t, 5*time.Second, "drift healed", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "drift-app", Name: bundle.QuotaName}, &corev1.ResourceQuota{}); err != nil {
			return fmt.Errorf("quota: %w", err)
		}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "drift-app", Name: bundle.PolicyDefaultDeny}, &networkingv1.NetworkPolicy{}); err != nil {
			return fmt.Errorf("default deny: %w", err)
		}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "drift-app", Name: bundle.DeveloperBindingName}, rb); err != nil {
			return err
		}
		if len(rb.Subjects) != 1 || rb.Subjects[0].Name != "bob" {
			return testenv.Errorf("developer binding subjects = %v", rb.Subjects)
		}
		return nil
	})
}

// resourceVersions returns the resource versions of every naas object of a namespace.
func resourceVersions(t *testing.T, ns string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	nsObj := &corev1.Namespace{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
		t.Fatal(err)
	}
	out["Namespace/"+ns] = nsObj.ResourceVersion
	lists := map[string]client.ObjectList{
		"ResourceQuota": &corev1.ResourceQuotaList{}, "LimitRange": &corev1.LimitRangeList{},
		"RoleBinding": &rbacv1.RoleBindingList{}, "NetworkPolicy": &networkingv1.NetworkPolicyList{},
	}
	for kind, list := range lists {
		if err := env.Client.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{naasv1alpha1.LabelManagedBy: "naas"}); err != nil {
			t.Fatal(err)
		}
		switch l := list.(type) {
		case *corev1.ResourceQuotaList:
			for _, o := range l.Items {
				out[kind+"/"+o.Name] = "spec" // quota status changes with usage; compare its spec below
				_ = o
			}
		case *corev1.LimitRangeList:
			for _, o := range l.Items {
				out[kind+"/"+o.Name] = o.ResourceVersion
			}
		case *rbacv1.RoleBindingList:
			for _, o := range l.Items {
				out[kind+"/"+o.Name] = o.ResourceVersion
			}
		case *networkingv1.NetworkPolicyList:
			for _, o := range l.Items {
				out[kind+"/"+o.Name] = o.ResourceVersion
			}
		}
	}
	// The quota's status is written by kube-controller-manager; naas's writes show as a
	// new generation.
	rq := &corev1.ResourceQuota{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: bundle.QuotaName}, rq); err != nil {
		t.Fatal(err)
	}
	out["ResourceQuota/"+bundle.QuotaName] = fmt.Sprint(rq.Generation)
	return out
}

func TestProvision_IdleResyncWritesNothing(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("idle").Admin("alice").Create(t, env)
	testenv.Claim("idle-app", "idle").Template("microservice").Tier("dev").Param("service_name", "api").Create(t, env)
	env.WaitReady(t, "idle-app")
	// kube-controller-manager fills in the quota's status and makes the service account: its writes are not naas's.
	env.WaitUsable(t, "idle-app")
	before := resourceVersions(t, "idle-app")

	// Each of these makes naas reconcile the claim again.
	c := env.GetClaim(t, "idle-app")
	c.Annotations = map[string]string{"test/poke": "1"}
	if err := env.Client.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	claimRV := c.ResourceVersion
	ns := &corev1.Namespace{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "idle-app"}, ns); err != nil {
		t.Fatal(err)
	}
	// Added to naas's own annotations (as kubectl annotate does), not replacing them: a removed annotation of
	// naas's is drift, which naas heals.
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	ns.Annotations["test/poke"] = "1"
	if err := env.Client.Update(ctx, ns); err != nil {
		t.Fatal(err)
	}
	before["Namespace/idle-app"] = ns.ResourceVersion

	testenv.Consistently(t, 3*time.Second, "no writes after resyncs", func() error {
		after := resourceVersions(t, "idle-app")
		for k, v := range before {
			if after[k] != v {
				return testenv.Errorf("%s was written: resourceVersion %s -> %s", k, v, after[k])
			}
		}
		if got := env.GetClaim(t, "idle-app").ResourceVersion; got != claimRV {
			return testenv.Errorf("claim status was written on an idle resync: resourceVersion %s -> %s", claimRV, got)
		}
		return nil
	})
}

func TestProvision_ChangingTierUpdatesBundleInPlace(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("grow").Admin("alice").Create(t, env)
	testenv.Claim("grow-app", "grow").Tier("dev").Create(t, env)
	env.WaitReady(t, "grow-app")
	c := env.GetClaim(t, "grow-app")
	c.Spec.Tier = "staging"
	if err := env.Client.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "staging quota and label", func() error {
		rq := &corev1.ResourceQuota{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "grow-app", Name: bundle.QuotaName}, rq); err != nil {
			return err
		}
		if got := rq.Spec.Hard[corev1.ResourceLimitsCPU]; got.Cmp(resource.MustParse("4")) != 0 {
			return testenv.Errorf("limits.cpu = %s, want 4", got.String())
		}
		if got := rq.Spec.Hard["services.loadbalancers"]; got.Cmp(resource.MustParse("1")) != 0 {
			return testenv.Errorf("services.loadbalancers = %s, want 1", got.String())
		}
		ns := &corev1.Namespace{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "grow-app"}, ns); err != nil {
			return err
		}
		if ns.Labels[naasv1alpha1.LabelTier] != "staging" {
			return testenv.Errorf("tier label = %q", ns.Labels[naasv1alpha1.LabelTier])
		}
		return nil
	})
	env.WaitReady(t, "grow-app")
}

func TestProvision_DeletingClaimDeletesNamespace(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("gone").Admin("alice").Create(t, env)
	testenv.Claim("gone-app", "gone").Tier("dev").Create(t, env)
	env.WaitReady(t, "gone-app")
	if err := env.Client.Delete(ctx, env.GetClaim(t, "gone-app")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "namespace and claim gone", func() error {
		if ok, err := env.NamespaceExists("gone-app"); err != nil || ok {
			return testenv.Errorf("namespace still exists (%v)", err)
		}
		err := env.Client.Get(ctx, client.ObjectKey{Name: "gone-app"}, &naasv1alpha1.NamespaceClaim{})
		if !apierrors.IsNotFound(err) {
			return testenv.Errorf("claim still exists (%v)", err)
		}
		return nil
	})
}

func TestProvision_DeletionProtectionIsHonoured(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("safe").Admin("alice").Create(t, env)
	testenv.Claim("safe-db", "safe").Tier("dev").Protected().Create(t, env)
	env.WaitReady(t, "safe-db")
	testenv.Eventually(t, 10*time.Second, "namespace carries the protection label", func() error {
		ns := &corev1.Namespace{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "safe-db"}, ns); err != nil {
			return err
		}
		if ns.Labels[bundle.LabelDeletionProtection] != "true" {
			return testenv.Errorf("labels: %v", ns.Labels)
		}
		return nil
	})

	err := env.Client.Delete(ctx, env.GetClaim(t, "safe-db"))
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "deletionProtection") {
		t.Fatalf("deleting a protected claim: want Forbidden naming deletionProtection, got %v", err)
	}
	err = env.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "safe-db"}})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("deleting a protected namespace directly: want Forbidden, got %v", err)
	}

	env.UpdateClaim(t, "safe-db", func(c *naasv1alpha1.NamespaceClaim) { c.Spec.DeletionProtection = false })
	testenv.Eventually(t, 10*time.Second, "claim deletable once protection is off", func() error {
		return env.Client.Delete(ctx, env.GetClaim(t, "safe-db"))
	})
	testenv.Eventually(t, 60*time.Second, "namespace gone", func() error {
		if ok, err := env.NamespaceExists("safe-db"); err != nil || ok {
			return testenv.Errorf("namespace still exists (%v)", err)
		}
		return nil
	})
}

func TestProvision_ForeignNamespaceIsNeverAdopted(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("squat").Admin("alice").Create(t, env)
	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "legacy-billing", Labels: map[string]string{"team": "legacy"}}}
	if err := env.Client.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(foreign), foreign); err != nil {
		t.Fatal(err)
	}
	testenv.Claim("legacy-billing", "squat").Tier("dev").Create(t, env)
	c := env.WaitCondition(t, "legacy-billing", naasv1alpha1.ConditionNamespace, metav1.ConditionFalse, naasv1alpha1.ReasonNamespaceConflict)
	if c.Status.Phase != naasv1alpha1.PhaseFailed {
		t.Errorf("phase = %q, want Failed", c.Status.Phase)
	}

	after := &corev1.Namespace{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(foreign), after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != foreign.ResourceVersion {
		t.Errorf("the foreign namespace was changed: labels now %v", after.Labels)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "legacy-billing", Name: bundle.QuotaName}, &corev1.ResourceQuota{}); !apierrors.IsNotFound(err) {
		t.Errorf("a quota was created in the foreign namespace: %v", err)
	}

	if err := env.Client.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "claim released", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Name: "legacy-billing"}, &naasv1alpha1.NamespaceClaim{})
		if !apierrors.IsNotFound(err) {
			return testenv.Errorf("claim still exists (%v)", err)
		}
		return nil
	})
	if ok, err := env.NamespaceExists("legacy-billing"); err != nil || !ok {
		t.Fatalf("the foreign namespace was deleted with the claim (%v)", err)
	}
}

func TestProvision_BadInputIsReportedAndCreatesNothing(t *testing.T) {
	testenv.Tenant("strict").Admin("alice").With(func(s *naasv1alpha1.TenantSpec) {
		s.AllowedTiers = []string{"dev", "staging"}
		s.Naming.Prefix = "strict-"
	}).Create(t, env)
	tests := []struct {
		name       string
		claim      *naasv1alpha1.NamespaceClaim
		reason     string
		messageHas string
	}{
		// Not "strict-a": names starting with "strict-" are reserved for tenant strict, for platform admins too.
		{"unknown tenant", testenv.Claim("nobody-a", "nobody").Tier("dev").Obj(), naasv1alpha1.ReasonUnknownTenant, "existing tenants:"},
		{"unknown template", testenv.Claim("strict-b", "strict").Template("mainframe").Tier("dev").Obj(), naasv1alpha1.ReasonUnknownTemplate, "existing templates: data, microservice, ml, standard"},
		{"unknown tier", testenv.Claim("strict-c", "strict").Tier("gold").Obj(), naasv1alpha1.ReasonUnknownTier, "existing tiers: dev, prod, staging"},
		{"tier not allowed", testenv.Claim("strict-d", "strict").Tier("prod").Obj(), naasv1alpha1.ReasonNotAllowed, "dev, staging"},
		{"naming rule", testenv.Claim("other-e", "strict").Tier("dev").Obj(), naasv1alpha1.ReasonNamingRules, "strict-"},
		{"bad parameter", testenv.Claim("strict-f", "strict").Tier("dev").Param("owner_email", "not-an-email").Obj(), naasv1alpha1.ReasonInvalidParameters, "owner_email"},
		{"missing required parameter", testenv.Claim("strict-g", "strict").Template("microservice").Tier("dev").Obj(), naasv1alpha1.ReasonInvalidParameters, "service_name"},
		{"unknown parameter", testenv.Claim("strict-h", "strict").Tier("dev").Param("colour", "blue").Obj(), naasv1alpha1.ReasonInvalidParameters, "colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.Create(t, tt.claim)
			t.Cleanup(func() { _ = env.Client.Delete(context.Background(), tt.claim) })
			c := env.WaitCondition(t, tt.claim.Name, naasv1alpha1.ConditionReady, metav1.ConditionFalse, tt.reason)
			ready := c.Status.Conditions
			msg := ""
			for _, cond := range ready {
				if cond.Type == naasv1alpha1.ConditionReady {
					msg = cond.Message
				}
			}
			if !strings.Contains(msg, tt.messageHas) {
				t.Errorf("Ready message %q does not contain %q", msg, tt.messageHas)
			}
			if c.Status.Phase != naasv1alpha1.PhaseFailed {
				t.Errorf("phase = %q, want Failed", c.Status.Phase)
			}
			if ok, err := env.NamespaceExists(tt.claim.Name); err != nil || ok {
				t.Errorf("namespace %s exists for an invalid claim (%v)", tt.claim.Name, err)
			}
		})
	}
}

func TestProvision_MetricsAreExported(t *testing.T) {
	testenv.Tenant("metered").Admin("alice").Create(t, env)
	testenv.Claim("metered-app", "metered").Tier("dev").Create(t, env)
	env.WaitReady(t, "metered-app")
	testenv.Eventually(t, 10*time.Second, "metrics", func() error {
		resp, err := http.Get("http://" + naas.Addr() + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, want := range []string{
			`platform_namespace_provisions_total{status="success"}`,
			`platform_namespace_provision_duration_seconds_bucket`,
			`platform_tenant_namespaces{tenant="metered"} 1`,
		} {
			if !strings.Contains(string(body), want) {
				return testenv.Errorf("/metrics has no %s", want)
			}
		}
		return nil
	})
}

// provisionHistogram returns the sample count and sum of the provisioning duration histogram.
func provisionHistogram(t *testing.T) (count uint64, sum float64) {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "platform_namespace_provision_duration_seconds" {
			h := f.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	return 0, 0
}

func TestProvision_DurationIsMeasuredNotRoundedToZero(t *testing.T) {
	testenv.Tenant("timed").Admin("alice").Create(t, env)
	beforeCount, beforeSum := provisionHistogram(t)
	testenv.Claim("timed-app", "timed").Tier("dev").Create(t, env)
	env.WaitReady(t, "timed-app")
	var count uint64
	var sum float64
	testenv.Eventually(t, 10*time.Second, "the provision observed", func() error {
		c, s := provisionHistogram(t)
		if count, sum = c-beforeCount, s-beforeSum; count == 0 {
			return testenv.Errorf("no provision observed yet")
		}
		return nil
	})
	// A provision takes well under a second here, more than nothing: measured from whole-second timestamps
	// it read 0, and the p95 SLO could never fire.
	if sum <= 0 || sum/float64(count) > 60 {
		t.Errorf("provisioning duration: %d provisions took %gs in total, want more than 0 and less than 60s each", count, sum)
	}
}

func TestProvision_TemplateManifestsFollowParameters(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("params").Admin("alice").Create(t, env)
	testenv.Claim("params-svc", "params").Template("microservice").Tier("dev").Param("service_name", "checkout").Create(t, env)
	env.WaitReady(t, "params-svc")
	sa := &corev1.ServiceAccount{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "params-svc", Name: "checkout"}, sa); err != nil {
		t.Fatalf("the template's ServiceAccount named by the parameter: %v", err)
	}
	if got := sa.Annotations["naas.dev/replicas"]; got != "2" {
		t.Errorf("replicas annotation = %q, want the parameter's default 2", got)
	}
	if sa.Labels[naasv1alpha1.LabelManagedBy] != "naas" || sa.Labels[naasv1alpha1.LabelClaim] != "params-svc" {
		t.Errorf("manifest object labels = %v, want naas's labels", sa.Labels)
	}

	env.UpdateClaim(t, "params-svc", func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Parameters["replicas"] = "5" })
	testenv.Eventually(t, 10*time.Second, "parameter change applied in place", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "params-svc", Name: "checkout"}, sa); err != nil {
			return err
		}
		if got := sa.Annotations["naas.dev/replicas"]; got != "5" {
			return testenv.Errorf("replicas annotation = %q", got)
		}
		return nil
	})
}
