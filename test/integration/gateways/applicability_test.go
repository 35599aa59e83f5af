package gateways

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// TestSteps_NotApplicableUntilTheirCRDsAppear runs first, on a cluster without the Gateway API, cert-manager and
// Istio CRDs: the claim is Ready, its gateway, TLS and mesh steps say what to install, and each completes by
// itself once its CRDs are installed.
func TestSteps_NotApplicableUntilTheirCRDsAppear(t *testing.T) {
	templates(t)
	testenv.Tenant("early").Admin("alice").Domains("early.example.com").Create(t, env)
	env.CreateAs(t, "alice", claim("early-web", "early", tplMesh, "www.early.example.com"))

	c := env.WaitReady(t, "early-web")
	for step, want := range map[string][]string{
		naasv1alpha1.ConditionGateway: {"Gateway (gateway.networking.k8s.io/v1)", "the Gateway API"},
		naasv1alpha1.ConditionTLS:     {"Certificate (cert-manager.io/v1)", "cert-manager"},
		naasv1alpha1.ConditionMesh:    {"PeerAuthentication (security.istio.io/v1)", "AuthorizationPolicy (security.istio.io/v1)", "Istio"},
	} {
		cond := meta.FindStatusCondition(c.Status.Conditions, step)
		if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != naasv1alpha1.ReasonNotApplicable {
			t.Fatalf("%s = %+v, want False/NotApplicable", step, cond)
		}
		for _, w := range want {
			if !strings.Contains(cond.Message, w) {
				t.Errorf("%s message %q does not mention %q", step, cond.Message, w)
			}
		}
	}
	ready := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionReady)
	if !strings.Contains(ready.Message, "not applicable on this cluster") {
		t.Errorf("Ready message %q does not say which steps were skipped", ready.Message)
	}
	// The namespace holds its hostname whatever the cluster serves: routes are checked against it.
	if got := c.Status.Hostnames; len(got) != 1 || got[0] != "www.early.example.com" {
		t.Errorf("status.hostnames = %v, want [www.early.example.com]", got)
	}

	// The Gateway API, as naas up installs it: the gateway step completes; TLS still waits for cert-manager.
	installGatewayAPICRDs(t)
	env.WaitCondition(t, "early-web", naasv1alpha1.ConditionGateway, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
	env.WaitObject(t, gatewayGVK, "early-web", "naas", nil)
	c = env.WaitCondition(t, "early-web", naasv1alpha1.ConditionTLS, metav1.ConditionFalse, naasv1alpha1.ReasonNotApplicable)
	if msg := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionTLS).Message; strings.Contains(msg, "Gateway (") {
		t.Errorf("TLS message %q still names the Gateway kind, which is served now", msg)
	}

	installFixtureCRDs(t, &installCertManager, "cert-manager")
	env.WaitCondition(t, "early-web", naasv1alpha1.ConditionTLS, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)

	installFixtureCRDs(t, &installIstio, "istio")
	env.WaitCondition(t, "early-web", naasv1alpha1.ConditionMesh, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
	env.WaitObject(t, peerAuthGVK, "early-web", "naas-mtls", nil)
	env.WaitObject(t, authzGVK, "early-web", "naas-allow-tenant", nil)

	c = env.WaitReady(t, "early-web")
	if msg := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionReady).Message; strings.Contains(msg, "not applicable") {
		t.Errorf("Ready message %q still reports skipped steps", msg)
	}
}
