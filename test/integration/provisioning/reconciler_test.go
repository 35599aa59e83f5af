package provisioning

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// claimEvents are the Events recorded on the claim, as "Type Reason: note".
func claimEvents(ctx context.Context, name string) ([]string, error) {
	list := &eventsv1.EventList{}
	if err := env.Client.List(ctx, list); err != nil {
		return nil, err
	}
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "NamespaceClaim" && e.Regarding.Name == name {
			out = append(out, fmt.Sprintf("%s %s: %s", e.Type, e.Reason, e.Note))
		}
	}
	return out, nil
}

// waitEvent waits for an Event on the claim that starts with prefix ("Type Reason").
func waitEvent(t *testing.T, claim, prefix string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("event %q on claim %s", prefix, claim), func() error {
		events, err := claimEvents(context.Background(), claim)
		if err != nil {
			return err
		}
		for _, e := range events {
			if strings.HasPrefix(e, prefix) {
				return nil
			}
		}
		return testenv.Errorf("events: %v", events)
	})
}

func TestProvision_ClaimEventsTellEachStepsOutcome(t *testing.T) {
	testenv.Tenant("told").Admin("alice").Create(t, env)

	testenv.Claim("told-app", "told").Tier("dev").Create(t, env)
	env.WaitReady(t, "told-app")
	waitEvent(t, "told-app", "Normal Ready: namespace \"told-app\" is ready; done: NamespaceReady")

	testenv.Claim("told-bad", "told").Template("mainframe").Tier("dev").Create(t, env)
	waitEvent(t, "told-bad", "Warning UnknownTemplate: Valid: ")

	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "told-legacy"}}
	if err := env.Client.Create(context.Background(), foreign); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), foreign) })
	testenv.Claim("told-legacy", "told").Tier("dev").Create(t, env)
	waitEvent(t, "told-legacy", "Warning NamespaceNotOwned: NamespaceReady: ")
}

// waitTenantReady waits until the tenant's Ready condition has the status and reason.
func waitTenantReady(t *testing.T, name string, status metav1.ConditionStatus, reason string) *metav1.Condition {
	t.Helper()
	var cond *metav1.Condition
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("tenant %s Ready=%s (%s)", name, status, reason), func() error {
		tn := &naasv1alpha1.Tenant{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, tn); err != nil {
			return err
		}
		cond = meta.FindStatusCondition(tn.Status.Conditions, naasv1alpha1.ConditionReady)
		if cond == nil || cond.Status != status || cond.Reason != reason {
			return testenv.Errorf("Ready is %+v", cond)
		}
		return nil
	})
	return cond
}

func TestTenant_ReadySaysWhetherItsNamespacesAndMembersAgree(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("agree").Admin("alice").ServiceAccount("agree-ci", "deployer", naasv1alpha1.RoleDeveloper).Create(t, env)
	testenv.Claim("agree-app", "agree").Tier("dev").Create(t, env)
	env.WaitReady(t, "agree-app")

	cond := waitTenantReady(t, "agree", metav1.ConditionFalse, naasv1alpha1.ReasonMembersUnresolvable)
	if !strings.Contains(cond.Message, "agree-ci") {
		t.Errorf("Ready message %q does not name the missing namespace", cond.Message)
	}
	ci := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "agree-ci"}}
	if err := env.Client.Create(ctx, ci); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), ci) })
	waitTenantReady(t, "agree", metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)

	// A namespace that says it is naas's for the tenant, with no claim behind it.
	stray := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "agree-stray", Labels: map[string]string{
		naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelTenant: "agree", naasv1alpha1.LabelClaim: "agree-stray",
	}}}
	if err := env.Client.Create(ctx, stray); err != nil {
		t.Fatal(err)
	}
	cond = waitTenantReady(t, "agree", metav1.ConditionFalse, naasv1alpha1.ReasonNamespacesOrphaned)
	if !strings.Contains(cond.Message, "agree-stray") {
		t.Errorf("Ready message %q does not name the stray namespace", cond.Message)
	}
	if err := env.Client.Delete(ctx, stray); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	waitTenantReady(t, "agree", metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
}
