package bundle

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func withMesh(in *Input) { in.Template.Spec.Features.Mesh = true }

func TestBuild_MeshRequiresMutualTLSAndAllowsTheTenantItsCollaboratorsAndTheGateway(t *testing.T) {
	in := testInput(withMesh, withGateway, withHostnames("api.pay.example.com"), func(in *Input) {
		in.Claim.Spec.Collaborators = []naasv1alpha1.Collaborator{
			{Tenant: "billing", Access: naasv1alpha1.CollaboratorViewer, AllowIngress: true},
			{Tenant: "audit", Access: naasv1alpha1.CollaboratorViewer},
		}
		in.PeerNamespaces = map[string][]string{
			testTenant: {"payments-db", testNamespace},
			"billing":  {"billing-api"},
			"audit":    {"audit-tools"}, // a collaborator without ingress
			"other":    {"other-web"},   // not a collaborator at all
		}
	})
	s := step(t, mustBuild(t, in), naasv1alpha1.ConditionMesh)
	if diff := cmp.Diff(stepSummary{
		Requires: []string{"security.istio.io/v1 PeerAuthentication", "security.istio.io/v1 AuthorizationPolicy"},
		Objects:  []string{"security.istio.io/v1 PeerAuthentication/naas-mtls", "security.istio.io/v1 AuthorizationPolicy/naas-allow-tenant"},
	}, summarize(s)); diff != "" {
		t.Fatalf("mesh step (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"mtls": map[string]any{"mode": "STRICT"}}, s.Objects[0].Object["spec"]); diff != "" {
		t.Errorf("PeerAuthentication spec (-want +got):\n%s", diff)
	}
	want := map[string]any{
		"action": "ALLOW",
		"rules": []any{map[string]any{"from": []any{
			map[string]any{"source": map[string]any{"namespaces": []any{"billing-api", "payments-api", "payments-db"}}},
			map[string]any{"source": map[string]any{"principals": []any{"cluster.local/ns/payments-api/sa/naas-naas"}}},
		}}},
	}
	if diff := cmp.Diff(want, s.Objects[1].Object["spec"]); diff != "" {
		t.Errorf("AuthorizationPolicy spec (-want +got):\n%s", diff)
	}
	for _, o := range s.Objects {
		if diff := cmp.Diff(commonLabels(), o.GetLabels()); diff != "" {
			t.Errorf("%s labels (-want +got):\n%s", o.GetName(), diff)
		}
	}
}

func TestBuild_MeshWithoutPeersAllowsTheNamespaceItself(t *testing.T) {
	s := step(t, mustBuild(t, testInput(withMesh)), naasv1alpha1.ConditionMesh)
	from := s.Objects[1].Object["spec"].(map[string]any)["rules"].([]any)[0].(map[string]any)["from"]
	want := []any{map[string]any{"source": map[string]any{"namespaces": []any{testNamespace}}}}
	if diff := cmp.Diff(want, from); diff != "" {
		t.Errorf("from (-want +got), without a gateway no gateway principal:\n%s", diff)
	}
	if !strings.Contains(s.Install, "Istio") {
		t.Errorf("install hint %q should name Istio", s.Install)
	}
}

func TestBuild_MeshEnrolsTheNamespaceInTheConfiguredMode(t *testing.T) {
	tests := []struct {
		mode      MeshMode
		key, want string
	}{
		{"", "istio-injection", "enabled"},
		{MeshSidecar, "istio-injection", "enabled"},
		{MeshAmbient, "istio.io/dataplane-mode", "ambient"},
	}
	for _, tt := range tests {
		in := testInput(withMesh, func(in *Input) { in.Config.MeshMode = tt.mode })
		ns := typed[corev1.Namespace](t, step(t, mustBuild(t, in), naasv1alpha1.ConditionNamespace).Objects[0])
		if got := ns.Labels[tt.key]; got != tt.want {
			t.Errorf("mode %q: label %s = %q, want %q (labels %v)", tt.mode, tt.key, got, tt.want, ns.Labels)
		}
	}
	ns := typed[corev1.Namespace](t, step(t, mustBuild(t, testInput()), naasv1alpha1.ConditionNamespace).Objects[0])
	for _, k := range []string{"istio-injection", "istio.io/dataplane-mode"} {
		if _, ok := ns.Labels[k]; ok {
			t.Errorf("mesh off: namespace has label %s", k)
		}
	}
}

func TestBuild_MeshTurnedOffRemovesItsPolicies(t *testing.T) {
	want := stepSummary{Off: true, Remove: []string{
		"security.istio.io/v1 PeerAuthentication/naas-mtls", "security.istio.io/v1 AuthorizationPolicy/naas-allow-tenant",
	}}
	if diff := cmp.Diff(want, summarize(step(t, mustBuild(t, testInput()), naasv1alpha1.ConditionMesh))); diff != "" {
		t.Errorf("mesh step (-want +got):\n%s", diff)
	}
}
