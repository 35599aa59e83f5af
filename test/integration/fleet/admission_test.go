package fleet

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// TestAdmission_NeedsNothingFromMembers: admission on the management cluster decides from the management
// cluster alone, so every replica's webhooks decide alike without the members' inventories (which run on the
// leader only). A claim for a name a member already uses for a namespace of its own is admitted, and the claim
// controller, which reads the member, refuses to take the namespace over; nothing of the member's changes.
func TestAdmission_NeedsNothingFromMembers(t *testing.T) {
	ctx := context.Background()
	waitCluster(t, memberOne, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	theirs := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "taken-app", Labels: map[string]string{"owner": "member-team"}}}
	if err := member1.Client.Create(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = member1.Client.Delete(ctx, theirs) })
	testenv.Tenant("taken").Admin("alice").Create(t, env)
	env.CreateAs(t, "alice", claimOn("taken-app", "taken", memberOne).Obj())
	t.Cleanup(func() { env.DeleteClaim("taken-app") })

	c := env.WaitCondition(t, "taken-app", naasv1alpha1.ConditionNamespace, metav1.ConditionFalse, naasv1alpha1.ReasonNamespaceConflict)
	if msg := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionNamespace).Message; !strings.Contains(msg, "not managed by naas") {
		t.Errorf("Namespace condition %q does not say the namespace is not naas's", msg)
	}
	live := &corev1.Namespace{}
	if err := member1.Client.Get(ctx, client.ObjectKeyFromObject(theirs), live); err != nil {
		t.Fatal(err)
	}
	if live.Labels[naasv1alpha1.LabelManagedBy] != "" || live.Labels["owner"] != "member-team" {
		t.Errorf("the member's own namespace was changed: labels %v", live.Labels)
	}
}
