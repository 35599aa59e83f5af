package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/bench/report"
	"github.com/naas-dev/naas/bench/scrape"
	"github.com/naas-dev/naas/internal/testenv"
)

// naasWebhooks lists the admission webhooks naas registers: those of configurations it labels as
// its own, or named *.naas.dev.
func (s *Suite) naasWebhooks(ctx context.Context) ([]string, error) {
	var names []string
	own := func(config metav1.ObjectMeta, webhook string) bool {
		return config.Labels["app.kubernetes.io/managed-by"] == "naas" || strings.HasSuffix(webhook, ".naas.dev")
	}
	v := &admissionregistrationv1.ValidatingWebhookConfigurationList{}
	if err := s.c.Admin.List(ctx, v); err != nil {
		return nil, err
	}
	for _, c := range v.Items {
		for _, w := range c.Webhooks {
			if own(c.ObjectMeta, w.Name) {
				names = append(names, w.Name)
			}
		}
	}
	m := &admissionregistrationv1.MutatingWebhookConfigurationList{}
	if err := s.c.Admin.List(ctx, m); err != nil {
		return nil, err
	}
	for _, c := range m.Items {
		for _, w := range c.Webhooks {
			if own(c.ObjectMeta, w.Name) {
				names = append(names, w.Name)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// openLoop starts do rate times a second for d, each call in its own goroutine whether or not the
// earlier ones have returned (an open loop: a slow server does not slow the offered load), and
// returns the latencies of the calls that succeeded and the first error.
func openLoop(ctx context.Context, rate int, d time.Duration, do func(ctx context.Context, i int) error) ([]float64, int, error) {
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	var (
		mu    sync.Mutex
		lat   = make([]float64, 0, n)
		fails int
		first error
		wg    sync.WaitGroup
	)
	start := time.Now()
	for i := range n {
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(time.Until(start.Add(time.Duration(i) * interval))):
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			err := do(ctx, i)
			took := time.Since(t0).Seconds()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fails++
				if first == nil {
					first = err
				}
				return
			}
			lat = append(lat, took)
		}()
	}
	wg.Wait()
	return lat, fails, first
}

const admissionMetric = "apiserver_admission_webhook_admission_duration_seconds"

// figureWebhooks offers naas's admission WebhookRate requests a second, server-side dry-run creates
// of a NamespaceClaim by a tenant admin, which pass naas's mutating and validating claim webhooks,
// and times them in kube-apiserver's metrics and in the client.
func (s *Suite) figureWebhooks(ctx context.Context) error {
	serverTitle := fmt.Sprintf("Admission webhook latency in kube-apiserver, per naas webhook call, at %d requests/s", s.Sizes.WebhookRate)
	clientTitle := fmt.Sprintf("Request latency through naas's admission, seen by the client, at %d requests/s", s.Sizes.WebhookRate)
	target := &report.Target{Text: "p99 at most 10 ms", Stat: report.StatP99, Max: 0.010}
	hooks, err := s.naasWebhooks(ctx)
	if err != nil {
		return err
	}
	if len(hooks) == 0 {
		reason := "naas registers no admission webhooks in this build (no naas ValidatingWebhookConfiguration or MutatingWebhookConfiguration)"
		s.add(report.Figure{ID: "5-server", Title: serverTitle, Unit: "s", NotAvailable: reason, Target: target})
		s.add(report.Figure{ID: "5-client", Title: clientTitle, Unit: "s", NotAvailable: reason})
		return nil
	}
	if err := s.settle(ctx); err != nil {
		return err
	}
	dave := s.userClient(scaleAdmin)
	claim := claimObject("scale-0000-dry-run", "scale-0000")
	histogram := func() (scrape.Histogram, error) {
		ms, err := testenv.APIServerMetrics(ctx, s.c.Env.Config)
		if err != nil {
			return scrape.Histogram{}, err
		}
		var sum scrape.Histogram
		for _, h := range hooks {
			part, ok := ms.Histogram(admissionMetric, scrape.Labels{"name": h})
			if !ok {
				continue
			}
			sum = sum.Add(part)
		}
		return sum, nil
	}
	before, err := histogram()
	if err != nil {
		return err
	}
	handlersBefore, err := s.naasHandlers(ctx)
	if err != nil {
		return err
	}
	cpuBefore, err := s.cpu(ctx)
	if err != nil {
		return err
	}
	mark, err := s.c.Audit.Mark()
	if err != nil {
		return err
	}
	// The profiles leave out the load's first and last seconds, when it starts and drains.
	waitProfiles := s.prof.during(ctx, "5", s.naas, s.c.Env.Config, s.Sizes.WebhookDuration-2*time.Second)
	naasLat, naasFails, naasErr := openLoop(ctx, s.Sizes.WebhookRate, s.Sizes.WebhookDuration, func(ctx context.Context, _ int) error {
		return dave.Create(ctx, claim.DeepCopy(), client.DryRunAll)
	})
	waitProfiles()
	after, err := histogram()
	if err != nil {
		return err
	}
	handlersAfter, err := s.naasHandlers(ctx)
	if err != nil {
		return err
	}
	cpuAfter, err := s.cpu(ctx)
	if err != nil {
		return err
	}
	if len(naasLat) == 0 {
		return fmt.Errorf("every dry-run create of a claim by %s failed: %w", scaleAdmin, naasErr)
	}
	delta := after.Sub(before)
	events, err := s.c.Audit.Since(mark)
	if err != nil {
		return err
	}
	calls := Count(events, naasUser)

	if err := s.settle(ctx); err != nil {
		return err
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "bench-dry-run"}, Data: map[string]string{"a": "b"}}
	baseLat, baseFails, baseErr := openLoop(ctx, s.Sizes.WebhookRate, s.Sizes.WebhookDuration, func(ctx context.Context, _ int) error {
		return s.c.Admin.Create(ctx, cm.DeepCopy(), client.DryRunAll)
	})
	if len(baseLat) == 0 {
		return fmt.Errorf("every dry-run create of a config map failed: %w", baseErr)
	}
	notes := []string{
		fmt.Sprintf("naas's own API calls during the load, for %d requests: %d reads and %d writes (%s).",
			len(naasLat)+naasFails, calls.Reads, calls.Writes+calls.Refused, calls.String()),
		fmt.Sprintf("CPU during the load: naas %.1f s, of which its garbage collector %.1f s (%.0f cycles); kube-apiserver %.1f s; "+
			"load average %s at the end.", cpuAfter.naas-cpuBefore.naas, cpuAfter.naasGC-cpuBefore.naasGC,
			cpuAfter.naasGCCycles-cpuBefore.naasGCCycles, cpuAfter.apiserver-cpuBefore.apiserver, LoadAverage()),
	}
	if naasFails > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d requests through naas's admission failed, first: %v", naasFails, naasFails+len(naasLat), naasErr))
	}
	if baseFails > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d baseline requests failed, first: %v", baseFails, baseFails+len(baseLat), baseErr))
	}
	client := report.Summarize(naasLat)
	s.add(report.Figure{
		ID: "5-client", Title: clientTitle, Unit: "s",
		Method: fmt.Sprintf("For %s, %d server-side dry-run creates a second of a NamespaceClaim by %s, a tenant admin, each in "+
			"its own goroutine (an open loop); timed by the client. Each passes naas's mutating and validating claim webhooks.",
			s.Sizes.WebhookDuration, s.Sizes.WebhookRate, scaleAdmin),
		Value: &client,
		Baseline: &report.Baseline{
			Name:  "kube-apiserver alone: the same load of dry-run creates of a ConfigMap, which no webhook sees",
			Value: report.Summarize(baseLat),
		},
		Notes: notes,
	})

	if delta.Count <= 0 {
		s.add(report.Figure{ID: "5-server", Title: serverTitle, Unit: "s", Target: target,
			NotAvailable: fmt.Sprintf("kube-apiserver's %s recorded no calls of naas's webhooks %v", admissionMetric, hooks)})
		return nil
	}
	p50, p99 := delta.Quantile(0.5), delta.Quantile(0.99)
	if math.IsNaN(p50) || math.IsNaN(p99) {
		return errors.New("the admission histogram has no quantiles")
	}
	// The histogram bounds the extremes only by buckets: the smallest observation is above 0, the
	// largest at most the first bucket bound that holds every observation.
	server := report.Summary{N: int(delta.Count), Median: p50, P99: p99, Max: p99}
	for _, b := range delta.Buckets {
		if b.Count >= delta.Count && !math.IsInf(b.UpperBound, 1) {
			server.Max = b.UpperBound
			break
		}
	}
	s.add(report.Figure{
		ID: "5-server", Title: serverTitle, Unit: "s",
		Method: fmt.Sprintf("The increase of kube-apiserver's %s over naas's webhooks (%s) during 5-client's load; quantiles "+
			"interpolated in its buckets as histogram_quantile does (bounds 5 ms, 25 ms, 100 ms, ...: a p99 between 5 and 25 ms "+
			"is an estimate). Min and max are bucket bounds.", admissionMetric, strings.Join(hooks, ", ")),
		Value: &server, Target: target,
		Notes: append([]string{fmt.Sprintf("Mean per call: %.2f ms over %.0f calls.", delta.Sum/delta.Count*1000, delta.Count)},
			handlerNote(handlersAfter.Sub(handlersBefore))...),
	})
	return nil
}

// naasHandlers is naas's own histogram of its admission handlers' latency, every webhook together: the time from
// the request read to the response written, which kube-apiserver's figure adds its own work and queueing to.
func (s *Suite) naasHandlers(ctx context.Context) (scrape.Histogram, error) {
	ms, err := s.naas.Metrics(ctx)
	if err != nil {
		return scrape.Histogram{}, err
	}
	h, _ := ms.Histogram("controller_runtime_webhook_latency_seconds", nil)
	return h, nil
}

// handlerNote says how fast naas's handlers answered during the load.
func handlerNote(h scrape.Histogram) []string {
	if h.Count <= 0 {
		return nil
	}
	within := 0.0
	for _, b := range h.Buckets {
		if b.UpperBound == 0.01 {
			within = b.Count
		}
	}
	return []string{fmt.Sprintf("naas's own handlers (controller_runtime_webhook_latency_seconds): %.0f calls, mean %.2f ms, "+
		"%.1f%% within 10 ms; the rest of kube-apiserver's figure is its own work and queueing.",
		h.Count, h.Sum/h.Count*1000, 100*within/h.Count)}
}

// cpuSeconds are the CPU seconds naas and kube-apiserver have used so far.
type cpuSeconds struct {
	naas, naasGC, naasGCCycles, apiserver float64
}

// cpu reads the CPU seconds of naas (and of its garbage collector) and of kube-apiserver from their
// metrics: on a shared 2-core machine, who used the CPU during a load explains its latencies.
func (s *Suite) cpu(ctx context.Context) (cpuSeconds, error) {
	ms, err := s.naas.Metrics(ctx)
	if err != nil {
		return cpuSeconds{}, err
	}
	as, err := testenv.APIServerMetrics(ctx, s.c.Env.Config)
	if err != nil {
		return cpuSeconds{}, err
	}
	return cpuSeconds{
		naas:         ms.Sum("process_cpu_seconds_total", nil),
		naasGC:       ms.Sum("go_cpu_classes_gc_total_cpu_seconds_total", nil),
		naasGCCycles: ms.Sum("go_gc_cycles_total_gc_cycles_total", nil),
		apiserver:    as.Sum("process_cpu_seconds_total", nil),
	}, nil
}
