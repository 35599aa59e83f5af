package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
)

// UnknownError says a claim names a cluster that is not registered.
type UnknownError struct{ Cluster string }

func (e *UnknownError) Error() string {
	return fmt.Sprintf("cluster %q is not registered", e.Cluster)
}

// UnavailableError says a claim's cluster is registered but naas cannot act on it now: it does not answer, its
// cluster-wide objects are not installed yet, or it is being removed. Nothing is done on it until it is
// available again; what is there stays.
type UnavailableError struct {
	Cluster string
	// Unreachable: the cluster's API server did not answer the last heartbeats.
	Unreachable bool
	// Removing: the Cluster is being deleted.
	Removing bool
	// Message says why, for the claim's condition.
	Message string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("cluster %q is not available: %s", e.Cluster, e.Message)
}

// RejectedError says a cluster's API server answered, but refused naas's credentials (401 Unauthorized, or 403
// Forbidden on what any authenticated user may read): they expired, were revoked or are not the cluster's.
type RejectedError struct {
	// Status is the HTTP status the API server answered with.
	Status string
}

func (e *RejectedError) Error() string {
	return "the API server refused naas's credentials (" + e.Status + ")"
}

// Registry is the dynamic Resolver of a fleet: the management cluster ("local") and every registered member
// cluster, each with its own client, reader and inventory once the Cluster controller has reached it. The
// Cluster controller keeps it (Register, SetTarget, Observe, SetInstalled, Remove); the claim and tenant
// controllers read it.
type Registry struct {
	local *Target

	mu      sync.RWMutex
	members map[string]*member
	sinks   []sink
	ctx     context.Context
}

// member is what the registry knows of a member cluster.
type member struct {
	name      string
	key       string
	config    *rest.Config
	target    *Target
	cancel    context.CancelFunc
	reachable bool
	installed bool
	removing  bool
	failures  int
	lastSeen  time.Time
	lastError string
	rejected  bool
	// reach ends (unreach) when the member turns unreachable or is removed; calls through a Guard end with it.
	reach   context.Context
	unreach context.CancelFunc
}

// setReachable records whether the member answers, and starts or ends its reach context accordingly.
func (m *member) setReachable(reachable bool) {
	m.reachable = reachable
	switch {
	case reachable && (m.reach == nil || m.reach.Err() != nil):
		m.reach, m.unreach = context.WithCancel(context.Background())
	case !reachable && m.unreach != nil:
		m.unreach()
	}
}

// sink is a controller's queue, told of the changes on every cluster's inventory.
type sink struct {
	ctx        context.Context
	q          workqueue.TypedRateLimitingInterface[reconcile.Request]
	toRequests func(cluster string, o client.Object) []reconcile.Request
}

// NewRegistry returns a registry whose management cluster is local, reachable and installed (naas installs its
// objects there at start).
func NewRegistry(local *Target) *Registry {
	r := &Registry{local: local, members: map[string]*member{}}
	r.members[naasv1alpha1.LocalClusterName] = &member{name: naasv1alpha1.LocalClusterName, target: local, reachable: true, installed: true}
	return r
}

var _ Resolver = (*Registry)(nil)

// Start keeps ctx as the context member inventories run under, until it ends; then it stops them all. It
// implements manager.Runnable.
func (r *Registry) Start(ctx context.Context) error {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
	<-ctx.Done()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.members {
		if m.cancel != nil {
			m.cancel()
			m.cancel = nil
		}
	}
	return nil
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: members are reached by the leader, which runs
// the controllers.
func (r *Registry) NeedLeaderElection() bool { return true }

// Resolve implements Resolver: the target of the claim's cluster (cacheindex.ClusterOf), an *UnknownError for a cluster not
// registered, an *UnavailableError for one naas cannot act on now.
func (r *Registry) Resolve(_ context.Context, claim *naasv1alpha1.NamespaceClaim) (*Target, error) {
	return r.Target(cacheindex.ClusterOf(claim))
}

// Target returns the target of the cluster named name, or the error Resolve returns.
func (r *Registry) Target(name string) (*Target, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, ok := r.members[name]
	switch {
	case !ok:
		return nil, &UnknownError{Cluster: name}
	case m.removing:
		return nil, &UnavailableError{Cluster: name, Removing: true, Message: "the cluster is being removed"}
	case !m.reachable:
		msg := "its API server does not answer"
		if m.lastError != "" {
			msg += ": " + m.lastError
		}
		return nil, &UnavailableError{Cluster: name, Unreachable: true, Message: msg}
	case m.target == nil || !m.installed:
		return nil, &UnavailableError{Cluster: name, Message: "naas's cluster-wide objects are not installed there yet"}
	}
	return m.target, nil
}

// Targets implements Resolver: the management cluster and every member that is ready (reachable and installed),
// in name order.
func (r *Registry) Targets() []*Target {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Target, 0, len(r.members))
	for _, m := range r.members {
		if m.target != nil && m.reachable && m.installed && !m.removing {
			out = append(out, m.target)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Source implements Resolver: it tells toRequests of every change on the inventory of every cluster, members
// registered later included. It syncs with the management cluster's inventory.
func (r *Registry) Source(toRequests func(cluster string, o client.Object) []reconcile.Request) source.TypedSource[reconcile.Request] {
	return &fanIn{r: r, toRequests: toRequests}
}

type fanIn struct {
	r          *Registry
	toRequests func(cluster string, o client.Object) []reconcile.Request
}

func (f *fanIn) Start(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	f.r.mu.Lock()
	defer f.r.mu.Unlock()
	s := sink{ctx: ctx, q: q, toRequests: f.toRequests}
	f.r.sinks = append(f.r.sinks, s)
	for _, m := range f.r.members {
		if err := attach(m, s); err != nil {
			return err
		}
	}
	return nil
}

func (f *fanIn) WaitForSync(ctx context.Context) error {
	if f.r.local == nil || f.r.local.Inventory == nil {
		return nil
	}
	return f.r.local.Inventory.WaitForSync(ctx)
}

func (f *fanIn) String() string { return "naas inventories of the fleet" }

// attach tells s of the changes on m's inventory.
func attach(m *member, s sink) error {
	if m.target == nil || m.target.Inventory == nil {
		return nil
	}
	name := m.name
	return m.target.Inventory.Source(func(o client.Object) []reconcile.Request { return s.toRequests(name, o) }).Start(s.ctx, s.q)
}

// Member is a snapshot of what the registry knows of a cluster.
type Member struct {
	Name string
	// Key identifies the credentials the target was built with.
	Key string
	// Config reaches the cluster; nil for the management cluster.
	Config *rest.Config
	// Target is nil until the cluster has been reached and set up.
	Target    *Target
	Reachable bool
	Installed bool
	Removing  bool
	// LastSeen is when its API server last answered a heartbeat.
	LastSeen time.Time
	// LastError is the error of the last heartbeat that failed.
	LastError string
	// Rejected: the last heartbeat failed because the API server refused naas's credentials (RejectedError).
	Rejected bool
}

// Member returns a snapshot of the cluster named name.
func (r *Registry) Member(name string) (Member, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, ok := r.members[name]
	if !ok {
		return Member{}, false
	}
	return m.snapshot(), true
}

// Members returns a snapshot of every cluster, in name order.
func (r *Registry) Members() []Member {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Member, 0, len(r.members))
	for _, m := range r.members {
		out = append(out, m.snapshot())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (m *member) snapshot() Member {
	return Member{Name: m.name, Key: m.key, Config: m.config, Target: m.target, Reachable: m.reachable,
		Installed: m.installed, Removing: m.removing, LastSeen: m.lastSeen, LastError: m.lastError, Rejected: m.rejected}
}

// Register records a member cluster reached with config, whose credentials key identifies. A member registered
// again with other credentials loses its target (its inventory stops) until SetTarget gives it a new one; with
// the same credentials nothing changes. A new member counts as reachable until a heartbeat says otherwise.
func (r *Registry) Register(name, key string, config *rest.Config) (changed bool) {
	if name == naasv1alpha1.LocalClusterName {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.members[name]
	if ok && m.key == key {
		return false
	}
	if ok {
		m.stop()
	} else {
		m = &member{name: name}
		m.setReachable(true)
		r.members[name] = m
	}
	m.key, m.config, m.installed = key, config, false
	return true
}

// SetTarget gives a registered member its target and starts its inventory (run, until the member is removed,
// re-registered or naas stops). The controllers' sources are told of its changes from then on.
func (r *Registry) SetTarget(name string, t *Target, run func(ctx context.Context) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.members[name]
	if !ok || name == naasv1alpha1.LocalClusterName {
		return fmt.Errorf("cluster %q is not a registered member", name)
	}
	if r.ctx == nil {
		return errors.New("the cluster registry has not started")
	}
	m.stop()
	ctx, cancel := context.WithCancel(r.ctx)
	m.target, m.cancel = t, cancel
	if run != nil {
		go func() { _ = run(ctx) }()
	}
	for _, s := range r.sinks {
		if err := attach(m, s); err != nil {
			return err
		}
	}
	return nil
}

func (m *member) stop() {
	if m.cancel != nil {
		m.cancel()
	}
	m.cancel, m.target, m.installed = nil, nil, false
}

// Observe records the outcome of a heartbeat of the cluster named name at now: err nil when its API server
// answered. A cluster turns unreachable after threshold heartbeats in a row failed, and reachable at the first
// that succeeds. It reports whether its reachability changed.
func (r *Registry) Observe(name string, err error, now time.Time, threshold int) (changed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.members[name]
	if !ok {
		return false
	}
	was := m.reachable
	var rejected *RejectedError
	m.rejected = errors.As(err, &rejected)
	if err == nil {
		m.failures, m.lastSeen, m.lastError = 0, now, ""
		m.setReachable(true)
	} else {
		m.failures++
		m.lastError = err.Error()
		if m.failures >= max(threshold, 1) {
			m.setReachable(false)
		}
	}
	return was != m.reachable
}

// SetInstalled records whether naas's cluster-wide objects are in place on the cluster named name.
func (r *Registry) SetInstalled(name string, installed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.members[name]; ok && name != naasv1alpha1.LocalClusterName {
		m.installed = installed && m.target != nil
	}
}

// SetRemoving marks the cluster named name as being removed: Resolve refuses it from then on, so that no claim
// acts on it while it is taken apart.
func (r *Registry) SetRemoving(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.members[name]; ok {
		m.removing = true
	}
}

// Remove forgets a member cluster and stops its inventory.
func (r *Registry) Remove(name string) {
	if name == naasv1alpha1.LocalClusterName {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.members[name]; ok {
		m.stop()
		if m.unreach != nil {
			m.unreach()
		}
		delete(r.members, name)
	}
}
