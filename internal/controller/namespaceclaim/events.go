package namespaceclaim

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// EventRecorderName is the reporting controller of the Events naas records on claims.
const EventRecorderName = "naas-namespaceclaim"

// maxEventNote is the longest note the API server accepts in an Event (events.k8s.io/v1).
const maxEventNote = 1024

// newEventRecorder is where the reconciler gets its recorder from the manager (events.k8s.io/v1): the one call
// to change if controller-runtime's recorder API does (v0.25's recorder.EventRecorder embeds
// events.EventRecorder, so it compiles unchanged there).
func newEventRecorder(mgr ctrl.Manager) events.EventRecorder {
	return mgr.GetEventRecorder(EventRecorderName)
}

// recordEvents records, as Kubernetes Events on the claim (what `kubectl describe namespaceclaim` and `kubectl
// events` show), the transitions the pass made: each step or gate whose condition changed status or reason,
// and the claim becoming Ready. A step's first success is told by the Ready event, which names every step done,
// rather than by an event each: a claim's provisioning records one event, not ten. An idle pass records none.
func (r *Reconciler) recordEvents(s *scope) {
	if r.Events == nil {
		return
	}
	var doneSteps []string
	for _, res := range s.results {
		if res.outcome == off {
			continue
		}
		if res.outcome == done && !gates[res.condition] {
			doneSteps = append(doneSteps, res.condition)
		}
		before := meta.FindStatusCondition(s.original.Status.Conditions, res.condition)
		if before != nil && before.Status == res.status() && before.Reason == res.reason {
			continue
		}
		switch {
		case res.outcome == done && before == nil:
			// told by the Ready event
		case res.outcome == done:
			r.event(s.claim, corev1.EventTypeNormal, res.condition, res.condition, res.message)
		default:
			r.event(s.claim, eventType(res), res.reason, res.condition, res.condition+": "+res.message)
		}
	}
	was := meta.FindStatusCondition(s.original.Status.Conditions, naasv1alpha1.ConditionReady)
	now := meta.FindStatusCondition(s.claim.Status.Conditions, naasv1alpha1.ConditionReady)
	if now != nil && now.Status == metav1.ConditionTrue && (was == nil || was.Status != metav1.ConditionTrue) {
		note := now.Message
		if len(doneSteps) > 0 {
			note += "; done: " + strings.Join(doneSteps, ", ")
		}
		r.event(s.claim, corev1.EventTypeNormal, naasv1alpha1.ConditionReady, naasv1alpha1.ConditionReady, note)
	}
}

// eventType is Warning for what a user or an admin should look at: a step that cannot go on, or an API call that
// failed; Normal for a wait that ends by itself.
func eventType(res result) string {
	if res.outcome == stalled || res.reason == naasv1alpha1.ReasonApplyFailed {
		return corev1.EventTypeWarning
	}
	return corev1.EventTypeNormal
}

// event records one Event on the claim; the note is cut to what the API server accepts.
func (r *Reconciler) event(c *naasv1alpha1.NamespaceClaim, typ, reason, action, note string) {
	if len(note) > maxEventNote {
		note = strings.ToValidUTF8(note[:maxEventNote-3], "") + "..."
	}
	r.Events.Eventf(c, nil, typ, reason, action, "%s", note)
}
