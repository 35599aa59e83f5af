package bench

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/bench/report"
	"github.com/naas-dev/naas/internal/testenv"
)

// figureUnreachable is figure 9-unreachable: a member cluster's kube-apiserver stops answering (SIGSTOP, the
// process alive and its port open, as a hung server or a cut network); the time until naas marks its Cluster not
// Reachable, with naas's default heartbeat (a probe every 5 s, 3 s timeout, two failures in a row). Cheap: one
// extra control plane, an outage or three.
func (s *Suite) figureUnreachable(ctx context.Context) error {
	member, err := testenv.StartMember(testenv.Options{NoControllerManager: true})
	if err != nil {
		return err
	}
	defer member.Stop()
	const name = "bench-member"
	if _, err := s.c.Env.RegisterMember(ctx, name, member, map[string]string{"environment": "bench"}); err != nil {
		return err
	}
	defer func() {
		_ = s.c.Admin.Delete(context.Background(), &naasv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}})
	}()
	reachable := func(want bool) error {
		return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
			c := &naasv1alpha1.Cluster{}
			if err := s.c.Admin.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
				return false, nil //nolint:nilerr // not there yet
			}
			ready := naasv1alpha1.ClusterReady
			if !want {
				ready = naasv1alpha1.ClusterReachable
			}
			return meta.IsStatusConditionTrue(c.Status.Conditions, ready) == want, nil
		})
	}
	outages := 3
	if s.rep.Mode == "smoke" {
		outages = 1
	}
	var times []float64
	for range outages {
		if err := reachable(true); err != nil {
			return fmt.Errorf("member never Ready: %w", err)
		}
		if err := member.PauseAPIServer(); err != nil {
			return err
		}
		start := time.Now()
		err := reachable(false)
		took := time.Since(start)
		if rerr := member.ResumeAPIServer(); rerr != nil {
			return rerr
		}
		if err != nil {
			return fmt.Errorf("member never marked unreachable: %w", err)
		}
		times = append(times, took.Seconds())
	}
	v := report.Summarize(times)
	s.add(report.Figure{
		ID: "9-unreachable", Title: "Time to mark a member cluster unreachable", Unit: "s",
		Method: fmt.Sprintf("%d outages of a registered member: its kube-apiserver is paused (SIGSTOP) and timed until its "+
			"Cluster's Reachable condition is False, with naas's default heartbeat (every 5 s, 3 s timeout, 2 failures in a row); "+
			"then resumed until Ready again.", outages),
		Value:  &v,
		Target: &report.Target{Text: "p99 at most 30 s", Stat: report.StatP99, Max: 30},
	})
	return nil
}
