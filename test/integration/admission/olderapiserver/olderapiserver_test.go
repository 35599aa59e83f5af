// Package olderapiserver tests naas's guardrails on an API server like those of clusters older or less hardened
// than naas up's: without MutatingAdmissionPolicy (before Kubernetes 1.36, or with its feature gate off) and
// without the DenyServiceExternalIPs admission plugin. naas's own mutating webhook then sets the tiers' image pull
// policy, and its admission policy alone refuses external IPs in naas namespaces.
package olderapiserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/localcp"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) {
	var plugins []string
	for _, p := range localcp.AdmissionPlugins {
		if p != "MutatingAdmissionPolicy" && p != "DenyServiceExternalIPs" {
			plugins = append(plugins, p)
		}
	}
	testenv.Main(m, &env, testenv.Options{
		AdmissionPlugins: plugins,
		APIServerArgs: []string{
			"--feature-gates=MutatingAdmissionPolicy=false",
			"--runtime-config=admissionregistration.k8s.io/v1/mutatingadmissionpolicies=false,admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings=false",
		},
	})
}

// start starts naas for one test and sets up tenant "old" (bob a developer) with a namespace of the dev tier
// (imagePullPolicy Always) and, when relaxedTier is set, one of a tier that turns the rule off.
func start(t *testing.T) {
	t.Helper()
	_, stop, err := env.StartPlatform()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ctx := context.Background()
	for _, o := range []client.Object{
		testenv.Tenant("old").Developer("bob").Obj(),
		&naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "relaxed"}, Spec: naasv1alpha1.TierSpec{
			Quota:          corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")},
			PodSecurity:    naasv1alpha1.PodSecurityRestricted,
			WorkloadPolicy: naasv1alpha1.WorkloadPolicy{ImagePullPolicyAlways: ptr.To(false)},
		}},
	} {
		if err := env.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	for name, tier := range map[string]string{"old-dev": "dev", "old-relaxed": "relaxed"} {
		if err := env.Client.Create(ctx, testenv.Claim(name, "old").Tier(tier).Obj()); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"old-dev", "old-relaxed"} {
		env.WaitReady(t, name)
		env.WaitUsable(t, name)
	}
}

// createAsBob creates obj as bob once RBAC lets him (role aggregation is asynchronous).
func createAsBob(t *testing.T, obj client.Object) error {
	t.Helper()
	err := env.EventuallyAs(t, "bob", func(c client.Client) error { return c.Create(context.Background(), obj) })
	if err == nil {
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), obj, client.GracePeriodSeconds(0)) })
	}
	return err
}

func pod(ns, name string, policy corev1.PullPolicy) *corev1.Pod {
	sc := &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	c := corev1.Container{Name: "app", Image: "registry.example/app:1", ImagePullPolicy: policy, SecurityContext: sc}
	init := c
	init.Name, init.ImagePullPolicy = "migrate", ""
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers:      []corev1.Container{c},
			InitContainers:  []corev1.Container{init},
		},
	}
}

func TestWithoutMutatingPolicies_NaasWebhookSetsImagePullPolicyAlways(t *testing.T) {
	start(t)
	ctx := context.Background()
	if served, err := setup.ServesMutatingPolicies(env.Config); err != nil || served {
		t.Fatalf("the API server serves MutatingAdmissionPolicy (%v, %v): this package tests clusters that do not", served, err)
	}
	m := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: setup.WebhookConfigurationName}, m); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(m.Webhooks, func(w admissionregistrationv1.MutatingWebhook) bool { return w.Name == "pull-policy.mutate.naas.dev" }) {
		t.Fatalf("naas registered no pull policy webhook: %v", m.Webhooks)
	}

	p := pod("old-dev", "cached", corev1.PullIfNotPresent)
	if err := createAsBob(t, p); err != nil {
		t.Fatalf("pod with imagePullPolicy IfNotPresent in the dev tier: %v", err)
	}
	labels := map[string]string{"app": "chart"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "old-dev", Name: "chart"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod("", "", corev1.PullIfNotPresent).Spec},
		},
	}
	if err := createAsBob(t, d); err != nil {
		t.Fatalf("deployment with imagePullPolicy IfNotPresent in the dev tier: %v", err)
	}
	for what, containers := range map[string][]corev1.Container{
		"pod":        append(p.Spec.Containers, p.Spec.InitContainers...),
		"deployment": d.Spec.Template.Spec.Containers,
	} {
		for _, c := range containers {
			if c.ImagePullPolicy != corev1.PullAlways {
				t.Errorf("%s: container %s stored with imagePullPolicy %q, want Always", what, c.Name, c.ImagePullPolicy)
			}
		}
	}

	p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debug", Image: "registry.example/debug:1", ImagePullPolicy: corev1.PullIfNotPresent, SecurityContext: p.Spec.Containers[0].SecurityContext,
	}}}
	if err := env.Client.SubResource("ephemeralcontainers").Update(ctx, p); err != nil {
		t.Fatalf("add an ephemeral container: %v", err)
	}
	if got := p.Spec.EphemeralContainers[0].ImagePullPolicy; got != corev1.PullAlways {
		t.Errorf("ephemeral container stored with imagePullPolicy %s, want Always", got)
	}

	// Refused once the tier's validating binding reaches the API server, moments after naas starts.
	testenv.Eventually(t, 20*time.Second, "pod with imagePullPolicy Never refused", func() error {
		never := pod("old-dev", "never", corev1.PullNever)
		err := env.UserClient("bob").Create(ctx, never)
		if err == nil {
			_ = env.Client.Delete(ctx, never, client.GracePeriodSeconds(0))
			return errors.New("admitted")
		}
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "container app has imagePullPolicy Never; tier dev requires imagePullPolicy: Always") {
			return fmt.Errorf("%w, want refused by naas-tier-workloads", err)
		}
		return nil
	})

	relaxed := pod("old-relaxed", "cached", corev1.PullIfNotPresent)
	if err := createAsBob(t, relaxed); err != nil {
		t.Fatalf("pod with IfNotPresent where the tier turns the rule off: %v", err)
	}
	if got := relaxed.Spec.Containers[0].ImagePullPolicy; got != corev1.PullIfNotPresent {
		t.Errorf("pod in a tier that does not ask stored with imagePullPolicy %s, want IfNotPresent as given", got)
	}
}

func TestWithoutDenyServiceExternalIPs_NaasRefusesExternalIPsInItsNamespaces(t *testing.T) {
	start(t)
	ctx := context.Background()
	service := func(ns string) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "capture"},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": "capture"}, Ports: []corev1.ServicePort{{Name: "dns", Port: 53}},
				ExternalIPs: []string{"10.0.0.53"},
			},
		}
	}
	// The API server itself allows them: outside naas namespaces, the cluster's admin decides.
	other := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "not-naas"}}
	if err := env.Client.Create(ctx, other); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, service("not-naas")); err != nil {
		t.Fatalf("this API server refuses external IPs itself (%v): this package tests clusters that do not", err)
	}

	want := "service capture sets spec.externalIPs (10.0.0.53), which naas namespaces do not allow"
	// Refused as soon as the API server has loaded naas's policies, moments after naas installs them.
	testenv.Eventually(t, 20*time.Second, "developer's service with an external IP refused", func() error {
		svc := service("old-dev")
		err := env.UserClient("bob").Create(ctx, svc)
		switch {
		case err == nil:
			_ = env.Client.Delete(ctx, svc)
			return errors.New("admitted")
		case !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "CVE-2020-8554"):
			return fmt.Errorf("%w, want refused saying %q", err, want)
		}
		return nil
	})
}
