package fleet

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/config"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

// TestAddOns_CheckedAgainstTheMemberTheClaimIsOn: the management cluster serves no Gateway API; member-1 does,
// member-2 does not. A gateway template's claim gets its Gateway on member-1, and on member-2 a condition that
// names member-2 and what to install there.
func TestAddOns_CheckedAgainstTheMemberTheClaimIsOn(t *testing.T) {
	ctx := context.Background()
	admin, err := client.New(member1.Config, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.InstallCRDs(ctx, admin, config.GatewayAPICRDs, config.GatewayAPICRDDir); err != nil {
		t.Fatalf("install the Gateway API CRDs on member-1: %v", err)
	}
	if _, err := env.Client.RESTMapper().RESTMapping(bundle.GatewayGVK.GroupKind(), bundle.GatewayGVK.Version); err == nil {
		t.Fatal("the management cluster serves the Gateway API: the test needs it not to")
	}
	tpl := &naasv1alpha1.NamespaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "fleet-gateway"},
		Spec:       naasv1alpha1.NamespaceTemplateSpec{DisplayName: "gateway", DefaultTier: "dev", Features: naasv1alpha1.Features{Gateway: true}},
	}
	if err := env.Client.Create(ctx, tpl); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	waitCluster(t, memberOne, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	waitCluster(t, memberTwo, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	testenv.Tenant("edge").Admin("alice").Domains("edge.example.com").Create(t, env)
	claimOn("edge-one", "edge", memberOne).Template(tpl.Name).Hostnames("www.edge.example.com").Create(t, env)
	claimOn("edge-two", "edge", memberTwo).Template(tpl.Name).Hostnames("api.edge.example.com").Create(t, env)
	t.Cleanup(func() { env.DeleteClaim("edge-one"); env.DeleteClaim("edge-two") })

	// member-1 serves the Gateway API: the Gateway is there.
	env.WaitCondition(t, "edge-one", naasv1alpha1.ConditionGateway, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
	member1.WaitObject(t, bundle.GatewayGVK, "edge-one", bundle.GatewayName, nil)

	// member-2 does not: the step says so, naming the cluster and what to install there.
	c := env.WaitCondition(t, "edge-two", naasv1alpha1.ConditionGateway, metav1.ConditionFalse, naasv1alpha1.ReasonNotApplicable)
	msg := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionGateway).Message
	for _, want := range []string{"cluster " + memberTwo, "Gateway (gateway.networking.k8s.io/v1)", "Gateway API"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Gateway condition of edge-two %q does not mention %q", msg, want)
		}
	}
}
