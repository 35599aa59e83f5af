package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/event"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	fleet "github.com/naas-dev/naas/internal/cluster"
)

// Defaults of HeartbeatOptions: a cluster that stops answering is marked not Reachable after two failed probes,
// 10 to 16 seconds after its last answer, well within 30 seconds.
const (
	DefaultHeartbeatInterval     = 5 * time.Second
	DefaultHeartbeatTimeout      = 3 * time.Second
	DefaultHeartbeatThreshold    = 2
	DefaultHeartbeatStatusPeriod = time.Minute
)

// HeartbeatOptions configure the heartbeat.
type HeartbeatOptions struct {
	// Interval between probes of each cluster's API server (GET /readyz).
	Interval time.Duration
	// Timeout of a probe.
	Timeout time.Duration
	// Threshold is how many probes in a row must fail before a cluster is marked not Reachable.
	Threshold int
	// StatusPeriod is how often a Cluster's status.lastHeartbeatTime is written while nothing else changes, and
	// how often each Cluster is reconciled (its Secret read, its capacity observed) while nothing happens.
	StatusPeriod time.Duration
}

func (o HeartbeatOptions) interval() time.Duration {
	if o.Interval > 0 {
		return o.Interval
	}
	return DefaultHeartbeatInterval
}

func (o HeartbeatOptions) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultHeartbeatTimeout
}

func (o HeartbeatOptions) threshold() int {
	if o.Threshold > 0 {
		return o.Threshold
	}
	return DefaultHeartbeatThreshold
}

func (o HeartbeatOptions) statusPeriod() time.Duration {
	if o.StatusPeriod > 0 {
		return o.StatusPeriod
	}
	return DefaultHeartbeatStatusPeriod
}

// heartbeat probes every cluster of the registry, records the outcome there, and tells the controller (events)
// of the clusters whose reachability changed, and of every cluster once a StatusPeriod.
type heartbeat struct {
	opts     HeartbeatOptions
	registry *fleet.Registry
	local    *rest.Config
	events   chan event.GenericEvent

	mu      sync.Mutex
	clients map[string]probeClient
}

type probeClient struct {
	key string
	hc  *http.Client
	cfg *rest.Config
}

func (r *Reconciler) heartbeat() *heartbeat {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hb == nil {
		r.hb = &heartbeat{opts: r.Heartbeat, registry: r.Registry, local: r.LocalConfig,
			events: make(chan event.GenericEvent, 64), clients: map[string]probeClient{}}
	}
	return r.hb
}

// Start probes until ctx ends. It implements manager.Runnable.
func (h *heartbeat) Start(ctx context.Context) error {
	tick := time.NewTicker(h.opts.interval())
	defer tick.Stop()
	lastPeriodic := time.Now()
	for {
		h.beat(ctx)
		if time.Since(lastPeriodic) >= h.opts.statusPeriod() {
			lastPeriodic = time.Now()
			for _, m := range h.registry.Members() {
				h.enqueue(ctx, m.Name)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: the leader keeps the fleet.
func (h *heartbeat) NeedLeaderElection() bool { return true }

// beat probes every cluster at once, each with its own timeout: a cluster that hangs does not delay the others.
func (h *heartbeat) beat(ctx context.Context) {
	var wg sync.WaitGroup
	for _, m := range h.registry.Members() {
		cfg := m.Config
		if m.Name == naasv1alpha1.LocalClusterName {
			cfg = h.local
		}
		if cfg == nil {
			continue
		}
		wg.Go(func() {
			err := h.probe(ctx, m.Name, cfg)
			if ctx.Err() != nil {
				return
			}
			if h.registry.Observe(m.Name, err, time.Now(), h.opts.threshold()) {
				h.enqueue(ctx, m.Name)
			}
		})
	}
	wg.Wait()
}

func (h *heartbeat) enqueue(ctx context.Context, name string) {
	c := &naasv1alpha1.Cluster{}
	c.Name = name
	select {
	case h.events <- event.GenericEvent{Object: c}:
	case <-ctx.Done():
	}
}

// probe asks the cluster's API server whether it is ready (GET /readyz), within the timeout.
func (h *heartbeat) probe(ctx context.Context, name string, cfg *rest.Config) error {
	pc, err := h.client(name, cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, h.opts.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pc.cfg.Host+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := pc.hc.Do(req)
	if err != nil {
		return fmt.Errorf("GET /readyz: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return &fleet.RejectedError{Status: resp.Status}
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /readyz: %s: %s", resp.Status, body)
	}
	return nil
}

// client returns the HTTP client of a cluster's probes, made once per configuration: the probes reuse one
// connection, as naas's other requests to the cluster do, so a server that stops answering is seen to.
func (h *heartbeat) client(name string, cfg *rest.Config) (probeClient, error) {
	key := fmt.Sprintf("%p", cfg)
	h.mu.Lock()
	defer h.mu.Unlock()
	if pc, ok := h.clients[name]; ok && pc.key == key {
		return pc, nil
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return probeClient{}, fmt.Errorf("build the HTTP client of cluster %s: %w", name, err)
	}
	pc := probeClient{key: key, hc: hc, cfg: cfg}
	h.clients[name] = pc
	return pc, nil
}
