package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrl "sigs.k8s.io/controller-runtime/pkg/log"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/cost/allocation"
	"github.com/naas-dev/naas/internal/cost/pricing"
)

// Target is a cluster whose cost is collected.
type Target struct {
	Name string
	// Reader lists the cluster's nodes, namespaces, pods, claims and services, uncached.
	Reader client.Reader
}

// Options configure a Collector.
type Options struct {
	// Store keeps the hours.
	Store audit.CostStore
	// Management reads PriceBooks, the CostPolicy and Tenants.
	Management client.Reader
	// Targets lists the clusters to collect, at each pass.
	Targets func() []Target
	// Usage reads containers' usage; nil prices requests alone.
	Usage Usage
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Backfill is how far back a start fills missing hours; DefaultBackfill when zero.
	Backfill time.Duration
	// Interval is how often the collector looks for hours that ended; a minute when zero.
	Interval time.Duration
	// Stored, when set, is called after an hour's rows are stored (the budget evaluator is poked).
	Stored func()
	// CurrentTTL is how long the hour in progress, once computed, answers reports; a minute when zero.
	CurrentTTL time.Duration
}

// DefaultBackfill is how far back a collector that starts fills hours missing from the store: a week, which a
// Prometheus's default retention (15 days) still holds usage for.
const DefaultBackfill = 7 * 24 * time.Hour

// Collector computes each hour of each target cluster and writes it to the store. It is a manager Runnable for
// the leader replica; its read side (Report, Spend, Current) works on every replica.
type Collector struct {
	opts Options

	mu      sync.Mutex
	current *current
}

// current is the hour in progress as last computed.
type current struct {
	at     time.Time
	source string
	rows   []allocation.Row
}

// New returns a collector.
func New(opts Options) *Collector {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Backfill == 0 {
		opts.Backfill = DefaultBackfill
	}
	if opts.Interval == 0 {
		opts.Interval = time.Minute
	}
	if opts.CurrentTTL == 0 {
		opts.CurrentTTL = time.Minute
	}
	return &Collector{opts: opts}
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: only the leader writes hours.
func (c *Collector) NeedLeaderElection() bool { return true }

// Start implements manager.Runnable: it fills the missing hours, then each Interval the hours that ended.
func (c *Collector) Start(ctx context.Context) error {
	log := ctrl.FromContext(ctx).WithName("cost-collector")
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	for {
		n, err := c.Fill(ctx)
		if err != nil {
			log.Error(err, "Cost hours not computed; retrying", "computed", n)
		} else if n > 0 {
			log.Info("Cost hours computed", "hours", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Fill computes and stores every complete hour of every target that the store does not hold, from the first
// hour it holds within the back-fill limit (or the last complete hour, for a cluster it holds none of), oldest
// first, and returns how many it stored.
func (c *Collector) Fill(ctx context.Context) (int, error) {
	now := c.opts.Now().UTC()
	end := now.Truncate(time.Hour) // The hour in progress is not stored.
	since := end.Add(-c.opts.Backfill)
	n := 0
	var errs []error
	for _, t := range c.opts.Targets() {
		done, err := c.opts.Store.CostHours(ctx, t.Name, since, end)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// From the first hour stored (within the limit): gaps after it are filled. With no hour stored yet, start
		// at the last complete hour: naas knows nothing of the cluster before.
		from := end.Add(-time.Hour)
		if len(done) > 0 {
			from = done[0]
		}
		have := map[int64]bool{}
		for _, h := range done {
			have[h.Unix()] = true
		}
		for h := from; h.Before(end); h = h.Add(time.Hour) {
			if have[h.Unix()] {
				continue
			}
			if err := c.StoreHour(ctx, t, h); err != nil {
				errs = append(errs, err)
				break // Later hours wait: the store stays gap-free from the oldest missing hour on.
			}
			n++
		}
	}
	return n, errors.Join(errs...)
}

// StoreHour computes the hour starting at hour of t and replaces it in the store.
func (c *Collector) StoreHour(ctx context.Context, t Target, hour time.Time) error {
	res, source, err := c.Compute(ctx, t, hour, hour.Add(time.Hour))
	if err != nil {
		return err
	}
	h := audit.CostHour{Cluster: t.Name, Hour: hour, UsageSource: source, Rows: make([]audit.CostRow, 0, len(res.Rows))}
	for i := range res.Rows {
		h.Rows = append(h.Rows, ToStore(&res.Rows[i]))
	}
	if err := c.opts.Store.ReplaceCostHour(ctx, h); err != nil {
		return err
	}
	if c.opts.Stored != nil {
		c.opts.Stored()
	}
	return nil
}

// Compute computes [start, end) of t: the snapshot of the cluster, usage if configured (requests alone when
// Prometheus fails, and the source says so), the PriceBooks and CostPolicy as they are now.
func (c *Collector) Compute(ctx context.Context, t Target, start, end time.Time) (allocation.Result, string, error) {
	snap, err := TakeSnapshot(ctx, t.Reader)
	if err != nil {
		return allocation.Result{}, "", fmt.Errorf("cost of cluster %s: %w", t.Name, err)
	}
	cfg, err := c.Config(ctx)
	if err != nil {
		return allocation.Result{}, "", err
	}
	var usage map[ContainerKey]ContainerUsage
	if c.opts.Usage != nil {
		usage, err = c.opts.Usage.Average(ctx, start, end)
		if err != nil {
			ctrl.FromContext(ctx).Error(err, "Usage not read from Prometheus; pricing requests alone", "cluster", t.Name, "hour", start)
			usage = nil
		}
	}
	in := snap.Input(t.Name, start, end, Labels{CostCenters: cfg.CostCenters}, usage)
	res, err := allocation.Compute(in, cfg.Catalog, cfg.Policy)
	if err != nil {
		return allocation.Result{}, "", fmt.Errorf("cost of cluster %s at %s: %w", t.Name, start.Format(time.RFC3339), err)
	}
	return res, in.UsageSource, nil
}

// Config is the pricing and policy in force.
type Config struct {
	Catalog     *pricing.Catalog
	Policy      allocation.Policy
	Spec        naasv1alpha1.CostPolicySpec
	Books       []naasv1alpha1.PriceBook
	CostCenters map[string]string
}

// Config reads the PriceBooks, the CostPolicy and the tenants' cost centers; without a default PriceBook or a
// CostPolicy, naas's defaults (pricing.Defaults) stand in.
func (c *Collector) Config(ctx context.Context) (*Config, error) {
	defBook, defPolicy, err := pricing.Defaults()
	if err != nil {
		return nil, err
	}
	var books naasv1alpha1.PriceBookList
	if err := c.opts.Management.List(ctx, &books); err != nil {
		return nil, fmt.Errorf("list price books: %w", err)
	}
	cfg := &Config{Books: books.Items, CostCenters: map[string]string{}}
	hasDefault := false
	for _, b := range books.Items {
		hasDefault = hasDefault || b.Spec.Default
	}
	if !hasDefault {
		cfg.Books = append(cfg.Books, *defBook)
	}
	policy := &naasv1alpha1.CostPolicy{}
	if err := c.opts.Management.Get(ctx, client.ObjectKey{Name: naasv1alpha1.DefaultCostPolicyName}, policy); apierrors.IsNotFound(err) {
		policy = defPolicy
	} else if err != nil {
		return nil, fmt.Errorf("read the cost policy: %w", err)
	}
	cfg.Spec = policy.Spec
	cfg.Policy = allocation.PolicyFrom(policy.Spec)
	if cfg.Catalog, err = pricing.NewCatalog(cfg.Books, policy.Spec.Currency); err != nil {
		return nil, fmt.Errorf("price books: %w", err)
	}
	var tenants naasv1alpha1.TenantList
	if err := c.opts.Management.List(ctx, &tenants); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	for _, t := range tenants.Items {
		cfg.CostCenters[t.Name] = t.Spec.CostCenter
	}
	return cfg, nil
}

// Current returns the rows of the hour in progress on every target, from its start to now, computed at most
// CurrentTTL ago, and their usage source.
func (c *Collector) Current(ctx context.Context) (start time.Time, rows []allocation.Row, source string, err error) {
	now := c.opts.Now().UTC()
	start = now.Truncate(time.Hour)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.current; cur != nil && cur.at.Truncate(time.Hour).Equal(start) && now.Sub(cur.at) < c.opts.CurrentTTL {
		return start, cur.rows, cur.source, nil
	}
	end := now.Truncate(time.Second)
	if !end.After(start) {
		end = start.Add(time.Second)
	}
	source = ""
	for _, t := range c.opts.Targets() {
		res, src, err := c.Compute(ctx, t, start, end)
		if err != nil {
			return start, nil, "", err
		}
		rows = append(rows, res.Rows...)
		source = mergeSource(source, src)
	}
	c.current = &current{at: now, source: source, rows: rows}
	return start, rows, source, nil
}

// Mixed is the usage source of a span whose hours came from Prometheus and from requests.
const Mixed = "mixed"

func mergeSource(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a == b:
		return a
	default:
		return Mixed
	}
}

// ToStore is an allocation row as the store keeps it.
func ToStore(r *allocation.Row) audit.CostRow {
	c, q := r.Cost, r.Quantities
	return audit.CostRow{
		Namespace: r.Namespace, Kind: string(r.Kind), Tenant: r.Tenant, CostCenter: r.CostCenter, Template: r.Template,
		Tier: r.Tier, Currency: r.Currency,
		Amounts: audit.CostAmounts{
			CPU: int64(c.CPU), Memory: int64(c.Memory), GPU: int64(c.GPU), Storage: int64(c.Storage),
			LoadBalancer: int64(c.LoadBalancer), Idle: int64(c.Idle), Shared: int64(c.Shared),
		},
		Quantities: audit.CostQuantities{
			CPURequest: q.CPURequest, CPUUsage: q.CPUUsage, CPUAllocated: q.CPUAllocated,
			MemoryRequest: q.MemoryRequest, MemoryUsage: q.MemoryUsage, MemoryAllocated: q.MemoryAllocated,
			GPU: q.GPU, Storage: q.Storage, LoadBalancers: q.LoadBalancers,
		},
	}
}
