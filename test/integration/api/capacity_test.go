package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// holdFinalizer keeps a namespace Terminating, as the finalizers of what runs in a namespace can.
const holdFinalizer = "test.naas.dev/hold"

// A claim being deleted keeps its tenant's slot until its namespace is gone: kubectl and the REST API both refuse
// a namespace over the cap while one is stuck in Terminating, and both admit it once the namespace is gone.
func TestNamespaceCap_DeletingClaimHoldsItsSlotUntilItsNamespaceIsGone(t *testing.T) {
	ctx := context.Background()
	p := startPlatform(t, platformConfig{})
	createTenant(t, "capped", func(s *naasv1alpha1.TenantSpec) { s.MaxNamespaces = ptr.To[int32](1) },
		user("bob", naasv1alpha1.RoleDeveloper))
	t.Cleanup(func() {
		_ = env.Client.Delete(ctx, &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "capped"}})
	})
	request := func(name string) map[string]any {
		return map[string]any{"name": name, "tenant": "capped", "template": "standard",
			"parameters": map[string]string{"owner_email": "bob@example.com"}}
	}
	kubectlClaim := func(name string) *naasv1alpha1.NamespaceClaim {
		return &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.NamespaceClaimSpec{
			Tenant: "capped", Template: "standard", Parameters: map[string]string{"owner_email": "bob@example.com"},
		}}
	}
	bob := env.UserClient("bob")
	const capMessage = `tenant "capped" already has 1 namespaces and allows at most 1 (spec.maxNamespaces)`

	r := p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", request("capped-a"))
	expect(t, r, http.StatusAccepted, "bob requests capped-a")
	p.waitPhase(t, as("bob"), "capped-a", naasv1alpha1.PhaseReady)

	// Hold the namespace in Terminating, then delete the claim.
	ns := &corev1.Namespace{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "capped-a"}, ns); err != nil {
		t.Fatal(err)
	}
	before := ns.DeepCopy()
	ns.Finalizers = append(ns.Finalizers, holdFinalizer)
	if err := env.Client.Patch(ctx, ns, client.MergeFrom(before)); err != nil {
		t.Fatal(err)
	}
	release := func() {
		ns := &corev1.Namespace{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "capped-a"}, ns); err != nil {
			return
		}
		before := ns.DeepCopy()
		ns.Finalizers = nil
		_ = env.Client.Patch(ctx, ns, client.MergeFrom(before))
	}
	t.Cleanup(release)
	if err := env.Client.Delete(ctx, &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "capped-a"}}); err != nil {
		t.Fatal(err)
	}
	poll(t, 60*time.Second, "capped-a Terminating with its claim being deleted", func() error {
		ns := &corev1.Namespace{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "capped-a"}, ns); err != nil {
			return err
		}
		c := &naasv1alpha1.NamespaceClaim{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "capped-a"}, c); err != nil {
			return err
		}
		if ns.Status.Phase != corev1.NamespaceTerminating || c.DeletionTimestamp == nil {
			return fmt.Errorf("namespace %s, claim deleting=%v", ns.Status.Phase, c.DeletionTimestamp != nil)
		}
		return nil
	})

	// While it is Terminating, both paths refuse a new namespace.
	err := bob.Create(ctx, kubectlClaim("capped-b"))
	if err == nil {
		_ = env.Client.Delete(ctx, kubectlClaim("capped-b"))
		t.Fatal("kubectl: a claim over the cap was admitted while the tenant's other namespace is Terminating")
	}
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), capMessage) {
		t.Errorf("kubectl: got %v, want the namespace cap", err)
	}
	r = p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", request("capped-b"))
	expect(t, r, http.StatusUnprocessableEntity, "REST API: capped-b over the cap")
	if !strings.Contains(string(r.body), "spec.maxNamespaces") {
		t.Errorf("REST API: %s, want the namespace cap", r)
	}

	// Once the namespace is gone (and with it the claim), both admit it.
	release()
	poll(t, 60*time.Second, "capped-a gone", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Name: "capped-a"}, &naasv1alpha1.NamespaceClaim{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("claim still there (%w)", err)
	})
	poll(t, 30*time.Second, "kubectl admits capped-b", func() error {
		return bob.Create(ctx, kubectlClaim("capped-b"), client.DryRunAll)
	})
	r = p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", request("capped-b"))
	expect(t, r, http.StatusAccepted, "REST API: capped-b once capped-a is gone")
	t.Cleanup(func() { _ = env.Client.Delete(ctx, kubectlClaim("capped-b")) })
}
