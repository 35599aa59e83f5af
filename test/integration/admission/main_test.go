// Package admission tests naas's admission on the real local control plane with the webhooks and admission
// policies registered, acting as tenant users through ordinary client calls (what kubectl and GitOps tools
// send): who may create, change and delete claims, the tenant guardrails, the exact namespace count and
// tenant quota under concurrency, and the workload policies (Pod Security and naas's admission policies).
package admission

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) {
	e, err := testenv.Start(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env = e
	_, stop, err := env.StartPlatform()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		env.Stop()
		os.Exit(1)
	}
	code := m.Run()
	stop()
	env.Stop()
	os.Exit(code)
}

// tenantBuilder builds Tenants: tenant("acme").owner("alice", admin).create(t).
type tenantBuilder struct{ t *naasv1alpha1.Tenant }

func tenant(name string) *tenantBuilder {
	return &tenantBuilder{t: &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}}}
}

func (b *tenantBuilder) user(name string, role naasv1alpha1.Role) *tenantBuilder {
	b.t.Spec.Owners = append(b.t.Spec.Owners, naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectUser, Name: name, Role: role})
	return b
}

func (b *tenantBuilder) with(f func(*naasv1alpha1.TenantSpec)) *tenantBuilder {
	f(&b.t.Spec)
	return b
}

func (b *tenantBuilder) create(t *testing.T) *naasv1alpha1.Tenant {
	t.Helper()
	if err := env.Client.Create(context.Background(), b.t); err != nil {
		t.Fatalf("create tenant %s: %v", b.t.Name, err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), b.t) })
	return b.t
}

// createTier creates a tier for one test.
func createTier(t *testing.T, name string, spec naasv1alpha1.TierSpec) {
	t.Helper()
	tier := &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
	if err := env.Client.Create(context.Background(), tier); err != nil {
		t.Fatalf("create tier %s: %v", name, err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), tier) })
}

func claim(name, tenantName, tier string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenantName, Template: "standard", Tier: tier},
	}
}

// as returns a client that acts as a static token user, as kubectl with that user's kubeconfig would.
func as(user string) client.Client { return env.UserClient(user) }

// mustCreate creates obj as user, failing the test on an error, and deletes it (as the admin) afterwards.
func mustCreate(t *testing.T, user string, obj client.Object) {
	t.Helper()
	if err := as(user).Create(context.Background(), obj); err != nil {
		t.Fatalf("%s creates %T %s: %v", user, obj, obj.GetName(), err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), obj) })
	if c, ok := obj.(*naasv1alpha1.NamespaceClaim); ok {
		waitReadable(t, user, c.Name)
	}
}

// waitReadable waits until user may read claim name through the API server: naas names a new claim in its
// tenant's role (see docs/security.md) a moment after it is created, and until then its members' reads and
// writes of it are refused by RBAC.
func waitReadable(t *testing.T, user, name string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, user+" reads claim "+name, func() error {
		return as(user).Get(context.Background(), client.ObjectKey{Name: name}, &naasv1alpha1.NamespaceClaim{})
	})
}

// denied checks that err is a denial of the given reason whose message names every part of want.
func denied(t *testing.T, what string, err error, reason metav1.StatusReason, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: allowed, want %s", what, reason)
		return
	}
	t.Logf("%s: refused: %v", what, err)
	if got := apierrors.ReasonForError(err); got != reason {
		t.Errorf("%s: reason %s, want %s: %v", what, got, reason, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: denial does not say %q: %v", what, w, err)
		}
	}
}

// provision creates a claim as the admin and waits until its namespace is ready for tenant users: bundle in
// place, quota status filled in by kube-controller-manager and the default service account made.
func provision(t *testing.T, c *naasv1alpha1.NamespaceClaim) {
	t.Helper()
	ctx := context.Background()
	if err := env.Client.Create(ctx, c); err != nil {
		t.Fatalf("create claim %s: %v", c.Name, err)
	}
	t.Cleanup(func() { deleteClaim(c.Name) })
	waitReady(t, c.Name)
	testenv.Eventually(t, 60*time.Second, "namespace "+c.Name+" usable", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: c.Name, Name: "default"}, &corev1.ServiceAccount{}); err != nil {
			return err
		}
		rq := &corev1.ResourceQuota{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: c.Name, Name: bundle.QuotaName}, rq); err != nil {
			return err
		}
		if rq.Status.Hard == nil {
			return errors.New("quota status not filled in yet")
		}
		return nil
	})
}

func deleteClaim(name string) {
	ctx := context.Background()
	c := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
		return
	}
	if c.Spec.DeletionProtection {
		c.Spec.DeletionProtection = false
		_ = env.Client.Update(ctx, c)
	}
	_ = env.Client.Delete(ctx, c)
}

func waitReady(t *testing.T, name string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	c := &naasv1alpha1.NamespaceClaim{}
	testenv.Eventually(t, 60*time.Second, "claim "+name+" ready", func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		if !meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady) {
			return fmt.Errorf("not ready: %v", c.Status.Conditions)
		}
		return nil
	})
	return c
}

// restrictedPod is a pod the restricted Pod Security level and the default tiers admit.
func restrictedPod(ns, name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.example/app:1", ImagePullPolicy: corev1.PullAlways,
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				},
			}},
		},
	}
}

// eventuallyAs retries a write as a tenant user until RBAC caught up (role aggregation is asynchronous), then
// returns the first answer that is not an RBAC refusal.
func eventuallyAs(t *testing.T, user string, write func(c client.Client) error) error {
	t.Helper()
	var err error
	c := as(user)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		err = write(c)
		if err == nil || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "cannot create resource") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
