// Package admission tests naas's admission on the real local control plane with the webhooks and admission
// policies registered, acting as tenant users through ordinary client calls (what kubectl and GitOps tools
// send): who may create, change and delete claims, the tenant guardrails, the exact namespace count and
// tenant quota under concurrency, and the workload policies (Pod Security and naas's admission policies).
package admission

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

// kube-apiserver reaches the webhooks through a Service, as in a real install (docs/install.md).
func TestMain(m *testing.M) {
	testenv.MainWithPlatform(m, &env, nil, testenv.Options{AsServiceAccount: true, WebhooksThroughService: true})
}

// createTier creates a tier for one test.
func createTier(t *testing.T, name string, spec naasv1alpha1.TierSpec) {
	t.Helper()
	env.Create(t, &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec})
}

// claim is a claim of the standard template in the tier.
func claim(name, tenantName, tier string) *naasv1alpha1.NamespaceClaim {
	return testenv.Claim(name, tenantName).Tier(tier).Obj()
}

// as returns a client that acts as a static token user, as kubectl with that user's kubeconfig would.
func as(user string) client.Client { return env.UserClient(user) }

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
