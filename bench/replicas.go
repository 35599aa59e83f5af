package bench

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/naas-dev/naas/bench/report"
	"github.com/naas-dev/naas/internal/localcp"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

// replicaRun is what one burst measured: each create's admission latency and each claim's time to Ready.
type replicaRun struct {
	admissionMs []float64
	readySec    []float64
}

// figureReplicas measures admission and claim to Ready with two replicas of naas against one, in the same run
// (figure 8). Both are measured behind the same webhook load balancer (testenv.WebhookBalancer, a Service's
// stand-in), first with one replica behind it, then with a second one added: the ratio is what the second
// replica costs or gains, not what the balancer costs. It runs last: it restarts naas behind the balancer.
func (s *Suite) figureReplicas(ctx context.Context) error {
	lb, err := testenv.StartWebhookBalancer(s.c.Admin, types.NamespacedName{Namespace: setup.DefaultSystemNamespace, Name: setup.WebhookCertSecretName})
	if err != nil {
		return err
	}
	defer func() { _ = lb.Close() }()
	webhookURL := "https://" + lb.Addr()
	if err := s.naas.Stop(); err != nil {
		return err
	}
	lb.Add(fmt.Sprintf("127.0.0.1:%d", s.c.webhookPort))
	if s.naas, err = s.c.StartNaas(s.bin, "--webhook-url", webhookURL); err != nil {
		return err
	}
	if _, err := s.naas.WaitReady(ctx, 2*time.Minute); err != nil {
		return err
	}
	one, err := s.replicaBurst(ctx, "replicas-1")
	if err != nil {
		return err
	}

	port, err := localcp.FreePort()
	if err != nil {
		return err
	}
	lb.Add(fmt.Sprintf("127.0.0.1:%d", port))
	second, err := s.c.StartReplica(s.bin, "naas-2", port, "--webhook-url", webhookURL)
	if err != nil {
		return err
	}
	defer func() { _ = second.Stop() }()
	if _, err := second.WaitReady(ctx, 2*time.Minute); err != nil {
		return err
	}
	before := lb.ServedBy()
	two, err := s.replicaBurst(ctx, "replicas-2")
	if err != nil {
		return err
	}
	after := lb.ServedBy()
	spread := fmt.Sprintf("With two replicas the balancer sent %d admission requests to the first and %d to the second.",
		after[fmt.Sprintf("127.0.0.1:%d", s.c.webhookPort)]-before[fmt.Sprintf("127.0.0.1:%d", s.c.webhookPort)],
		after[fmt.Sprintf("127.0.0.1:%d", port)]-before[fmt.Sprintf("127.0.0.1:%d", port)])

	method := fmt.Sprintf("%d claims are created by 16 workers in a new tenant, first with one replica of naas behind a "+
		"webhook load balancer, then in another new tenant with a second replica added behind it (leader election on: "+
		"the controllers run on one replica, the webhooks on both).", s.Sizes.Burst)
	adm := report.Summarize(two.admissionMs)
	s.add(report.Figure{
		ID: "8-admission", Title: "Admission with two replicas: latency of a claim's create", Unit: "ms",
		Method:   method + " Each create is timed from the request until the API server answered.",
		Value:    &adm,
		Baseline: &report.Baseline{Name: "the same burst with one replica (same run)", Value: report.Summarize(one.admissionMs)},
		Notes:    []string{spread},
	})
	ready := report.Summarize(two.readySec)
	s.add(report.Figure{
		ID: "8-ready", Title: "Claim to Ready with two replicas", Unit: "s",
		Method:   method + " Each claim is timed from its create until a watch saw it Ready.",
		Value:    &ready,
		Baseline: &report.Baseline{Name: "the same burst with one replica (same run)", Value: report.Summarize(one.readySec)},
	})
	return nil
}

// replicaBurst creates Sizes.Burst claims in a new tenant with 16 workers and times each.
func (s *Suite) replicaBurst(ctx context.Context, tenant string) (replicaRun, error) {
	if _, err := s.tenant(ctx, tenant, "alice"); err != nil {
		return replicaRun{}, err
	}
	if err := s.settle(ctx); err != nil {
		return replicaRun{}, err
	}
	names := make([]string, s.Sizes.Burst)
	created := make([]time.Time, len(names))
	admission := make([]float64, len(names))
	for i := range names {
		names[i] = fmt.Sprintf("%s-%04d", tenant, i)
	}
	if err := parallel(ctx, len(names), 16, func(ctx context.Context, i int) error {
		start := time.Now()
		if err := s.c.CreateClaim(ctx, names[i], tenant); err != nil {
			return err
		}
		created[i] = start
		admission[i] = float64(time.Since(start).Microseconds()) / 1000
		return nil
	}); err != nil {
		return replicaRun{}, err
	}
	s.claims.Insert(names...)
	if err := s.watch.Wait(ctx, 20*time.Minute, names...); err != nil {
		return replicaRun{}, err
	}
	run := replicaRun{admissionMs: admission}
	for i, n := range names {
		at, _ := s.watch.ReadyAt(n)
		run.readySec = append(run.readySec, at.Sub(created[i]).Seconds())
	}
	s.Log("%s: %d claims, admission median %.1f ms, claim to Ready median %.2f s", tenant, len(names),
		report.Summarize(run.admissionMs).Median, report.Summarize(run.readySec).Median)
	return run, nil
}
