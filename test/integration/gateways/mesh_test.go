package gateways

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// allowedFrom reads the namespaces and principals an AuthorizationPolicy allows.
func allowedFrom(t *testing.T, ap *unstructured.Unstructured) (namespaces, principals []string) {
	t.Helper()
	rules, _, _ := unstructured.NestedSlice(ap.Object, "spec", "rules")
	for _, r := range rules {
		from, _, _ := unstructured.NestedSlice(r.(map[string]any), "from")
		for _, f := range from {
			ns, _, _ := unstructured.NestedStringSlice(f.(map[string]any), "source", "namespaces")
			ps, _, _ := unstructured.NestedStringSlice(f.(map[string]any), "source", "principals")
			namespaces = append(namespaces, ns...)
			principals = append(principals, ps...)
		}
	}
	return namespaces, principals
}

// TestMesh_StrictMutualTLSAndOnlyTheTenantCollaboratorsAndGatewayAllowed checks the mesh step of a namespace: its
// enrolment label, mutual TLS required, and calls allowed from the tenant's namespaces (kept up to date as the
// tenant gets more), a collaborator let in, and the namespace's gateway.
func TestMesh_StrictMutualTLSAndOnlyTheTenantCollaboratorsAndGatewayAllowed(t *testing.T) {
	installCRDs(t)
	templates(t)
	testenv.Tenant("mesh").Admin("alice").Domains("mesh.example.com").Create(t, env)
	testenv.Tenant("friend").Admin("bob").Domains("friend.example.com").Create(t, env)
	testenv.Tenant("stranger").Admin("carol").Domains("stranger.example.com").Create(t, env)
	env.CreateAs(t, "bob", claim("friend-app", "friend", tplPlain))
	env.CreateAs(t, "carol", claim("stranger-app", "stranger", tplPlain))
	env.CreateAs(t, "alice", claim("mesh-db", "mesh", tplPlain))
	front := claim("mesh-front", "mesh", tplMesh)
	front.Spec.Collaborators = []naasv1alpha1.Collaborator{{Tenant: "friend", Access: naasv1alpha1.CollaboratorViewer, AllowIngress: true}}
	env.CreateAs(t, "alice", front)
	env.WaitCondition(t, "mesh-front", naasv1alpha1.ConditionMesh, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)

	ns := &corev1.Namespace{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "mesh-front"}, ns); err != nil {
		t.Fatal(err)
	}
	if ns.Labels["istio-injection"] != "enabled" {
		t.Errorf("namespace labels %v: want istio-injection=enabled (sidecar mode, the default)", ns.Labels)
	}
	pa := env.GetObject(t, peerAuthGVK, "mesh-front", "naas-mtls")
	if mode, _, _ := unstructured.NestedString(pa.Object, "spec", "mtls", "mode"); mode != "STRICT" {
		t.Errorf("PeerAuthentication mode = %q, want STRICT", mode)
	}
	ap := env.GetObject(t, authzGVK, "mesh-front", "naas-allow-tenant")
	if action, _, _ := unstructured.NestedString(ap.Object, "spec", "action"); action != "ALLOW" {
		t.Errorf("AuthorizationPolicy action = %q, want ALLOW", action)
	}
	namespaces, principals := allowedFrom(t, ap)
	if diff := cmp.Diff([]string{"friend-app", "mesh-db", "mesh-front"}, namespaces); diff != "" {
		t.Errorf("allowed namespaces (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"cluster.local/ns/mesh-front/sa/naas-naas"}, principals); diff != "" {
		t.Errorf("allowed principals (-want +got):\n%s", diff)
	}

	// A new namespace of the tenant is let in without touching the claim.
	env.CreateAs(t, "alice", claim("mesh-jobs", "mesh", tplPlain))
	env.WaitObject(t, authzGVK, "mesh-front", "naas-allow-tenant", func(ap *unstructured.Unstructured) error {
		namespaces, _ := allowedFrom(t, ap)
		if diff := cmp.Diff([]string{"friend-app", "mesh-db", "mesh-front", "mesh-jobs"}, namespaces); diff != "" {
			return testenv.Errorf("allowed namespaces (-want +got):\n%s", diff)
		}
		return nil
	})
}

func TestMesh_TurnedOffInTheTemplateLeavesTheMesh(t *testing.T) {
	installCRDs(t)
	template(t, "gw-mesh-switch", naasv1alpha1.Features{Mesh: true})
	testenv.Tenant("unmesh").Admin("alice").Domains("unmesh.example.com").Create(t, env)
	env.CreateAs(t, "alice", claim("unmesh-app", "unmesh", "gw-mesh-switch"))
	env.WaitCondition(t, "unmesh-app", naasv1alpha1.ConditionMesh, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)

	env.UpdateTemplate(t, "gw-mesh-switch", func(tpl *naasv1alpha1.NamespaceTemplate) { tpl.Spec.Features.Mesh = false })
	testenv.Eventually(t, 30*time.Second, "the mesh policies and enrolment label removed", func() error {
		if env.GetObject(t, peerAuthGVK, "unmesh-app", "naas-mtls") != nil || env.GetObject(t, authzGVK, "unmesh-app", "naas-allow-tenant") != nil {
			return testenv.Errorf("mesh policies still there")
		}
		ns := &corev1.Namespace{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "unmesh-app"}, ns); err != nil {
			return err
		}
		if _, ok := ns.Labels["istio-injection"]; ok {
			return testenv.Errorf("namespace still labelled istio-injection: %v", ns.Labels)
		}
		return nil
	})
}
