package namespaceclaim

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// gates are conditions that decide whether provisioning may start; every other
// condition except Ready is a provisioning step.
var gates = map[string]bool{
	naasv1alpha1.ConditionReady:    true,
	naasv1alpha1.ConditionValid:    true,
	naasv1alpha1.ConditionApproved: true,
}

// terminal reasons are failures that only a change to the claim, tenant or catalog can fix.
var terminal = map[string]bool{
	naasv1alpha1.ReasonUnknownTenant:     true,
	naasv1alpha1.ReasonUnknownTemplate:   true,
	naasv1alpha1.ReasonUnknownTier:       true,
	naasv1alpha1.ReasonInvalidParameters: true,
	naasv1alpha1.ReasonNamingRules:       true,
	naasv1alpha1.ReasonNotAllowed:        true,
	naasv1alpha1.ReasonForbidden:         true,
	naasv1alpha1.ReasonNamespaceConflict: true,
	naasv1alpha1.ReasonRejected:          true,
	naasv1alpha1.ReasonTemplateError:     true,
	naasv1alpha1.ReasonFailed:            true,
}

// summarize sets Ready and the phase from the other conditions.
func summarize(c *naasv1alpha1.NamespaceClaim) {
	set := func(status metav1.ConditionStatus, reason, msg, phase string) {
		meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{
			Type: naasv1alpha1.ConditionReady, Status: status, Reason: reason, Message: msg, ObservedGeneration: c.Generation,
		})
		c.Status.Phase = phase
	}
	if !c.DeletionTimestamp.IsZero() {
		msg := "the namespace is being deleted"
		if c.Spec.DeletionProtection {
			msg = "deletion is blocked by deletion protection: set spec.deletionProtection to false"
		}
		set(metav1.ConditionFalse, naasv1alpha1.ReasonWaiting, msg, naasv1alpha1.PhaseTerminating)
		return
	}
	for _, gate := range []string{naasv1alpha1.ConditionValid, naasv1alpha1.ConditionApproved} {
		cond := meta.FindStatusCondition(c.Status.Conditions, gate)
		if cond == nil || cond.Status == metav1.ConditionTrue {
			continue
		}
		phase := naasv1alpha1.PhaseFailed
		if cond.Reason == naasv1alpha1.ReasonPendingApproval {
			phase = naasv1alpha1.PhasePending
		}
		set(metav1.ConditionFalse, cond.Reason, cond.Message, phase)
		return
	}
	var pending, skipped []string
	steps := 0
	for _, cond := range c.Status.Conditions {
		if gates[cond.Type] {
			continue
		}
		steps++
		if cond.Status == metav1.ConditionTrue {
			continue
		}
		// A step this cluster cannot do (an add-on's CRDs are missing) never fails provisioning.
		if cond.Reason == naasv1alpha1.ReasonNotApplicable {
			skipped = append(skipped, cond.Type)
			continue
		}
		if terminal[cond.Reason] {
			set(metav1.ConditionFalse, cond.Reason, fmt.Sprintf("%s: %s", cond.Type, cond.Message), naasv1alpha1.PhaseFailed)
			return
		}
		pending = append(pending, cond.Type)
	}
	switch {
	case steps == 0:
		set(metav1.ConditionFalse, naasv1alpha1.ReasonProgressing, "provisioning has not started", naasv1alpha1.PhasePending)
	case len(pending) > 0:
		set(metav1.ConditionFalse, naasv1alpha1.ReasonProgressing, "waiting for "+strings.Join(pending, ", "), naasv1alpha1.PhaseProvisioning)
	case len(skipped) > 0:
		set(metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, fmt.Sprintf("namespace %q is ready; not applicable on this cluster: %s",
			c.Name, strings.Join(skipped, ", ")), naasv1alpha1.PhaseReady)
	default:
		set(metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, fmt.Sprintf("namespace %q is ready", c.Name), naasv1alpha1.PhaseReady)
	}
}
