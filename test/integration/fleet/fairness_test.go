package fleet

import (
	"context"
	"fmt"
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

// uidOn waits until obj (its kind and name set) exists on the member and returns its UID.
func uidOn(t *testing.T, member *testenv.Environment, obj client.Object) types.UID {
	t.Helper()
	onMember(t, member, obj)
	return obj.GetUID()
}

// landsIn waits until the member's API server classifies c's GET of path by the FlowSchema and priority level
// with the given UIDs, as its response headers say (X-Kubernetes-PF-FlowSchema-UID and -PriorityLevel-UID).
// The member's priority and fairness configuration follows its objects within moments.
func landsIn(t *testing.T, c *testenv.Caller, path string, schema, level types.UID, what string) {
	t.Helper()
	testenv.Eventually(t, testenv.WaitTimeout, what, func() error {
		got, err := c.Classify(context.Background(), path)
		if err != nil {
			return err
		}
		if got.FlowSchema != schema || got.PriorityLevel != level {
			return fmt.Errorf("status %d, FlowSchema %s and level %s, want %s and %s", got.Status, got.FlowSchema, got.PriorityLevel, schema, level)
		}
		return nil
	})
}

func newCaller(t *testing.T, member *testenv.Environment, user string) *testenv.Caller {
	t.Helper()
	c, err := testenv.NewCaller(member.UserConfig(user))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFairness_OnMemberTenantsLandInTheirTiersLevelAndNaasInItsOwn(t *testing.T) {
	waitCluster(t, memberOne, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	testenv.Tenant("apf").Admin("carol").Create(t, env)
	claimOn("apf-web", "apf", memberOne).Tier("dev").Create(t, env)
	env.WaitReady(t, "apf-web")

	schema := uidOn(t, member1, &flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: platform.TenantSchemaName("apf", "dev")}})
	tier := uidOn(t, member1, &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: platform.TierLevelName("dev")}})
	system := uidOn(t, member1, &flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: platform.LevelSystem}})
	systemLevel := uidOn(t, member1, &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: platform.LevelSystem}})
	globalDefault := uidOn(t, member1, &flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: "global-default"}})
	globalDefaultLevel := uidOn(t, member1, &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "global-default"}})

	configMaps := "/api/v1/namespaces/apf-web/configmaps"
	landsIn(t, newCaller(t, member1, "carol"), configMaps, schema, tier,
		"carol (tenant apf) in apf-web on member-1: apf's dev FlowSchema, the dev tier's level")
	// naas's own identity on the member (the user of its registration credentials, a cluster admin but not in
	// system:masters, which Kubernetes exempts first) lands in naas-system.
	landsIn(t, newCaller(t, member1, testenv.MemberIdentity), configMaps, system, systemLevel,
		"naas's identity on member-1: naas-system")
	// Attacker: a user in no tenant sending requests at the tenant's namespace (RBAC refuses them after priority
	// and fairness has counted them) stays where Kubernetes puts everyone: not in the tenant's flows, nor in
	// its tier's seats.
	landsIn(t, newCaller(t, member1, "mallory"), configMaps, globalDefault, globalDefaultLevel,
		"mallory (no tenant) at apf-web on member-1: global-default")
}
