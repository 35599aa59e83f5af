package namespaceclaim

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestSummarize_NotApplicableStepsDoNotHoldReadyBack(t *testing.T) {
	cond := func(typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: typ + " message"}
	}
	valid := cond(naasv1alpha1.ConditionValid, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
	ns := cond(naasv1alpha1.ConditionNamespace, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
	tests := []struct {
		name       string
		conditions []metav1.Condition
		wantStatus metav1.ConditionStatus
		wantPhase  string
		wantMsg    string
	}{
		{
			name: "every step done",
			conditions: []metav1.Condition{valid, ns,
				cond(naasv1alpha1.ConditionMonitoring, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)},
			wantStatus: metav1.ConditionTrue, wantPhase: naasv1alpha1.PhaseReady, wantMsg: `namespace "shop" is ready`,
		},
		{
			name: "a step not applicable on this cluster",
			conditions: []metav1.Condition{valid, ns,
				cond(naasv1alpha1.ConditionMonitoring, metav1.ConditionFalse, naasv1alpha1.ReasonNotApplicable)},
			wantStatus: metav1.ConditionTrue, wantPhase: naasv1alpha1.PhaseReady,
			wantMsg: `namespace "shop" is ready; not applicable on this cluster: MonitoringReady`,
		},
		{
			name: "a not-applicable step does not hide a pending one",
			conditions: []metav1.Condition{valid,
				cond(naasv1alpha1.ConditionNamespace, metav1.ConditionFalse, naasv1alpha1.ReasonApplyFailed),
				cond(naasv1alpha1.ConditionMonitoring, metav1.ConditionFalse, naasv1alpha1.ReasonNotApplicable)},
			wantStatus: metav1.ConditionFalse, wantPhase: naasv1alpha1.PhaseProvisioning, wantMsg: "waiting for NamespaceReady",
		},
		{
			name: "a monitoring step that failed to apply holds Ready back",
			conditions: []metav1.Condition{valid, ns,
				cond(naasv1alpha1.ConditionMonitoring, metav1.ConditionFalse, naasv1alpha1.ReasonApplyFailed)},
			wantStatus: metav1.ConditionFalse, wantPhase: naasv1alpha1.PhaseProvisioning, wantMsg: "waiting for MonitoringReady",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
			c.Status.Conditions = tt.conditions
			summarize(c)
			ready := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionReady)
			if ready.Status != tt.wantStatus || c.Status.Phase != tt.wantPhase || ready.Message != tt.wantMsg {
				t.Errorf("Ready = %s, phase %s, %q; want %s, phase %s, %q",
					ready.Status, c.Status.Phase, ready.Message, tt.wantStatus, tt.wantPhase, tt.wantMsg)
			}
		})
	}
}
