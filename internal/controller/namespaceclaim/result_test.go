package namespaceclaim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestSummarize_ReadsThePassResultsInOrder(t *testing.T) {
	valid := resultDone(naasv1alpha1.ConditionValid, "valid")
	ns := resultDone(naasv1alpha1.ConditionNamespace, "Namespace/shop in place")
	monitoringSkipped := result{condition: naasv1alpha1.ConditionMonitoring, outcome: skipped, reason: naasv1alpha1.ReasonNotApplicable, message: "no CRDs"}
	tests := []struct {
		name    string
		results []result
		want    summary
	}{
		{
			name:    "nothing reported yet",
			results: nil,
			want:    summary{metav1.ConditionFalse, naasv1alpha1.ReasonProgressing, "provisioning has not started", naasv1alpha1.PhasePending},
		},
		{
			name:    "every step done",
			results: []result{valid, ns, resultDone(naasv1alpha1.ConditionMonitoring, "rules in place")},
			want:    summary{metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, `namespace "shop" is ready`, naasv1alpha1.PhaseReady},
		},
		{
			name:    "a step turned off does not count",
			results: []result{valid, ns, {condition: naasv1alpha1.ConditionGateway, outcome: off}},
			want:    summary{metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, `namespace "shop" is ready`, naasv1alpha1.PhaseReady},
		},
		{
			name:    "a step not applicable on this cluster does not hold Ready back",
			results: []result{valid, ns, monitoringSkipped},
			want: summary{metav1.ConditionTrue, naasv1alpha1.ReasonReconciled,
				`namespace "shop" is ready; not applicable on this cluster: MonitoringReady`, naasv1alpha1.PhaseReady},
		},
		{
			name: "a not-applicable step does not hide a waiting one",
			results: []result{valid, resultWaiting(naasv1alpha1.ConditionNamespace, naasv1alpha1.ReasonApplyFailed, "conflict"),
				monitoringSkipped},
			want: summary{metav1.ConditionFalse, naasv1alpha1.ReasonProgressing, "waiting for NamespaceReady", naasv1alpha1.PhaseProvisioning},
		},
		{
			name: "a stalled step fails the claim, naming the step, over a waiting one",
			results: []result{valid, ns, resultWaiting(naasv1alpha1.ConditionQuota, naasv1alpha1.ReasonApplyFailed, "timeout"),
				resultStalled(naasv1alpha1.ConditionGateway, naasv1alpha1.ReasonFailed, "no hostnames")},
			want: summary{metav1.ConditionFalse, naasv1alpha1.ReasonFailed, "GatewayReady: no hostnames", naasv1alpha1.PhaseFailed},
		},
		{
			name:    "a stalled gate speaks for itself",
			results: []result{resultStalled(naasv1alpha1.ConditionValid, naasv1alpha1.ReasonUnknownTenant, `tenant "x" not found`)},
			want:    summary{metav1.ConditionFalse, naasv1alpha1.ReasonUnknownTenant, `tenant "x" not found`, naasv1alpha1.PhaseFailed},
		},
		{
			name: "a claim held for approval is pending",
			results: []result{valid, {condition: naasv1alpha1.ConditionApproved, outcome: held, reason: naasv1alpha1.ReasonPendingApproval,
				message: "waiting for an admin"}},
			want: summary{metav1.ConditionFalse, naasv1alpha1.ReasonPendingApproval, "waiting for an admin", naasv1alpha1.PhasePending},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summarize("shop", tt.results), cmp.AllowUnexported(summary{})); diff != "" {
				t.Errorf("summarize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResult_BlocksAndRequeue(t *testing.T) {
	waitingLong := resultWaiting(naasv1alpha1.ConditionNamespace, naasv1alpha1.ReasonWaiting, "deleting")
	waitingLong.requeueAfter = 5 * time.Second
	waitingShort := waitingLong
	waitingShort.requeueAfter = time.Second
	for _, tt := range []struct {
		r    result
		want bool
	}{
		{resultDone(naasv1alpha1.ConditionValid, ""), false},
		{result{condition: naasv1alpha1.ConditionApproved, outcome: off}, false},
		{result{}, false},
		{waitingLong, true},
		{resultStalled(naasv1alpha1.ConditionValid, naasv1alpha1.ReasonForbidden, ""), true},
		{result{condition: naasv1alpha1.ConditionApproved, outcome: held}, true},
	} {
		if got := tt.r.blocks(); got != tt.want {
			t.Errorf("%+v.blocks() = %v, want %v", tt.r, got, tt.want)
		}
	}
	if got := requeueAfter([]result{resultDone("A", ""), waitingLong, waitingShort}); got != time.Second {
		t.Errorf("requeueAfter = %s, want the soonest, 1s", got)
	}
	if got := requeueAfter([]result{resultDone("A", "")}); got != 0 {
		t.Errorf("requeueAfter without a wait = %s, want 0", got)
	}
}

func TestRun_StopsAtABlockingResultOrAnError(t *testing.T) {
	valid := resultDone(naasv1alpha1.ConditionValid, "valid")
	deleting := resultWaiting(naasv1alpha1.ConditionNamespace, naasv1alpha1.ReasonWaiting, "deleting")
	deleting.requeueAfter = 2 * time.Second
	failedQuota := resultWaiting(naasv1alpha1.ConditionQuota, naasv1alpha1.ReasonApplyFailed, "conflict")
	returns := func(err error, rs ...result) phase {
		return func(context.Context, *scope) ([]result, error) { return rs, err }
	}
	boom := errors.New("boom")
	tests := []struct {
		name         string
		phases       []phase
		wantRan      []string
		wantComplete bool
		wantRequeue  time.Duration
		wantErr      bool
	}{
		{
			name:    "every phase done",
			phases:  []phase{returns(nil, valid), returns(nil), returns(nil, resultDone(naasv1alpha1.ConditionNamespace, "ns"))},
			wantRan: []string{naasv1alpha1.ConditionValid, naasv1alpha1.ConditionNamespace}, wantComplete: true,
		},
		{
			name:    "a blocking result ends the pass, which is complete, with its requeue",
			phases:  []phase{returns(nil, valid), returns(nil, deleting), returns(nil, resultDone(naasv1alpha1.ConditionQuota, "q"))},
			wantRan: []string{naasv1alpha1.ConditionValid, naasv1alpha1.ConditionNamespace}, wantComplete: true, wantRequeue: 2 * time.Second,
		},
		{
			name:    "an error alone leaves the pass incomplete",
			phases:  []phase{returns(nil, valid), returns(boom), returns(nil, resultDone(naasv1alpha1.ConditionQuota, "q"))},
			wantRan: []string{naasv1alpha1.ConditionValid}, wantErr: true,
		},
		{
			name:    "an error with a failed step is retried, and the step's failure summarised",
			phases:  []phase{returns(nil, valid), returns(boom, resultDone(naasv1alpha1.ConditionNamespace, "ns"), failedQuota)},
			wantRan: []string{naasv1alpha1.ConditionValid, naasv1alpha1.ConditionNamespace, naasv1alpha1.ConditionQuota}, wantComplete: true, wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scope{claim: &naasv1alpha1.NamespaceClaim{}}
			res, err := s.run(context.Background(), tt.phases...)
			var ran []string
			for _, r := range s.results {
				ran = append(ran, r.condition)
			}
			if diff := cmp.Diff(tt.wantRan, ran); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if s.complete != tt.wantComplete || res.RequeueAfter != tt.wantRequeue || (err != nil) != tt.wantErr {
				t.Errorf("complete %v, requeue %s, error %v; want %v, %s, error %v", s.complete, res.RequeueAfter, err,
					tt.wantComplete, tt.wantRequeue, tt.wantErr)
			}
		})
	}
}
