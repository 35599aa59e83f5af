package gateways

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// canListPods tells whether user may list the pods of namespace (a read every viewer has).
func canListPods(user, namespace string) error {
	return env.UserClient(user).List(context.Background(), &corev1.PodList{}, client.InNamespace(namespace))
}

// canCreateConfigMap tells whether user may create a config map in namespace (a write developers have), with a
// dry run, so nothing is made.
func canCreateConfigMap(user, namespace string) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "probe"}}
	return env.UserClient(user).Create(context.Background(), cm, client.DryRunAll)
}

func waitAllowed(t *testing.T, what string, check func() error) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, what, check)
}

func waitForbidden(t *testing.T, what string, check func() error) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, what, func() error {
		err := check()
		if apierrors.IsForbidden(err) {
			return nil
		}
		return testenv.Errorf("got %v, want Forbidden", err)
	})
}

type auditPage struct {
	Items []struct {
		User, Action, Namespace, Target, Result string
		Details                                 map[string]string
	} `json:"items"`
}

// audited returns the actions of the audit log for namespace, oldest first, as "user action target result".
func audited(t *testing.T, namespace string) []string {
	t.Helper()
	return auditLog(t, "platform-admin", "namespace="+namespace)
}

// auditLog returns the audit log as user reads it with the query, oldest first, as "user action target result".
func auditLog(t *testing.T, user, query string) []string {
	t.Helper()
	r := call(t, user, http.MethodGet, "/audit?"+query, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("query the audit log (%s) as %s: %s", query, user, r)
	}
	var page auditPage
	if err := json.Unmarshal(r.Body, &page); err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(page.Items) - 1; i >= 0; i-- {
		e := page.Items[i]
		out = append(out, e.User+" "+e.Action+" "+e.Target+" "+e.Result)
	}
	return out
}

// TestCollaboration_GrantLetsTheOtherTenantInAndRevokingTakesItAway has a tenant admin grant another tenant
// access to one namespace through the REST API, raise it, and revoke it, and checks what the other tenant's
// users may do each time, the network policy letting them in, and the audit log.
func TestCollaboration_GrantLetsTheOtherTenantInAndRevokingTakesItAway(t *testing.T) {
	templates(t)
	testenv.Tenant("host").Admin("alice").Developer("bob").Domains("host.example.com").Create(t, env)
	testenv.Tenant("guest").Admin("carol").Viewer("dave").Domains("guest.example.com").Create(t, env)
	env.CreateAs(t, "alice", claim("host-app", "host", tplPlain))
	env.CreateAs(t, "carol", claim("guest-app", "guest", tplPlain))
	env.WaitReady(t, "host-app")
	env.WaitReady(t, "guest-app")

	if err := canListPods("carol", "host-app"); !apierrors.IsForbidden(err) {
		t.Fatalf("before any grant, carol lists host-app's pods: %v, want Forbidden", err)
	}

	// Only the tenant's admins grant access.
	grant := map[string]any{"tenant": "guest", "access": "viewer", "allowIngress": true}
	if r := call(t, "bob", http.MethodPost, "/namespaces/host-app/collaborators", grant); r.Status != http.StatusForbidden {
		t.Errorf("a developer grants access: %s, want 403", r)
	}
	if r := call(t, "carol", http.MethodPost, "/namespaces/host-app/collaborators", grant); r.Status != http.StatusNotFound {
		t.Errorf("the other tenant's admin grants itself access: %s, want 404 (it may not even see the namespace)", r)
	}
	if err := env.UpdateClaimAs(t, "bob", "host-app", func(c *naasv1alpha1.NamespaceClaim) {
		c.Spec.Collaborators = []naasv1alpha1.Collaborator{{Tenant: "guest", Access: naasv1alpha1.CollaboratorDeveloper}}
	}); !apierrors.IsForbidden(err) {
		t.Errorf("a developer edits the claim's collaborators directly: %v, want Forbidden", err)
	}

	r := call(t, "alice", http.MethodPost, "/namespaces/host-app/collaborators", grant)
	if r.Status != http.StatusCreated {
		t.Fatalf("the tenant admin grants viewer access: %s, want 201", r)
	}
	if got := env.GetClaim(t, "host-app").Spec.Collaborators; len(got) != 1 || got[0].Tenant != "guest" || !got[0].AllowIngress {
		t.Errorf("claim collaborators = %+v", got)
	}
	waitAllowed(t, "carol (guest admin) reads host-app", func() error { return canListPods("carol", "host-app") })
	waitAllowed(t, "dave (guest viewer) reads host-app", func() error { return canListPods("dave", "host-app") })
	if err := canCreateConfigMap("carol", "host-app"); !apierrors.IsForbidden(err) {
		t.Errorf("with viewer access carol writes in host-app: %v, want Forbidden", err)
	}
	if err := canListPods("carol", "guest-app"); err != nil {
		t.Errorf("carol lost access to her own namespace: %v", err)
	}
	np := &networkingv1.NetworkPolicy{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: "host-app", Name: "naas-allow-from-tenant-guest"}, np); err != nil {
		t.Errorf("network policy letting guest in: %v", err)
	} else if sel := np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels; sel[naasv1alpha1.LabelTenant] != "guest" {
		t.Errorf("network policy lets in %v, want the namespaces of tenant guest", sel)
	}
	ns := &corev1.Namespace{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "host-app"}, ns); err != nil {
		t.Fatal(err)
	}
	if ns.Labels["ingress.naas.dev/guest"] != "allowed" {
		t.Errorf("host-app labels %v: want ingress.naas.dev/guest=allowed, which guest's egress policy selects", ns.Labels)
	}

	// The grant follows the other tenant's members: one added there reads here too.
	tn := &naasv1alpha1.Tenant{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "guest"}, tn); err != nil {
		t.Fatal(err)
	}
	tn.Spec.Owners = append(tn.Spec.Owners, naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectUser, Name: "erin", Role: naasv1alpha1.RoleViewer})
	if err := env.Client.Update(context.Background(), tn); err != nil {
		t.Fatal(err)
	}
	waitAllowed(t, "erin, new to guest, reads host-app", func() error { return canListPods("erin", "host-app") })

	// Raised to developer: the guest's admin works in the namespace, its viewer still only reads.
	grant["access"] = "developer"
	if r := call(t, "alice", http.MethodPost, "/namespaces/host-app/collaborators", grant); r.Status != http.StatusOK {
		t.Fatalf("raise the access to developer: %s, want 200", r)
	}
	waitAllowed(t, "carol writes in host-app as a developer", func() error { return canCreateConfigMap("carol", "host-app") })
	if err := canCreateConfigMap("dave", "host-app"); !apierrors.IsForbidden(err) {
		t.Errorf("the guest's viewer writes in host-app: %v, want Forbidden", err)
	}

	// Revoked: every grant is gone.
	if r := call(t, "alice", http.MethodDelete, "/namespaces/host-app/collaborators/guest", nil); r.Status != http.StatusOK {
		t.Fatalf("revoke: %s, want 200", r)
	}
	waitForbidden(t, "carol no longer reads host-app", func() error { return canListPods("carol", "host-app") })
	waitForbidden(t, "dave no longer reads host-app", func() error { return canListPods("dave", "host-app") })
	waitForbidden(t, "erin no longer reads host-app", func() error { return canListPods("erin", "host-app") })
	testenv.Eventually(t, 30*time.Second, "the network policy and label letting guest in removed", func() error {
		err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: "host-app", Name: "naas-allow-from-tenant-guest"}, &networkingv1.NetworkPolicy{})
		if !apierrors.IsNotFound(err) {
			return testenv.Errorf("network policy: %v", err)
		}
		ns := &corev1.Namespace{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "host-app"}, ns); err != nil {
			return err
		}
		if _, ok := ns.Labels["ingress.naas.dev/guest"]; ok {
			return testenv.Errorf("label ingress.naas.dev/guest still on host-app")
		}
		return nil
	})
	if r := call(t, "alice", http.MethodDelete, "/namespaces/host-app/collaborators/guest", nil); r.Status != http.StatusNotFound {
		t.Errorf("revoke again: %s, want 404", r)
	}

	// Every change, and every refusal, is in the audit log, by the user who asked.
	got := audited(t, "host-app")
	for _, want := range []string{
		"bob namespace.collaborator.add guest denied",
		"alice namespace.collaborator.add guest allowed",
		"alice namespace.collaborator.remove guest allowed",
	} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("audit log of host-app lacks %q; it has %v", want, got)
		}
	}
}
