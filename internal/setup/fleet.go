package setup

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/config"
	"github.com/naas-dev/naas/internal/cluster"
	clustercontroller "github.com/naas-dev/naas/internal/controller/cluster"
	"github.com/naas-dev/naas/internal/controller/namespaceclaim"
	"github.com/naas-dev/naas/internal/inventory"
	"github.com/naas-dev/naas/internal/platform"
)

// FleetOptions configure how naas keeps the member clusters of a fleet.
type FleetOptions struct {
	// HeartbeatInterval, HeartbeatTimeout and UnreachableAfter decide when a cluster is marked not Reachable:
	// after UnreachableAfter probes in a row, HeartbeatInterval apart, found no answer within HeartbeatTimeout.
	HeartbeatInterval time.Duration
	HeartbeatTimeout  time.Duration
	UnreachableAfter  int
	// HeartbeatStatusPeriod is how often a Cluster's status.lastHeartbeatTime is written while nothing changes.
	HeartbeatStatusPeriod time.Duration
	// RequestTimeout bounds each of naas's calls to a member's API server (watches aside); calls in flight also
	// end when the heartbeat finds the member not Reachable (cluster.Registry.Guard).
	RequestTimeout time.Duration
}

// DefaultMemberRequestTimeout is FleetOptions.RequestTimeout's default: kube-apiserver's own limit for a request
// is 60 s; a call to a member that answers at all answers well within 30.
const DefaultMemberRequestTimeout = 30 * time.Second

// AddFlags registers the fleet flags.
func (o *FleetOptions) AddFlags(f *pflag.FlagSet) {
	f.DurationVar(&o.HeartbeatInterval, "cluster-heartbeat-interval", clustercontroller.DefaultHeartbeatInterval, "how often each registered cluster's API server is probed (GET /readyz)")
	f.DurationVar(&o.HeartbeatTimeout, "cluster-heartbeat-timeout", clustercontroller.DefaultHeartbeatTimeout, "how long a cluster's API server has to answer a probe")
	f.IntVar(&o.UnreachableAfter, "cluster-unreachable-after", clustercontroller.DefaultHeartbeatThreshold, "probes in a row without an answer after which a cluster is marked not Reachable and its claims report ClusterUnreachable")
	f.DurationVar(&o.HeartbeatStatusPeriod, "cluster-heartbeat-status-period", clustercontroller.DefaultHeartbeatStatusPeriod, "how often a cluster's status.lastHeartbeatTime is written while nothing else changes")
	f.DurationVar(&o.RequestTimeout, "cluster-request-timeout", DefaultMemberRequestTimeout, "how long each of naas's calls to a member cluster's API server may take (watches aside); calls in flight also end when the cluster is marked not Reachable")
}

func (o FleetOptions) heartbeat() clustercontroller.HeartbeatOptions {
	return clustercontroller.HeartbeatOptions{Interval: o.HeartbeatInterval, Timeout: o.HeartbeatTimeout, Threshold: o.UnreachableAfter, StatusPeriod: o.HeartbeatStatusPeriod}
}

// servesClusters reports whether the management cluster serves the Cluster kind: a start against the CRDs of a
// release before fleets (--install-crds=false) runs with the management cluster alone.
func servesClusters(c client.Client) (bool, error) {
	_, err := c.RESTMapper().RESTMapping(naasv1alpha1.GroupVersion.WithKind("Cluster").GroupKind(), naasv1alpha1.GroupVersion.Version)
	switch {
	case err == nil:
		return true, nil
	case apimeta.IsNoMatchError(err):
		return false, nil
	}
	return false, fmt.Errorf("discover the Cluster kind: %w", err)
}

// registerLocal creates the Cluster "local", the management cluster, where missing.
func registerLocal(ctx context.Context, c client.Client) (bool, error) {
	local := &naasv1alpha1.Cluster{}
	local.Name = naasv1alpha1.LocalClusterName
	local.Spec.DisplayName = "management cluster"
	local.SetGroupVersionKind(naasv1alpha1.GroupVersion.WithKind("Cluster"))
	made, err := createIfMissing(ctx, c, local)
	if err != nil {
		return false, fmt.Errorf("register the management cluster as %q: %w", naasv1alpha1.LocalClusterName, err)
	}
	return made, nil
}

// registerFleet sets up the Cluster controller over the registry.
func (p *Platform) registerFleet() error {
	mgr := p.Manager
	if err := mgr.Add(p.Clusters); err != nil {
		return err
	}
	md, err := metadata.NewForConfig(p.opts.Config)
	if err != nil {
		return err
	}
	r := &clustercontroller.Reconciler{
		Client:          mgr.GetClient(),
		Secrets:         mgr.GetAPIReader(),
		SecretsMetadata: md,
		Namespace:       p.systemNamespace,
		Registry:        p.Clusters,
		Connect:         p.connectMember,
		Local:           mgr.GetAPIReader(),
		LocalConfig:     p.opts.Config,
		Heartbeat:       p.opts.Fleet.heartbeat(),
		// The tenant quota webhook, as members reach it.
		QuotaWebhook: p.memberQuotaWebhook,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the cluster controller: %w", err)
	}
	return nil
}

// connectMember reaches a member cluster: it installs the CRDs its policies take as parameters, learns who naas is
// there and whether it serves MutatingAdmissionPolicy, and builds its target, with an inventory of naas's
// namespaces and objects there (as the management cluster's) and of naas's cluster-wide objects there.
//
// Every call naas makes there goes through the registry's guard (a deadline, and an end when the heartbeat finds
// the member not Reachable), except the inventory's lists and watches, which keep themselves.
func (p *Platform) connectMember(ctx context.Context, name string, cfg *rest.Config) (*clustercontroller.Connection, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = ClientQPS, ClientBurst
	timeout := p.opts.Fleet.RequestTimeout
	if timeout == 0 {
		timeout = DefaultMemberRequestTimeout
	}
	calls := p.Clusters.Guard(name, cfg, timeout)
	scheme := p.Manager.GetScheme()
	direct, err := client.New(calls, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	if err := InstallCRDs(ctx, direct, config.CRDs, "crd", platform.MemberCRDNames()...); err != nil {
		return nil, fmt.Errorf("install naas's CRDs on cluster %s: %w", name, err)
	}
	identity, err := WhoAmI(ctx, direct)
	if err != nil {
		return nil, err
	}
	mutating, err := ServesMutatingPolicies(calls)
	if err != nil {
		return nil, err
	}
	opts := inventoryOptions()
	managed := labels.SelectorFromSet(labels.Set{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue})
	for _, k := range clustercontroller.MemberKinds(mutating) {
		opts.Kinds = append(opts.Kinds, inventory.Kind{GVK: k.GVK, Resource: k.Resource, Selector: managed, ClusterScoped: true})
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	inv, err := inventory.New(md, opts)
	if err != nil {
		return nil, err
	}
	tracked := make([]schema.GroupVersionKind, 0, len(opts.Kinds))
	for _, k := range opts.Kinds {
		tracked = append(tracked, k.GVK)
	}
	lean, err := newLeanClient(direct, direct, inv, tracked, scheme)
	if err != nil {
		return nil, err
	}
	// The add-ons a namespace's steps need are those of the member, not of the management cluster.
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &clustercontroller.Connection{
		Target: &cluster.Target{Name: name, Client: lean, Reader: direct, Inventory: inv,
			Kinds: namespaceclaim.NewServedKinds(disc)},
		Run:              inv.Start,
		Direct:           direct,
		Config:           calls,
		Identity:         identity,
		MutatingPolicies: mutating,
	}, nil
}
