package gateways

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// TestNamespace_HostnamesAndIngressLabelsAreNaasEvenForUsersWhoMayUpdateNamespaces gives a user the right to
// update namespaces (as some cluster tooling has): the hostnames annotation and the tenants a namespace lets in
// stay naas's, while other labels may change.
func TestNamespace_HostnamesAndIngressLabelsAreNaasEvenForUsersWhoMayUpdateNamespaces(t *testing.T) {
	templates(t)
	testenv.Tenant("labels").Admin("alice").Domains("labels.example.com").Create(t, env)
	env.CreateAs(t, "alice", claim("labels-app", "labels", tplPlain))
	env.WaitReady(t, "labels-app")
	ctx := context.Background()
	env.GrantClusterRole(t, "test-namespace-editor", "mallory",
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "update", "patch"}})
	mallory := env.UserClient("mallory")
	change := func(edit func(ns *corev1.Namespace)) error {
		ns := &corev1.Namespace{}
		if err := mallory.Get(ctx, client.ObjectKey{Name: "labels-app"}, ns); err != nil {
			return err
		}
		edit(ns)
		return mallory.Update(ctx, ns)
	}
	testenv.Eventually(t, 10*time.Second, "mallory may update namespaces", func() error {
		return change(func(ns *corev1.Namespace) { ns.Labels["team"] = "platform" })
	})
	for _, tt := range []struct {
		name string
		edit func(ns *corev1.Namespace)
		want string
	}{
		{"take another hostname", func(ns *corev1.Namespace) {
			ns.Annotations[naasv1alpha1.AnnotationHostnames] = "*.example.com"
		}, "change the NamespaceClaim's spec.hostnames"},
		{"drop the hostnames", func(ns *corev1.Namespace) { delete(ns.Annotations, naasv1alpha1.AnnotationHostnames) }, "spec.hostnames"},
		{"let a tenant in", func(ns *corev1.Namespace) { ns.Labels["ingress.naas.dev/rival"] = "allowed" }, "spec.collaborators"},
	} {
		err := change(tt.edit)
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want Forbidden saying %q", tt.name, err, tt.want)
		}
	}
}
