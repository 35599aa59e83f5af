package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
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
		cond := naasv1alpha1.ClusterReady
		if !want {
			cond = naasv1alpha1.ClusterReachable
		}
		return waitCluster(ctx, s.c.Admin, name, cond, want, 2*time.Minute)
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

// waitCluster waits until the Cluster called name has its condition cond True (want) or not True (!want).
func waitCluster(ctx context.Context, c client.Client, name, cond string, want bool, timeout time.Duration) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		cl := &naasv1alpha1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			return false, nil //nolint:nilerr // not there yet
		}
		return meta.IsStatusConditionTrue(cl.Status.Conditions, cond) == want, nil
	})
}

// FleetSizes are the sizes of the fleet figures.
type FleetSizes struct {
	// Burst is the number of claims placed over the two members at once (figure 11).
	Burst int
	// ScaleNamespaces and ScaleTenants: the fleet is brought to this many naas namespaces, a third on each
	// cluster, across this many tenants (figure 12).
	ScaleNamespaces int
	ScaleTenants    int
}

// The label of the fleet's members that the burst tenant's placement selects: the management cluster has not got
// it.
const (
	fleetLabel = "bench"
	fleetValue = "fleet"
)

// place is a cluster of a fleet that topUp deals namespaces to: the name its claims give (spec.cluster), and a
// client that writes there as naas does (on a member, naas's identity there, which naas's admission policies on
// the member let write naas's objects).
type place struct {
	cluster string
	writer  client.Client
	// namespaces is how many naas namespaces the cluster holds.
	namespaces int
}

// fleetMember is a member cluster of the fleet figures.
type fleetMember struct {
	name string
	env  *testenv.Environment
	// floor writes the floor there: floorUser with naas's client settings.
	floor client.Client
}

// figureFleet measures figures 11 and 12 on a fleet of its own: a management cluster and two members, each a
// local control plane as the run's cluster (audit log, quota recount at Kubernetes' default), with naas serve
// built from the tree. The run's cluster and naas are stopped first, when there are any: the fleet figures come
// last, and three control planes are as much as the machine should carry at once.
func (s *Suite) figureFleet(ctx context.Context) error {
	if s.naas != nil {
		if err := s.naas.Stop(); err != nil {
			return err
		}
	}
	if s.c != nil {
		s.c.Stop()
	}
	f := &Suite{Sizes: s.Sizes, Log: s.Log, rep: s.rep, bin: s.bin, prof: s.prof, dir: filepath.Join(s.dir, "fleet"),
		tenants: map[string]*naasv1alpha1.Tenant{}, claims: sets.New[string](), users: map[string]client.Client{}}
	f.Sizes.ScaleNamespaces, f.Sizes.ScaleTenants = s.Sizes.Fleet.ScaleNamespaces, s.Sizes.Fleet.ScaleTenants
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	var members []fleetMember
	defer func() {
		for _, m := range members {
			m.env.Stop()
		}
	}()
	for i := 1; i <= 2; i++ {
		env, err := testenv.StartMember(testenv.Options{
			Users:                 []testenv.User{{Name: floorUser, Groups: []string{"system:masters"}}},
			ControllerManagerArgs: []string{"--resource-quota-sync-period=" + QuotaSyncPeriod.String()},
		})
		if err != nil {
			return err
		}
		m := fleetMember{name: fmt.Sprintf("fleet-%d", i), env: env}
		members = append(members, m)
		floorCfg := env.UserConfig(floorUser)
		floorCfg.QPS, floorCfg.Burst = naasQPS, naasBurst
		if members[i-1].floor, err = client.New(floorCfg, client.Options{Scheme: env.Scheme}); err != nil {
			return err
		}
	}
	var err error
	if f.c, err = StartCluster(f.dir); err != nil {
		return err
	}
	defer f.c.Stop()
	if f.watch, err = WatchReady(ctx, f.c.Env.Config); err != nil {
		return err
	}
	if err := f.startNaas(ctx); err != nil {
		return err
	}
	defer func() { _ = f.naas.Stop() }()
	f.places = []place{{cluster: naasv1alpha1.LocalClusterName, writer: f.c.Admin}}
	for _, m := range members {
		if _, err := f.c.Env.RegisterMember(ctx, m.name, m.env, map[string]string{fleetLabel: fleetValue}); err != nil {
			return err
		}
		// As naas there: naas's admission policies on the member let only naas write naas's objects.
		as := m.env.UserConfig(testenv.MemberIdentity)
		as.QPS, as.Burst = -1, 0
		w, err := client.New(as, client.Options{Scheme: m.env.Scheme})
		if err != nil {
			return err
		}
		f.places = append(f.places, place{cluster: m.name, writer: w})
		admin := rest.CopyConfig(m.env.Config)
		f.quiet = append(f.quiet, admin)
	}
	for _, m := range members {
		if err := waitCluster(ctx, f.c.Admin, m.name, naasv1alpha1.ClusterReady, true, 3*time.Minute); err != nil {
			return fmt.Errorf("member %s never Ready: %w", m.name, err)
		}
	}
	if err := f.measureStartMemory(ctx); err != nil {
		return err
	}
	if err := f.fleetBurst(ctx, members); err != nil {
		return fmt.Errorf("figure 11: %w", err)
	}
	if err := f.fleetScale(ctx, s.rep); err != nil {
		return fmt.Errorf("figure 12: %w", err)
	}
	return nil
}

// fleetBurst is figure 11: Burst claims of a tenant whose placement selects the two members, created by 16
// workers, until all are Ready; against the same bundles applied directly to the members by FloorWorkers workers.
func (s *Suite) fleetBurst(ctx context.Context, members []fleetMember) error {
	t := tenantObject("fleet-burst", "alice")
	t.Spec.Placement = &naasv1alpha1.Placement{ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{fleetLabel: fleetValue}}}
	if err := s.c.Admin.Create(ctx, t); err != nil {
		return fmt.Errorf("create tenant %s: %w", t.Name, err)
	}
	s.tenants[t.Name] = t
	names := make([]string, s.Sizes.Fleet.Burst)
	floors := make([][]*unstructured.Unstructured, len(names))
	var err error
	for i := range names {
		names[i] = fmt.Sprintf("%s-%04d", t.Name, i)
		if floors[i], err = s.c.FloorBundle(ctx, "floor-"+names[i], t); err != nil {
			return err
		}
	}
	if err := s.settle(ctx); err != nil {
		return err
	}
	waitProfiles := s.prof.during(ctx, "11", s.naas, s.c.Env.Config, 20*time.Second)
	run, err := s.burst(ctx, names, t.Name)
	waitProfiles()
	if err != nil {
		return err
	}
	took := run.took
	split, err := s.split(ctx, names)
	if err != nil {
		return err
	}
	s.Log("fleet burst: %d claims Ready in %s, placed %s", len(names), took.Round(time.Millisecond), split)

	if err := s.settle(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := parallel(ctx, len(floors), s.Sizes.FloorWorkers, func(ctx context.Context, i int) error {
		_, err := applyFloor(ctx, members[i%len(members)].floor, floors[i])
		return err
	}); err != nil {
		return err
	}
	floor := time.Since(start)
	s.Log("fleet burst: floor wrote %d bundles over %d members in %s", len(floors), len(members), floor.Round(time.Millisecond))
	v := report.Summarize([]float64{took.Seconds()})
	s.add(report.Figure{
		ID: "11", Title: fmt.Sprintf("Fleet burst: %d claims placed over two member clusters, until all are Ready", len(names)), Unit: "s",
		Method: fmt.Sprintf("A management cluster and two members (each its own local control plane); %d claims of a tenant whose "+
			"placement selects both members are created by 16 workers, and naas places each (no claim names a cluster) and "+
			"provisions it on its member; timed from the first create until a watch on the management cluster has seen "+
			"every claim Ready.", len(names)),
		Value: &v,
		Baseline: &report.Baseline{
			Name: fmt.Sprintf("the same %d bundles (bundle.Build) applied directly to the members, every other one to each, by %d "+
				"workers with naas's client settings (a client per member, as naas has)", len(floors), s.Sizes.FloorWorkers),
			Value: report.Summarize([]float64{floor.Seconds()}),
		},
		Target: &report.Target{Text: "at most 2x the floor, as one cluster's burst (figure 2)", Stat: report.StatRatioMedian, Max: 2},
		Notes: []string{
			fmt.Sprintf("Placement: %s; %s", split, run.note()),
			"One run; the floor's bundles are split evenly over the members by construction.",
		},
	})
	return nil
}

// placed counts the claims of names by the cluster they were placed on (status.cluster).
func (s *Suite) placed(ctx context.Context, names []string) (map[string]int, error) {
	want := sets.New(names...)
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := s.c.Admin.List(ctx, claims); err != nil {
		return nil, err
	}
	by := map[string]int{}
	for _, c := range claims.Items {
		if want.Has(c.Name) {
			by[c.Status.Cluster]++
		}
	}
	return by, nil
}

// split says how the claims of names were placed: the number on each cluster.
func (s *Suite) split(ctx context.Context, names []string) (string, error) {
	by, err := s.placed(ctx, names)
	if err != nil {
		return "", err
	}
	var parts []string
	for cl, n := range by {
		parts = append(parts, fmt.Sprintf("%s %d", cl, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", "), nil
}

// fleetScale is figure 12: the fleet is brought to ScaleNamespaces naas namespaces, about a third on each cluster
// (the burst's on the members, the rest to the cluster with the fewest), naas
// is restarted and its first pass awaited (as figure 4), and its memory sampled for the steady window. The
// baseline is figure 4's single cluster at its size in the same run (rep) when there is one.
func (s *Suite) fleetScale(ctx context.Context, rep *report.Report) error {
	placed, err := s.placed(ctx, sets.List(s.claims))
	if err != nil {
		return err
	}
	for i := range s.places {
		s.places[i].namespaces = placed[s.places[i].cluster]
	}
	if err := s.topUp(ctx); err != nil {
		return err
	}
	if err := s.settle(ctx); err != nil {
		return err
	}
	claims := s.claims.Len()
	names := sets.List(s.claims)
	split, err := s.split(ctx, names)
	if err != nil {
		return err
	}
	if err = s.naas.Stop(); err != nil {
		return err
	}
	synced, pass, err := s.startPass(ctx, claims)
	if err != nil {
		return err
	}
	s.Log("fleet scale: %d namespaces (%s); restart: caches synced after %s, first pass done after %s",
		claims, split, synced.Round(time.Millisecond), pass.Round(time.Millisecond))
	rss, heap, err := s.sampleMemory(ctx)
	if err != nil {
		return err
	}
	s.prof.heap(ctx, "12", s.naas)
	rs, hs := report.Summarize(rss), report.Summarize(heap)
	notes := []string{
		fmt.Sprintf("Namespaces by cluster: %s (figure 11's on the members, each of the rest written to the cluster with the fewest).", split),
		fmt.Sprintf("The restart before: caches synced after %s, first pass over every claim done after %s.",
			synced.Round(time.Millisecond), pass.Round(time.Millisecond)),
		fmt.Sprintf("The same fleet's naas right after its first start, with no namespaces: RSS %.0f MiB, heap %.0f MiB (medians).",
			report.Summarize(s.startRSS).Median, report.Summarize(s.startHeap).Median),
		fmt.Sprintf("naas serve runs as in figure 4, with --memory-limit=%dMi.", MemoryLimitMiB),
	}
	baseline := func(id, what string, start []float64) *report.Baseline {
		if f := rep.Figure(id); f != nil && f.Value != nil && f.NotAvailable == "" {
			return &report.Baseline{Name: fmt.Sprintf("naas's %s on one cluster with its namespaces (figure %s, the same run)", what, id), Value: *f.Value}
		}
		return &report.Baseline{Name: fmt.Sprintf("the same fleet's naas right after its first start, with no namespaces (no figure %s in this run)", id),
			Value: report.Summarize(start)}
	}
	s.add(report.Figure{
		ID: "12-rss", Title: fmt.Sprintf("Manager RSS in steady state, %d namespaces over three clusters", claims), Unit: "MiB",
		Method: fmt.Sprintf("VmRSS of the naas serve process of a fleet (the management cluster and two members, about a third of "+
			"the namespaces on each), once a second for %s after a restart's first pass.", s.Sizes.SteadyWindow),
		Value: &rs, Baseline: baseline("4-rss", "RSS", s.startRSS),
		Target: &report.Target{Text: "at most 150 MiB, as on one cluster", Stat: report.StatP99, Max: 150},
		Notes:  notes,
	})
	s.add(report.Figure{
		ID: "12-heap", Title: fmt.Sprintf("Manager Go heap in steady state, %d namespaces over three clusters", claims), Unit: "MiB",
		Method: "go_memstats_heap_alloc_bytes from naas's /metrics, sampled with 12-rss.",
		Value:  &hs, Baseline: baseline("4-heap", "heap", s.startHeap),
	})
	return nil
}
