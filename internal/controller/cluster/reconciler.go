// Package cluster keeps the registered clusters of a fleet: for each Cluster it reaches the member's API server
// with the kubeconfig of its Secret, sets the member up in the registry (its client and inventory, through which
// the claim controller provisions there), installs and keeps on it the cluster-wide objects its namespaces rely
// on (platform.MemberObjects), and reports in status whether it is reachable, installed and ready, its version,
// capacity and naas namespaces. A heartbeat probes every cluster's API server; one that stops answering is marked
// not Reachable, and its claims say so. Removing a Cluster removes naas's objects from the member; with the orphan
// annotation, its namespaces are left there without naas's ownership.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	fleet "github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/platform"
)

// Connection is a member cluster reached with one set of credentials.
type Connection struct {
	// Target provisions namespaces there; its Inventory also tracks naas's cluster-wide objects there.
	Target *fleet.Target
	// Run runs the target's inventory until ctx ends.
	Run func(ctx context.Context) error
	// Direct reads and writes the member without caches.
	Direct client.Client
	// Config reaches the member for calls outside Direct (its version); like Direct's, its calls have a deadline
	// and end when the member is found not Reachable (cluster.Registry.Guard).
	Config *rest.Config
	// Identity is the user name naas acts as on the member (exempt from, and held by, its admission policies).
	Identity string
	// MutatingPolicies: the member serves MutatingAdmissionPolicy.
	MutatingPolicies bool
}

// Connect reaches the member cluster named name with cfg: it installs the CRDs the member's policies take as
// parameters (platform.MemberCRDNames), then builds its target.
type Connect func(ctx context.Context, name string, cfg *rest.Config) (*Connection, error)

// Reconciler keeps Clusters.
type Reconciler struct {
	// Client reads Clusters, claims, Tenants and Tiers from the manager's cache, and writes Clusters.
	Client client.Client
	// Secrets reads the kubeconfig Secrets in Namespace directly (naas does not cache Secrets).
	Secrets client.Reader
	// SecretsMetadata watches each kubeconfig Secret by name, for rotated credentials; nil watches none (they are
	// read at the periodic pass).
	SecretsMetadata metadata.Interface
	// Namespace is naas's namespace, which holds the kubeconfig Secrets.
	Namespace string
	// Registry is the fleet the claim controller resolves claims against.
	Registry *fleet.Registry
	// Connect reaches a member.
	Connect Connect
	// Local reads the management cluster directly (its nodes); LocalConfig reaches it (its version).
	Local       client.Reader
	LocalConfig *rest.Config
	// Heartbeat configures how reachability is decided and recorded.
	Heartbeat HeartbeatOptions
	// QuotaWebhook returns how the member named by its argument reaches naas's tenant quota webhook; nil when it
	// cannot (tenant-wide quotas are then not held there). Nil: never.
	QuotaWebhook func(cluster string) *platform.MemberQuotaWebhook
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu      sync.Mutex
	conns   map[string]*Connection
	hb      *heartbeat
	watches *secretWatches
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// scope is the state of one pass over a Cluster.
type scope struct {
	cluster  *naasv1alpha1.Cluster
	original *naasv1alpha1.Cluster
	conn     *Connection
	member   fleet.Member
}

// Reconcile implements reconcile.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, err error) {
	c := &naasv1alpha1.Cluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, c); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.Name)
			r.watches.stop(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("cluster", klog.KObj(c)))
	if !c.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, c)
	}
	if c.Name != naasv1alpha1.LocalClusterName && controllerutil.AddFinalizer(c, naasv1alpha1.FinalizerCluster) {
		// The finalizer is on before anything is installed on the member that it must clean up.
		if err := r.Client.Update(ctx, c); err != nil {
			return ctrl.Result{}, fmt.Errorf("add finalizer: %w", err)
		}
	}
	s := &scope{cluster: c, original: c.DeepCopy()}
	defer func() { err = errors.Join(err, r.patchStatus(ctx, s)) }()

	var errs []error
	for _, phase := range []func(context.Context, *scope) error{r.connect, r.observe, r.install, r.count} {
		if err := phase(ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
	if now, ok := r.Registry.Member(c.Name); ok && s.member.Reachable && !now.Reachable {
		// The member stopped answering during the pass, and the heartbeat cut its calls there short: the status
		// says so now rather than after the pass the heartbeat queued.
		s.member = now
		_ = r.observe(ctx, s)
	}
	summarize(c)
	return ctrl.Result{}, errors.Join(errs...)
}

// connect reaches a member with the kubeconfig of its Secret, and (re)builds its target when the credentials are
// new or changed. The management cluster is always connected.
func (r *Reconciler) connect(ctx context.Context, s *scope) error {
	c := s.cluster
	if c.Name == naasv1alpha1.LocalClusterName {
		s.member, _ = r.Registry.Member(c.Name)
		return nil
	}
	if c.Spec.KubeconfigSecretRef != nil {
		r.watches.ensure(ctx, c.Name, c.Spec.KubeconfigSecretRef.Name)
	}
	cfg, key, err := r.kubeconfig(ctx, c)
	if err != nil {
		r.forget(c.Name)
		setCondition(c, naasv1alpha1.ClusterReachable, metav1.ConditionFalse, naasv1alpha1.ReasonKubeconfigInvalid, err.Error())
		setCondition(c, naasv1alpha1.ClusterInstalled, metav1.ConditionUnknown, naasv1alpha1.ReasonKubeconfigInvalid, "naas cannot reach the cluster")
		return nil // a change of the Secret requeues (secretWatches), else the heartbeat's periodic pass does
	}
	if r.Registry.Register(c.Name, key, cfg) {
		r.setConnection(c.Name, nil)
	}
	if r.connection(c.Name) == nil {
		// Reach it once now, so that a cluster registered while down says so at once.
		err := r.heartbeat().probe(ctx, c.Name, cfg)
		r.Registry.Observe(c.Name, err, r.now(), 1)
		if err == nil {
			conn, err := r.Connect(ctx, c.Name, cfg)
			if err != nil {
				setCondition(c, naasv1alpha1.ClusterInstalled, metav1.ConditionFalse, naasv1alpha1.ReasonClusterInstallFailed, err.Error())
				return fmt.Errorf("connect to cluster %s: %w", c.Name, err)
			}
			if err := r.Registry.SetTarget(c.Name, conn.Target, conn.Run); err != nil {
				return err
			}
			r.setConnection(c.Name, conn)
		}
	}
	s.conn = r.connection(c.Name)
	s.member, _ = r.Registry.Member(c.Name)
	return nil
}

// kubeconfig reads the Cluster's kubeconfig Secret, and returns the client configuration and a key identifying the
// credentials.
func (r *Reconciler) kubeconfig(ctx context.Context, c *naasv1alpha1.Cluster) (*rest.Config, string, error) {
	return fleet.ReadKubeconfig(ctx, r.Secrets, r.Namespace, c)
}

// patchStatus writes the status when it changed. The heartbeat time alone is written at a coarse cadence
// (HeartbeatOptions.StatusPeriod): an idle fleet writes a Cluster's status about once a period, not every beat.
func (r *Reconciler) patchStatus(ctx context.Context, s *scope) error {
	c := s.cluster
	c.Status.ObservedGeneration = c.Generation
	if !s.member.LastSeen.IsZero() {
		seen := s.member.LastSeen.Truncate(time.Second)
		last := c.Status.LastHeartbeatTime
		changed := !apiequality.Semantic.DeepEqual(s.original.Status, c.Status)
		if last == nil || changed || seen.Sub(last.Time) >= r.Heartbeat.statusPeriod() {
			c.Status.LastHeartbeatTime = &metav1.Time{Time: seen}
		}
	}
	if apiequality.Semantic.DeepEqual(s.original.Status, c.Status) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, c, client.MergeFrom(s.original)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("patch status of cluster %s: %w", c.Name, err)
	}
	return nil
}

// count records the naas namespaces placed on the cluster and what their quotas reserve.
func (r *Reconciler) count(ctx context.Context, s *scope) error {
	claims := &naasv1alpha1.NamespaceClaimList{}
	// Read, not changed: the cache's objects, not copies of thousands of claims at every pass.
	if err := r.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimCluster: s.cluster.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list the claims of cluster %s: %w", s.cluster.Name, err)
	}
	tiers := &naasv1alpha1.TierList{}
	if err := r.Client.List(ctx, tiers); err != nil {
		return fmt.Errorf("list tiers: %w", err)
	}
	s.cluster.Status.NamespaceCount = int32(len(claims.Items)) //nolint:gosec // bounded by the cluster's claims
	s.cluster.Status.Allocated = Allocated(claims.Items, tiers.Items)
	return nil
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) connection(name string) *Connection {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns[name]
}

func (r *Reconciler) setConnection(name string, c *Connection) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns == nil {
		r.conns = map[string]*Connection{}
	}
	if c == nil {
		delete(r.conns, name)
		return
	}
	r.conns[name] = c
}

// forget drops a member from the registry (its inventory stops) and its connection.
func (r *Reconciler) forget(name string) {
	r.Registry.Remove(name)
	r.setConnection(name, nil)
}

func setCondition(c *naasv1alpha1.Cluster, t string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: t, Status: status, Reason: reason, Message: message, ObservedGeneration: c.Generation})
}
