package bench

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/bench/report"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/testenv"
)

// scaleAdmin is the admin of the first scale tenant, whose REST API calls figure 6 times: a
// user with a tenant of ordinary size in a cluster of ScaleNamespaces namespaces.
const scaleAdmin = "dave"

// topUp brings the cluster to ScaleNamespaces naas namespaces across ScaleTenants tenants, the
// existing ones included, and waits until every claim is Ready. In a fleet (s.places) each new namespace goes to
// the cluster that holds the fewest, its claim naming it. To save time it writes each new
// namespace's objects directly first, with many workers, and then creates the claims: naas finds
// its objects as it would have made them (stamped, applied by its field manager) and adopts them,
// writing only the claims' finalizers and status. The figures measured at this scale (restart,
// memory, API) do not depend on who wrote the objects; the burst figure measures naas writing them.
func (s *Suite) topUp(ctx context.Context) error {
	var tenants []*naasv1alpha1.Tenant
	for i := 0; len(s.tenants) < s.Sizes.ScaleTenants; i++ {
		name := fmt.Sprintf("scale-%04d", i)
		admin := fmt.Sprintf("owner-%04d", i)
		if i == 0 {
			admin = scaleAdmin
		}
		t, err := s.tenant(ctx, name, admin)
		if err != nil {
			return err
		}
		tenants = append(tenants, t)
	}
	if len(tenants) == 0 {
		return fmt.Errorf("the earlier figures already use %d tenants, as many as the scale figure's %d: raise ScaleTenants", len(s.tenants), s.Sizes.ScaleTenants)
	}
	places := s.places
	if len(places) == 0 {
		places = []place{{writer: s.c.Admin}}
	}
	var names []string
	var owners []*naasv1alpha1.Tenant
	var where []place
	for i := 0; s.claims.Len()+len(names) < s.Sizes.ScaleNamespaces; i++ {
		t := tenants[i%len(tenants)]
		names = append(names, fmt.Sprintf("%s-%03d", t.Name, i/len(tenants)))
		owners = append(owners, t)
		// To the cluster that holds the fewest so far, the first of them on a tie.
		p := 0
		for j := range places {
			if places[j].namespaces < places[p].namespaces {
				p = j
			}
		}
		places[p].namespaces++
		where = append(where, places[p])
	}
	start := time.Now()
	if err := parallel(ctx, len(names), 32, func(ctx context.Context, i int) error {
		objs, err := s.c.Bundle(ctx, names[i], owners[i], naasv1alpha1.ManagedByValue)
		if err != nil {
			return err
		}
		for _, o := range objs {
			// Written as naas writes them (stamped, server-side applied by its field manager), so that naas
			// finds them in place and needs neither to read nor to write them.
			if _, err := apply.Stamp(o); err != nil {
				return err
			}
			if err := where[i].writer.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(apply.FieldOwner), client.ForceOwnership); err != nil {
				return fmt.Errorf("apply %s %s: %w", o.GetKind(), client.ObjectKeyFromObject(o), err)
			}
		}
		return s.c.CreateClaimOn(ctx, names[i], owners[i].Name, where[i].cluster)
	}); err != nil {
		return err
	}
	wrote := time.Since(start)
	s.claims.Insert(names...)
	if err := s.watch.Wait(ctx, 30*time.Minute, names...); err != nil {
		return err
	}
	took := time.Since(start)
	s.Log("scale: %d more namespaces in %d new tenants: objects and claims written in %s, all claims Ready after %s",
		len(names), len(tenants), wrote.Round(time.Second), took.Round(time.Second))
	return nil
}

// syncFloor times a bare informer cache of everything naas reads, with naas's client settings:
// the least any controller of these objects pays at start.
func (s *Suite) syncFloor(ctx context.Context) (time.Duration, error) {
	managed := labels.SelectorFromSet(labels.Set{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue})
	c, err := cache.New(s.c.FloorConfig(), cache.Options{
		Scheme:           testenv.NewScheme(),
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Namespace{}:           {Label: managed},
			&corev1.ResourceQuota{}:       {Label: managed},
			&corev1.LimitRange{}:          {Label: managed},
			&rbacv1.RoleBinding{}:         {Label: managed},
			&networkingv1.NetworkPolicy{}: {Label: managed},
		},
	})
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, obj := range []client.Object{
		&naasv1alpha1.NamespaceClaim{}, &naasv1alpha1.Tenant{}, &naasv1alpha1.NamespaceTemplate{}, &naasv1alpha1.Tier{},
		&corev1.Namespace{}, &corev1.ResourceQuota{}, &corev1.LimitRange{}, &rbacv1.RoleBinding{}, &networkingv1.NetworkPolicy{},
	} {
		if _, err := c.GetInformer(ctx, obj, cache.BlockUntilSynced(false)); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return 0, fmt.Errorf("the floor's cache did not sync")
	}
	return time.Since(start), nil
}

// startPass starts naas (stopped before) and waits until its caches are synced and its first pass over claims
// claims is done; it returns both times since the process started.
func (s *Suite) startPass(ctx context.Context, claims int) (synced, pass time.Duration, err error) {
	if s.naas, err = s.c.StartNaas(s.bin); err != nil {
		return 0, 0, err
	}
	if synced, err = s.naas.WaitReady(ctx, 5*time.Minute); err != nil {
		return 0, 0, err
	}
	if pass, err = s.naas.WaitIdle(ctx, claims, 10*time.Minute); err != nil {
		return 0, 0, err
	}
	return synced, pass, nil
}

func (s *Suite) figureScale(ctx context.Context) error {
	if err := s.topUp(ctx); err != nil {
		return err
	}
	if err := s.settle(ctx); err != nil {
		return err
	}
	claims := s.claims.Len()
	var syncs, passes, writes, floors []float64
	var last Tally
	for r := 1; r <= s.Sizes.Restarts; r++ {
		if err := s.naas.Stop(); err != nil {
			return err
		}
		floor, err := s.syncFloor(ctx)
		if err != nil {
			return err
		}
		floors = append(floors, floor.Seconds())
		mark, err := s.c.Audit.Mark()
		if err != nil {
			return err
		}
		synced, pass, err := s.startPass(ctx, claims)
		if err != nil {
			return err
		}
		events, err := s.c.Audit.Since(mark)
		if err != nil {
			return err
		}
		last = Count(events, naasUser)
		syncs, passes, writes = append(syncs, synced.Seconds()), append(passes, pass.Seconds()), append(writes, float64(last.Writes))
		s.Log("restart %d: caches synced after %s, first pass done after %s, %d writes (%d refused), %d reads; floor synced in %s",
			r, synced.Round(time.Millisecond), pass.Round(time.Millisecond), last.Writes, last.Refused, last.Reads, floor.Round(time.Millisecond))
	}
	floorBase := &report.Baseline{
		Name:  "a bare informer cache of the same objects with naas's client settings, started in the benchmark (the floor)",
		Value: report.Summarize(floors),
	}
	sync := report.Summarize(syncs)
	s.add(report.Figure{
		ID: "4-sync", Title: fmt.Sprintf("Restart to caches synced, %d namespaces in %d tenants", claims, len(s.tenants)), Unit: "s",
		Method: fmt.Sprintf("naas serve is stopped with SIGTERM and started again, %d times; timed from the start of the process "+
			"until /readyz answers 200, which it does once the caches have synced.", s.Sizes.Restarts),
		Value: &sync, Baseline: floorBase,
	})
	pass := report.Summarize(passes)
	s.add(report.Figure{
		ID: "4-pass", Title: fmt.Sprintf("Restart to first full pass done, %d namespaces", claims), Unit: "s",
		Method: "From the start of the process until every controller's queue is empty, no reconcile is running and the claim " +
			"controller has reconciled at least as often as there are claims (naas's /metrics).",
		Value: &pass, Baseline: floorBase,
		Target: &report.Target{Text: "under 30 s", Stat: report.StatP99, Max: 30},
	})
	w := report.Summarize(writes)
	s.add(report.Figure{
		ID: "4-writes", Title: fmt.Sprintf("Writes during the restart pass, %d namespaces", claims), Unit: "count",
		Method: "naas's mutating calls that kube-apiserver accepted, in its audit log, from the start of the process until " +
			"the pass is done. Refused ones (a create of what exists, 409) change nothing and are listed in the notes.",
		Value:  &w,
		Target: &report.Target{Text: "none", Stat: report.StatP99, Max: 0},
		Notes: []string{
			fmt.Sprintf("Last restart: %d writes and %d refused mutating calls (%s); %d reads (%s).",
				last.Writes, last.Refused, last.WritesString(), last.Reads, last.String()),
			"No baseline: the target is an absolute zero.",
		},
	})
	rss, heap, err := s.sampleMemory(ctx)
	if err != nil {
		return err
	}
	s.prof.heap(ctx, "4", s.naas)
	rs, hs := report.Summarize(rss), report.Summarize(heap)
	ms, err := s.naas.Metrics(ctx)
	if err != nil {
		return err
	}
	var heapNotes []string
	if live := ms.Sum("go_gc_heap_live_bytes", nil); live > 0 {
		heapNotes = append(heapNotes, fmt.Sprintf("At the end: %.0f MiB live after the last collection, next collection at %.0f MiB.",
			live/(1<<20), ms.Sum("go_gc_heap_goal_bytes", nil)/(1<<20)))
	}
	rssNotes := []string{fmt.Sprintf("naas serve runs with its defaults (Go's collection target, GOGC=100) and --memory-limit=%dMi, "+
		"as in a container limited to %d MiB: it sets Go's soft memory limit to 0.9 of that, less the pages of its own "+
		"code in memory, which count against a container's limit but not against Go's (--auto-gomemlimit-ratio).",
		MemoryLimitMiB, MemoryLimitMiB)}
	if soft := ms.Sum("go_gc_gomemlimit_bytes", nil); soft > 0 {
		note := fmt.Sprintf("At the end: Go's soft memory limit %.0f MiB", soft/(1<<20))
		if file, err := s.naas.FileRSS(); err == nil {
			note += fmt.Sprintf("; of the RSS, %.0f MiB are naas's code and read-only data (RssFile)", float64(file)/(1<<20))
		}
		rssNotes = append(rssNotes, note+".")
	}
	startName := "the same naas right after its first start, with no namespaces yet"
	s.add(report.Figure{
		ID: "4-rss", Title: fmt.Sprintf("Manager RSS in steady state, %d namespaces", claims), Unit: "MiB",
		Method: fmt.Sprintf("VmRSS of the naas serve process (/proc), once a second for %s after the last restart's pass.", s.Sizes.SteadyWindow),
		Value:  &rs, Baseline: &report.Baseline{Name: startName, Value: report.Summarize(s.startRSS)},
		Target: &report.Target{Text: "at most 150 MiB", Stat: report.StatP99, Max: 150},
		Notes:  rssNotes,
	})
	s.add(report.Figure{
		ID: "4-heap", Title: fmt.Sprintf("Manager Go heap in steady state, %d namespaces", claims), Unit: "MiB",
		Method: "go_memstats_heap_alloc_bytes from naas's /metrics (live objects and garbage not yet collected), sampled with the RSS.",
		Value:  &hs, Baseline: &report.Baseline{Name: startName, Value: report.Summarize(s.startHeap)},
		Notes: heapNotes,
	})
	return nil
}
