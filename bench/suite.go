package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/bench/report"
	"github.com/naas-dev/naas/bench/scrape"
	"github.com/naas-dev/naas/internal/testenv"
)

// Sizes are the sizes a run measures at.
type Sizes struct {
	// Sequential is the number of claims in each sequential series (figure 1).
	Sequential int
	// Burst is the number of claims created at once (figure 2); the first burst's tenant then
	// holds that many namespaces for figure 1b.
	Burst int
	// BurstRuns is how often the burst is repeated.
	BurstRuns int
	// FloorWorkers is the concurrency of the floor's burst.
	FloorWorkers int
	// IdleWindows and IdleWindow: figure 3 counts naas's writes in IdleWindows windows of IdleWindow.
	IdleWindows int
	IdleWindow  time.Duration
	// ScaleNamespaces and ScaleTenants: the cluster is brought to this many naas namespaces across
	// this many tenants for figures 4 and 6.
	ScaleNamespaces int
	ScaleTenants    int
	// Restarts is how often naas is restarted at scale (figure 4).
	Restarts int
	// SteadyWindow is how long memory is sampled, once a second, in steady state.
	SteadyWindow time.Duration
	// WebhookRate and WebhookDuration: figure 5's load.
	WebhookRate     int
	WebhookDuration time.Duration
	// ListRequests and PostRequests: figure 6's requests.
	ListRequests int
	PostRequests int
	// FairnessRequests: figure 7's timed requests, with and without the flood.
	FairnessRequests int
	// Cost: figure 10's sizes.
	Cost CostSizes
	// Fleet: figures 11 and 12's sizes.
	Fleet FleetSizes
}

// FullSizes are the sizes; `make bench` finishes in about 40 minutes on 2 cores.
func FullSizes() Sizes {
	return Sizes{
		Sequential: 100, Burst: 1000, BurstRuns: 2, FloorWorkers: 16,
		IdleWindows: 5, IdleWindow: time.Minute,
		ScaleNamespaces: 10000, ScaleTenants: 1000, Restarts: 3, SteadyWindow: 30 * time.Second,
		WebhookRate: 200, WebhookDuration: 30 * time.Second, ListRequests: 500, PostRequests: 50,
		FairnessRequests: 1000,
		Cost:             FullCostSizes(),
		Fleet:            FleetSizes{Burst: 1000, ScaleNamespaces: 10000, ScaleTenants: 1000},
	}
}

// FullCostSizes are the sizes of figure 10: an hour of 10,000 namespaces, a month (720 hours) of a tenant
// with 1,000.
func FullCostSizes() CostSizes {
	return CostSizes{HourNamespaces: 10000, ReportNamespaces: 1000, ReportHours: 720, Runs: 3, Reports: 20}
}

// SmokeSizes run every figure at small sizes in well under two minutes, so that the harness is
// exercised by `make test` without the cost of the full suite.
func SmokeSizes() Sizes {
	return Sizes{
		Sequential: 4, Burst: 20, BurstRuns: 1, FloorWorkers: 16,
		IdleWindows: 2, IdleWindow: 3 * time.Second,
		ScaleNamespaces: 60, ScaleTenants: 10, Restarts: 1, SteadyWindow: 2 * time.Second,
		WebhookRate: 50, WebhookDuration: 2 * time.Second, ListRequests: 20, PostRequests: 4,
		FairnessRequests: 100,
		Cost:             CostSizes{HourNamespaces: 200, ReportNamespaces: 20, ReportHours: 48, Runs: 3, Reports: 5},
		Fleet:            FleetSizes{Burst: 20, ScaleNamespaces: 60, ScaleTenants: 10},
	}
}

func (s Sizes) asMap() map[string]int {
	return map[string]int{
		"sequentialClaims": s.Sequential, "burstClaims": s.Burst, "burstRuns": s.BurstRuns, "floorWorkers": s.FloorWorkers,
		"idleWindows": s.IdleWindows, "idleWindowSeconds": int(s.IdleWindow.Seconds()),
		"scaleNamespaces": s.ScaleNamespaces, "scaleTenants": s.ScaleTenants, "restarts": s.Restarts,
		"steadyWindowSeconds": int(s.SteadyWindow.Seconds()), "webhookRatePerSecond": s.WebhookRate,
		"webhookSeconds": int(s.WebhookDuration.Seconds()), "listRequests": s.ListRequests, "postRequests": s.PostRequests,
		"fairnessRequests": s.FairnessRequests, "costHourNamespaces": s.Cost.HourNamespaces,
		"costReportNamespaces": s.Cost.ReportNamespaces, "costReportHours": s.Cost.ReportHours,
		"fleetBurstClaims": s.Fleet.Burst, "fleetScaleNamespaces": s.Fleet.ScaleNamespaces, "fleetScaleTenants": s.Fleet.ScaleTenants,
	}
}

// FigureIDs are the figures every report holds, measured or with the reason why not.
var FigureIDs = []string{"1a", "1b", "1c", "2", "3", "4-sync", "4-pass", "4-writes", "4-rss", "4-heap", "5-server", "5-client", "6-list", "6-post", "7", "8-admission", "8-ready", "9-unreachable", "10-hour", "10-report-sqlite", "10-report-postgres", "11", "12-rss", "12-heap"}

// Suite runs the figures in order on one cluster: the sequential series in an empty tenant, the
// bursts, the series in the first burst's tenant, idle, the scale figures, and the API figures.
type Suite struct {
	Sizes Sizes
	// Log receives progress lines.
	Log func(format string, args ...any)

	c       *Cluster
	bin     string
	naas    *Naas
	watch   *ReadyWatcher
	rep     *report.Report
	tenants map[string]*naasv1alpha1.Tenant
	claims  sets.Set[string]
	users   map[string]client.Client

	prof *profiler

	// dir is the run's scratch space.
	dir string
	// places are the clusters topUp deals namespaces to, in a fleet; the management cluster alone when empty.
	places []place
	// quiet are the API servers settle waits for, besides the management cluster's: a fleet's members.
	quiet []*rest.Config

	startRSS, startHeap []float64
	seqEmpty            []float64
}

// Run runs the suite in dir (the run's scratch space) and returns the report. When profileDir is not empty,
// pprof profiles of naas and kube-apiserver are saved there: naas's heap at scale (4-naas.heap.pb.gz) and CPU
// and allocation profiles during the admission load (5-*.pb.gz). With figures, only the steps of those figures
// run ("7" runs figure 7 alone, on a fresh cluster), and the report holds only them.
func Run(ctx context.Context, dir, mode string, sizes Sizes, profileDir string, logf func(string, ...any), figures ...string) (rep *report.Report, err error) {
	s, err := newSuite(ctx, dir, mode, sizes, profileDir, logf)
	if err != nil {
		return nil, err
	}
	steps := []struct {
		name string
		run  func(context.Context) error
		// own: the step runs on clusters of its own, not the run's cluster.
		own bool
	}{
		{name: "memory at start", run: s.measureStartMemory},
		{name: "figure 1a: claim to Ready in an empty tenant", run: s.figureSequentialEmpty},
		{name: "figure 2: burst", run: s.figureBurst},
		{name: "figure 1b: claim to Ready in a large tenant", run: s.figureSequentialLarge},
		{name: "figure 3: idle", run: s.figureIdle},
		{name: "figure 4: scale", run: s.figureScale},
		{name: "figure 6: REST API", run: s.figureREST},
		{name: "figure 5: admission webhooks", run: s.figureWebhooks},
		{name: "figure 7: fairness between tenants", run: s.figureFairness},
		{name: "figure 9: unreachable member", run: s.figureUnreachable},
		{name: "figure 8: two replicas", run: s.figureReplicas},
		{name: "figure 10: cost", run: s.figureCost},
		// Last: it stops the cluster and naas of the figures above, and starts a fleet of its own.
		{name: "figure 11: fleet burst, and figure 12: fleet memory", run: s.figureFleet, own: true},
	}
	cluster := false
	for _, step := range steps {
		cluster = cluster || (!step.own && selected(step.name, figures))
	}
	if cluster {
		s.Log("starting the local control plane")
		if s.c, err = StartCluster(dir); err != nil {
			return nil, err
		}
		defer s.c.Stop()
		if s.watch, err = WatchReady(ctx, s.c.Env.Config); err != nil {
			return nil, err
		}
		if err := s.startNaas(ctx); err != nil {
			return nil, err
		}
		defer func() { err = errors.Join(err, s.naas.Stop()) }()
	}
	for _, step := range steps {
		if !selected(step.name, figures) {
			continue
		}
		start := time.Now()
		s.Log("%s", step.name)
		if err := step.run(ctx); err != nil {
			return s.rep, fmt.Errorf("%s: %w", step.name, err)
		}
		s.Log("%s: done in %s", step.name, time.Since(start).Round(time.Millisecond))
	}
	s.rep.Duration = report.Duration(time.Since(s.rep.Started))
	s.rep.Machine.LoadAverageEnd = LoadAverage()
	s.rep.Finish()
	return s.rep, nil
}

// selected reports whether the step named name runs when only figures are asked for (all when none are): the
// name says "figure <id>:" for each figure the step measures.
func selected(name string, figures []string) bool {
	if len(figures) == 0 {
		return true
	}
	for _, id := range figures {
		if strings.Contains(name, "figure "+id+":") {
			return true
		}
	}
	return false
}

// newSuite builds naas from the tree at the repository's root into dir and returns a suite with its report
// started; Run starts what the figures need.
func newSuite(ctx context.Context, dir, mode string, sizes Sizes, profileDir string, logf func(string, ...any)) (*Suite, error) {
	// The harness's own informers log through controller-runtime; their logs are not wanted.
	ctrllog.SetLogger(logr.Discard())
	s := &Suite{Sizes: sizes, Log: logf, tenants: map[string]*naasv1alpha1.Tenant{}, claims: sets.New[string](),
		users: map[string]client.Client{}, prof: &profiler{dir: profileDir, log: logf}, dir: dir}
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	binDir, err := testenv.ControlPlaneBinDir(root)
	if err != nil {
		return nil, err
	}
	s.rep = &report.Report{Mode: mode, Started: time.Now(), Machine: DetectMachine(),
		Versions: DetectVersions(root, binDir), Sizes: sizes.asMap()}
	s.Log("building naas")
	if s.bin, err = BuildNaas(ctx, root, dir); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Suite) add(f report.Figure) { s.rep.Figures = append(s.rep.Figures, f) }

func (s *Suite) startNaas(ctx context.Context) error {
	n, err := s.c.StartNaas(s.bin)
	if err != nil {
		return err
	}
	s.naas = n
	if _, err := n.WaitReady(ctx, 2*time.Minute); err != nil {
		return err
	}
	return nil
}

// waitNaasIdle waits until naas has nothing queued or running.
func (s *Suite) waitNaasIdle(ctx context.Context) error {
	_, err := s.naas.WaitIdle(ctx, 0, 5*time.Minute)
	return err
}

// settle waits until the cluster is quiet, fewer than 3 writes in each of two half seconds in kube-apiserver (in
// a fleet, in all its API servers together), so
// that one measurement does not pay for the aftermath of the previous one (kube-controller-manager
// creating service accounts and filling in quota status for new namespaces). It gives up
// quietly after two minutes: a busy cluster makes the next figure slower, not wrong.
func (s *Suite) settle(ctx context.Context) error {
	if err := s.waitNaasIdle(ctx); err != nil {
		return err
	}
	writes := func() (float64, error) {
		var n float64
		for _, cfg := range append([]*rest.Config{s.c.Env.Config}, s.quiet...) {
			ms, err := testenv.APIServerMetrics(ctx, cfg)
			if err != nil {
				return 0, err
			}
			for _, verb := range []string{"POST", "PUT", "PATCH", "DELETE", "APPLY"} {
				n += ms.Sum("apiserver_request_total", scrape.Labels{"verb": verb})
			}
		}
		return n, nil
	}
	prev, err := writes()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	quiet := 0
	for time.Now().Before(deadline) && quiet < 2 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		cur, err := writes()
		if err != nil {
			return err
		}
		if cur-prev < 3 {
			quiet++
		} else {
			quiet = 0
		}
		prev = cur
	}
	return s.waitNaasIdle(ctx)
}

func (s *Suite) tenant(ctx context.Context, name, admin string) (*naasv1alpha1.Tenant, error) {
	if t, ok := s.tenants[name]; ok {
		return t, nil
	}
	t, err := s.c.CreateTenant(ctx, name, admin)
	if err != nil {
		return nil, err
	}
	s.tenants[name] = t
	return t, nil
}

// sample reads naas's RSS and Go heap.
func (s *Suite) sample(ctx context.Context) (rssMiB, heapMiB float64, err error) {
	rss, err := s.naas.RSS()
	if err != nil {
		return 0, 0, err
	}
	ms, err := s.naas.Metrics(ctx)
	if err != nil {
		return 0, 0, err
	}
	if !ms.Has("go_memstats_heap_alloc_bytes") {
		return 0, 0, errors.New("naas's /metrics has no go_memstats_heap_alloc_bytes")
	}
	return float64(rss) / (1 << 20), ms.Sum("go_memstats_heap_alloc_bytes", nil) / (1 << 20), nil
}

// sampleMemory samples RSS and heap once a second for the steady window.
func (s *Suite) sampleMemory(ctx context.Context) (rss, heap []float64, err error) {
	end := time.Now().Add(s.Sizes.SteadyWindow)
	for {
		r, h, err := s.sample(ctx)
		if err != nil {
			return nil, nil, err
		}
		rss, heap = append(rss, r), append(heap, h)
		if time.Now().After(end) {
			return rss, heap, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (s *Suite) measureStartMemory(ctx context.Context) error {
	if err := s.settle(ctx); err != nil {
		return err
	}
	var err error
	s.startRSS, s.startHeap, err = s.sampleMemory(ctx)
	return err
}

// sequential creates n claims one after the other in tenant t, each after naas is idle, and
// after each writes the same objects directly as the floor. It returns both series in seconds.
func (s *Suite) sequential(ctx context.Context, t *naasv1alpha1.Tenant, prefix string) (naasTimes, floorTimes []float64, err error) {
	for i := range s.Sizes.Sequential {
		name := fmt.Sprintf("%s-%03d", prefix, i)
		if err := s.waitNaasIdle(ctx); err != nil {
			return nil, nil, err
		}
		start := time.Now()
		if err := s.c.CreateClaim(ctx, name, t.Name); err != nil {
			return nil, nil, err
		}
		s.claims.Insert(name)
		if err := s.watch.Wait(ctx, time.Minute, name); err != nil {
			return nil, nil, err
		}
		at, _ := s.watch.ReadyAt(name)
		naasTimes = append(naasTimes, at.Sub(start).Seconds())

		objs, err := s.c.FloorBundle(ctx, "floor-"+name, t)
		if err != nil {
			return nil, nil, err
		}
		if err := s.waitNaasIdle(ctx); err != nil {
			return nil, nil, err
		}
		d, err := s.c.WriteFloor(ctx, objs)
		if err != nil {
			return nil, nil, err
		}
		floorTimes = append(floorTimes, d.Seconds())
	}
	return naasTimes, floorTimes, nil
}

const floorName = "the same objects created directly, one after the other, with naas's client settings (the floor)"

func (s *Suite) figureSequentialEmpty(ctx context.Context) error {
	t, err := s.tenant(ctx, "seq-empty", "alice")
	if err != nil {
		return err
	}
	naasTimes, floorTimes, err := s.sequential(ctx, t, "seq-empty")
	if err != nil {
		return err
	}
	s.seqEmpty = naasTimes
	v := report.Summarize(naasTimes)
	s.add(report.Figure{
		ID: "1a", Title: "One namespace, claim to Ready, in a tenant with no other namespaces", Unit: "s",
		Method: fmt.Sprintf("%d claims one after the other in a new tenant; each is timed from the create call until "+
			"a watch sees Ready=True. After each claim the floor writes the same objects for another namespace.", len(naasTimes)),
		Value:    &v,
		Baseline: &report.Baseline{Name: floorName, Value: report.Summarize(floorTimes)},
		Target:   &report.Target{Text: "p99 at most 1.3x the floor", Stat: report.StatRatioP99, Max: 1.3},
	})
	return nil
}

func (s *Suite) figureSequentialLarge(ctx context.Context) error {
	t := s.tenants["burst-1"]
	if t == nil {
		return errors.New("the first burst's tenant is missing")
	}
	if err := s.settle(ctx); err != nil {
		return err
	}
	naasTimes, floorTimes, err := s.sequential(ctx, t, "seq-large")
	if err != nil {
		return err
	}
	v := report.Summarize(naasTimes)
	s.add(report.Figure{
		ID: "1b", Title: fmt.Sprintf("One namespace, claim to Ready, in a tenant that holds %d namespaces", s.Sizes.Burst), Unit: "s",
		Method:   fmt.Sprintf("As 1a, in the tenant of the first burst, which holds %d namespaces.", s.Sizes.Burst),
		Value:    &v,
		Baseline: &report.Baseline{Name: floorName, Value: report.Summarize(floorTimes)},
		Target:   &report.Target{Text: "p99 at most 1.3x the floor", Stat: report.StatRatioP99, Max: 1.3},
	})
	e := report.Summarize(s.seqEmpty)
	s.add(report.Figure{
		ID: "1c", Title: "Growth of claim to Ready with the tenant's size (1b against 1a)", Unit: "s",
		Method:   "The time must not grow with the number of namespaces the tenant holds: 1b's claims over 1a's.",
		Value:    &v,
		Baseline: &report.Baseline{Name: "claim to Ready in a tenant with no other namespaces (1a)", Value: e},
		Target:   &report.Target{Text: "at most 1.2x", Stat: report.StatRatioMedian, Max: 1.2},
	})
	return nil
}

// parallel runs f for every index with the given number of workers and returns the first error.
func parallel(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// burstRun is what a burst of claims took.
type burstRun struct {
	// created is how long the creates took; took the time from the first create until the last claim was Ready.
	created, took time.Duration
	// reconciles and errors are the claim controller's reconciles, and those that failed, meanwhile.
	reconciles, errors float64
}

// burst creates the claims names of tenant with 16 workers, and waits until a watch has seen every one Ready.
func (s *Suite) burst(ctx context.Context, names []string, tenant string) (burstRun, error) {
	var run burstRun
	before, err := s.naas.Metrics(ctx)
	if err != nil {
		return run, err
	}
	start := time.Now()
	if err := parallel(ctx, len(names), 16, func(ctx context.Context, i int) error {
		return s.c.CreateClaim(ctx, names[i], tenant)
	}); err != nil {
		return run, err
	}
	run.created = time.Since(start)
	s.claims.Insert(names...)
	if err := s.watch.Wait(ctx, 20*time.Minute, names...); err != nil {
		return run, err
	}
	var last time.Time
	for _, n := range names {
		if at, _ := s.watch.ReadyAt(n); at.After(last) {
			last = at
		}
	}
	run.took = last.Sub(start)
	after, err := s.naas.Metrics(ctx)
	if err != nil {
		return run, err
	}
	claims := scrape.Labels{"controller": "namespaceclaim"}
	run.reconciles = after.Sum("controller_runtime_reconcile_total", claims) - before.Sum("controller_runtime_reconcile_total", claims)
	run.errors = after.Sum("controller_runtime_reconcile_errors_total", claims) - before.Sum("controller_runtime_reconcile_errors_total", claims)
	return run, nil
}

// note says what the burst took besides its time.
func (b burstRun) note() string {
	return fmt.Sprintf("the claims were created in %s; naas reconciled claims %.0f times (%.0f errors) until the last was Ready.",
		b.created.Round(time.Millisecond), b.reconciles, b.errors)
}

func (s *Suite) figureBurst(ctx context.Context) error {
	var naasTimes, floorTimes []float64
	var notes []string
	for r := 1; r <= s.Sizes.BurstRuns; r++ {
		tn := fmt.Sprintf("burst-%d", r)
		t, err := s.tenant(ctx, tn, "alice")
		if err != nil {
			return err
		}
		names := make([]string, s.Sizes.Burst)
		floors := make([][]*unstructured.Unstructured, s.Sizes.Burst)
		for i := range names {
			names[i] = fmt.Sprintf("%s-%04d", tn, i)
			if floors[i], err = s.c.FloorBundle(ctx, "floor-"+names[i], t); err != nil {
				return err
			}
		}
		if err := s.settle(ctx); err != nil {
			return err
		}
		run, err := s.burst(ctx, names, tn)
		if err != nil {
			return err
		}
		naasTimes = append(naasTimes, run.took.Seconds())
		s.Log("burst %d: %d claims Ready in %s", r, len(names), run.took.Round(time.Millisecond))
		notes = append(notes, fmt.Sprintf("Run %d: %s", r, run.note()))

		if err := s.settle(ctx); err != nil {
			return err
		}
		start := time.Now()
		if err := parallel(ctx, len(floors), s.Sizes.FloorWorkers, func(ctx context.Context, i int) error {
			_, err := s.c.ApplyFloor(ctx, floors[i])
			return err
		}); err != nil {
			return err
		}
		floorTimes = append(floorTimes, time.Since(start).Seconds())
		s.Log("burst %d: floor wrote %d bundles in %s", r, len(floors), time.Since(start).Round(time.Millisecond))
	}
	v := report.Summarize(naasTimes)
	s.add(report.Figure{
		ID: "2", Title: fmt.Sprintf("Burst: %d claims created at once, until all are Ready", s.Sizes.Burst), Unit: "s",
		Method: fmt.Sprintf("%d claims are created by 16 workers in a new tenant; timed from the first create until a "+
			"watch has seen every claim Ready. Repeated %d times, each in a new tenant.", s.Sizes.Burst, s.Sizes.BurstRuns),
		Value: &v,
		Baseline: &report.Baseline{
			Name: fmt.Sprintf("the same %d bundles applied directly (server-side apply, as naas writes) by %d workers with naas's "+
				"client settings (the floor)", s.Sizes.Burst, s.Sizes.FloorWorkers),
			Value: report.Summarize(floorTimes),
		},
		Target: &report.Target{Text: "at most 2x the floor", Stat: report.StatRatioMedian, Max: 2},
		Notes:  notes,
	})
	return nil
}

func (s *Suite) figureIdle(ctx context.Context) error {
	if err := s.settle(ctx); err != nil {
		return err
	}
	ready := s.claims.Len()
	var writes []float64
	total := Tally{ByKind: map[string]int{}, WriteKinds: map[string]int{}}
	for range s.Sizes.IdleWindows {
		mark, err := s.c.Audit.Mark()
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.Sizes.IdleWindow):
		}
		events, err := s.c.Audit.Since(mark)
		if err != nil {
			return err
		}
		t := Count(events, naasUser)
		writes = append(writes, float64(t.Writes+t.Refused))
		total.Writes += t.Writes
		total.Refused += t.Refused
		total.Reads += t.Reads
		for k, n := range t.ByKind {
			total.ByKind[k] += n
		}
		for k, n := range t.WriteKinds {
			total.WriteKinds[k] += n
		}
	}
	v := report.Summarize(writes)
	s.add(report.Figure{
		ID: "3", Title: fmt.Sprintf("Idle: naas's mutating API calls per %s with %d ready namespaces", s.Sizes.IdleWindow, ready), Unit: "count",
		Method: fmt.Sprintf("With every claim Ready and the cluster quiet, kube-apiserver's audit log counts naas's mutating calls "+
			"in %d consecutive windows of %s.", s.Sizes.IdleWindows, s.Sizes.IdleWindow),
		Value:  &v,
		Target: &report.Target{Text: "none", Stat: report.StatP99, Max: 0},
		Notes: []string{
			fmt.Sprintf("In all %s: %d accepted and %d refused mutating calls (%s), and %d reads (%s).",
				time.Duration(s.Sizes.IdleWindows)*s.Sizes.IdleWindow, total.Writes, total.Refused, total.WritesString(), total.Reads, total.String()),
			"No baseline: the target is an absolute zero.",
		},
	})
	return nil
}

func (s *Suite) figureCost(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "naas-bench-cost-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	figures, err := CostFigures(ctx, dir, s.Sizes.Cost)
	if err != nil {
		return err
	}
	for _, f := range figures {
		s.add(f)
	}
	return nil
}
