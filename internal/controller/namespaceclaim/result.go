package namespaceclaim

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// outcome is what a phase or step came to: the one value the pass, the claim's conditions, its Ready summary
// and its Events are all derived from (Flux's Stalling and Waiting errors are the model).
type outcome int

const (
	// done: the step is in place; its condition is True.
	done outcome = iota + 1
	// waiting: the step is not done yet and completes by itself, on a later pass (an API error, a dependency
	// not ready, a namespace still being deleted): the claim is Provisioning.
	waiting
	// stalled: only a change to the claim, its tenant or the catalog can fix the step (an unknown template, a
	// namespace naas did not make, a template that does not render): the claim is Failed, and nothing retries it
	// until something changes.
	stalled
	// held: the step waits for a person's decision (an approval): the claim is Pending.
	held
	// skipped: the target cluster cannot do the step (an add-on's CRDs are missing); it never holds Ready back.
	skipped
	// off: the step is not wanted (a feature the template does not turn on); the claim shows no condition for it.
	off
)

// result is the typed outcome of one phase or step: the condition it reports and what it means for the pass.
type result struct {
	// condition is the condition type the result reports; empty reports none (a phase with nothing to say).
	condition string
	outcome   outcome
	// reason and message are the condition's.
	reason, message string
	// requeueAfter asks for another pass after this long, for what no watch reports.
	requeueAfter time.Duration
}

func resultDone(condition, message string) result {
	return result{condition: condition, outcome: done, reason: naasv1alpha1.ReasonReconciled, message: message}
}

func resultWaiting(condition, reason, message string) result {
	return result{condition: condition, outcome: waiting, reason: reason, message: message}
}

func resultStalled(condition, reason, message string) result {
	return result{condition: condition, outcome: stalled, reason: reason, message: message}
}

// blocks tells whether the result ends the pass: a phase that waits, stalls or is held keeps the later ones
// from running.
func (r result) blocks() bool {
	return r.condition != "" && (r.outcome == waiting || r.outcome == stalled || r.outcome == held)
}

// status is the condition status the result reports.
func (r result) status() metav1.ConditionStatus {
	if r.outcome == done {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}

// report applies results to the claim's conditions and keeps them for the summary and the events, in order.
func (s *scope) report(rs ...result) {
	for _, r := range rs {
		if r.condition == "" {
			continue
		}
		s.results = append(s.results, r)
		if r.outcome == off {
			meta.RemoveStatusCondition(&s.claim.Status.Conditions, r.condition)
			continue
		}
		meta.SetStatusCondition(&s.claim.Status.Conditions, metav1.Condition{
			Type: r.condition, Status: r.status(), Reason: r.reason, Message: r.message, ObservedGeneration: s.claim.Generation,
		})
	}
}

// requeueAfter is the soonest another pass is asked for, zero for none.
func requeueAfter(rs []result) time.Duration {
	var after time.Duration
	for _, r := range rs {
		if r.requeueAfter > 0 && (after == 0 || r.requeueAfter < after) {
			after = r.requeueAfter
		}
	}
	return after
}

// gates are conditions that decide whether provisioning may start, rather than steps of it: their messages speak
// for themselves in Ready's.
var gates = map[string]bool{naasv1alpha1.ConditionValid: true, naasv1alpha1.ConditionApproved: true, naasv1alpha1.ConditionPlaced: true}

// summary is the claim's Ready condition and phase, as the results of a pass make them.
type summary struct {
	status          metav1.ConditionStatus
	reason, message string
	phase           string
}

// summarize reads the results of a complete pass, in order, into Ready and the phase: a stalled result fails the
// claim, a held one keeps it pending, a waiting one keeps it provisioning; skipped steps do not hold Ready back.
func summarize(name string, results []result) summary {
	var pending, notServed []string
	heldBy := -1
	for i, r := range results {
		switch r.outcome {
		case stalled:
			msg := r.message
			if !gates[r.condition] {
				msg = fmt.Sprintf("%s: %s", r.condition, r.message)
			}
			return summary{metav1.ConditionFalse, r.reason, msg, naasv1alpha1.PhaseFailed}
		case held:
			if heldBy < 0 {
				heldBy = i
			}
		case waiting:
			pending = append(pending, r.condition)
		case skipped:
			notServed = append(notServed, r.condition)
		}
	}
	switch {
	case heldBy >= 0:
		r := results[heldBy]
		return summary{metav1.ConditionFalse, r.reason, r.message, naasv1alpha1.PhasePending}
	case len(pending) > 0:
		return summary{metav1.ConditionFalse, naasv1alpha1.ReasonProgressing, "waiting for " + strings.Join(pending, ", "), naasv1alpha1.PhaseProvisioning}
	case len(results) == 0:
		return summary{metav1.ConditionFalse, naasv1alpha1.ReasonProgressing, "provisioning has not started", naasv1alpha1.PhasePending}
	case len(notServed) > 0:
		return summary{metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, fmt.Sprintf("namespace %q is ready; not applicable on this cluster: %s",
			name, strings.Join(notServed, ", ")), naasv1alpha1.PhaseReady}
	default:
		return summary{metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, fmt.Sprintf("namespace %q is ready", name), naasv1alpha1.PhaseReady}
	}
}

// terminating is the summary of a claim being deleted.
func terminating(c *naasv1alpha1.NamespaceClaim) summary {
	msg := "the namespace is being deleted"
	if c.Spec.DeletionProtection {
		msg = "deletion is blocked by deletion protection: set spec.deletionProtection to false"
	}
	return summary{metav1.ConditionFalse, naasv1alpha1.ReasonWaiting, msg, naasv1alpha1.PhaseTerminating}
}

// setReady writes the summary into the claim's status.
func setReady(c *naasv1alpha1.NamespaceClaim, sum summary) {
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{
		Type: naasv1alpha1.ConditionReady, Status: sum.status, Reason: sum.reason, Message: sum.message, ObservedGeneration: c.Generation,
	})
	c.Status.Phase = sum.phase
}
