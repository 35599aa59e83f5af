// Package setup wires the naas platform: it installs what naas needs in the
// cluster, registers the controllers, webhooks and HTTP handlers with one manager,
// and serves /healthz, /readyz and /metrics. `naas serve`, `naas up` and the
// integration tests all start naas through it, so tests run what users run.
package setup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/config"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/controller/budget"
	"github.com/naas-dev/naas/internal/controller/namespaceclaim"
	"github.com/naas-dev/naas/internal/controller/tenant"
	"github.com/naas-dev/naas/internal/controller/tenantaccess"
	"github.com/naas-dev/naas/internal/cost/collector"
	"github.com/naas-dev/naas/internal/fleet/fleetledger"
	"github.com/naas-dev/naas/internal/inventory"
	"github.com/naas-dev/naas/internal/platform"
)

// ClientQPS and ClientBurst are the client-side rate limits of naas's connection to the cluster, as naas serve
// sets them: client-go keeps one token bucket per API resource. kube-apiserver's API Priority and Fairness is
// what protects the cluster; these limits only stop a runaway loop, and must never be what paces naas. At
// 100/s, as they were, admission of more than 100 claims a second queued behind them (each admission confirms
// the claimed namespace with a direct read): the benchmark measured a median of 4 s at 200 claims a second, and
// 6 ms at these limits.
const (
	ClientQPS   = 500
	ClientBurst = 1000
)

// Options configure the platform.
type Options struct {
	// Config reaches the management cluster.
	Config *rest.Config
	// Addr is where the HTTP server listens (API, portal, metrics, health).
	Addr string
	// Listener, when set, is used by the HTTP server instead of listening on Addr
	// (Addr then only names the address, e.g. for the portal URL).
	Listener net.Listener
	// Workers is the number of concurrent claim reconciles.
	Workers int
	// InstallCRDs installs the naas CRDs before starting.
	InstallCRDs bool
	// InstallThirdPartyCRDs installs the CRDs of the add-ons naas writes objects of (the prometheus-operator's,
	// config.ThirdPartyCRDs, and the Gateway API's, config.GatewayAPICRDs), for a local control plane. Never on a
	// real cluster, whose add-ons own their CRDs.
	InstallThirdPartyCRDs bool
	// SeedDefaults creates the default catalog and tiers where missing.
	SeedDefaults bool
	// ReadyChecks must all pass for /readyz to answer 200.
	ReadyChecks []func() error
	// Bundle configures the objects of every namespace, including the portal URL alerts link their runbooks
	// to (default http://<Addr>), the Grafana URL of dashboards and extra labels of the monitoring objects.
	Bundle bundle.Config
	// Progress, when set, receives one line per start-up step.
	Progress func(format string, args ...any)
	// DataDir holds naas's own state (the audit database).
	DataDir string
	// Webhook configures the admission webhooks.
	Webhook WebhookOptions
	// API configures the REST API and the portal.
	API APIOptions
	// LeaderElection runs the controllers on one replica at a time, the holder of the Lease LeaderElectionID in
	// the system namespace; every replica serves the REST API, the portal and the webhooks. Off for a single
	// process that is alone by construction (naas up, the integration tests).
	LeaderElection bool
	// Fleet configures how naas keeps the member clusters of a fleet.
	Fleet FleetOptions
	// Budgets configure the budget evaluator.
	Budgets BudgetOptions
	// Profiling serves Go's profiles (net/http/pprof) under /debug/pprof/, to find where naas spends memory or
	// CPU. Off by default: profiles show internals, and taking one costs CPU.
	Profiling bool
}

// Platform is a configured, not yet started naas.
type Platform struct {
	Manager manager.Manager
	// Mux serves the HTTP API; handlers may be added before Start.
	Mux *http.ServeMux
	// Target is the management cluster, where namespaces are provisioned unless placed on a member.
	Target *cluster.Target
	// Clusters resolves each claim to its cluster: the management cluster and the registered members.
	Clusters *cluster.Registry
	// Identity is the user name naas acts as.
	Identity string
	// Budgets evaluates the budgets (on the leader); nil without an audit store. Poke it when spend was written.
	Budgets *budget.Evaluator

	opts Options
	// systemNamespace holds naas's own state (WebhookOptions.SystemNamespace resolved).
	systemNamespace string
	// mutatingPolicies: the API server serves MutatingAdmissionPolicy (platform.Config.MutatingPolicies).
	mutatingPolicies bool
	// fleet: the management cluster serves the Cluster kind.
	fleet bool
	// memberQuota is how members reach the tenant quota webhook; set when the webhooks are registered.
	memberQuota atomic.Pointer[memberQuota]
	listener    net.Listener
	ready       atomic.Bool
	api         apiState
	// collector is the cost collector; nil without an audit store that keeps cost rows.
	collector *collector.Collector
}

// Scheme returns a scheme with every type naas uses.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apiextensionsv1.AddToScheme(s)
	_ = naasv1alpha1.AddToScheme(s)
	return s
}

// New installs the cluster-wide prerequisites and builds the manager.
func New(ctx context.Context, opts Options) (*Platform, error) {
	if opts.Progress == nil {
		opts.Progress = func(string, ...any) {}
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Listener != nil {
		opts.Addr = opts.Listener.Addr().String()
	}
	if opts.Bundle.PortalURL == "" && opts.Addr != "" {
		opts.Bundle.PortalURL = "http://" + opts.Addr
	}
	if err := opts.Bundle.Validate(); err != nil {
		return nil, err
	}
	scheme := Scheme()
	direct, err := client.New(opts.Config, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	if opts.InstallCRDs {
		if err := InstallCRDs(ctx, direct, config.CRDs, "crd"); err != nil {
			return nil, err
		}
		opts.Progress("CRDs installed")
	}
	if opts.InstallThirdPartyCRDs {
		if err := InstallCRDs(ctx, direct, config.ThirdPartyCRDs, config.PrometheusOperatorCRDDir); err != nil {
			return nil, fmt.Errorf("install the prometheus-operator CRDs: %w", err)
		}
		opts.Progress("prometheus-operator CRDs installed")
		if err := InstallCRDs(ctx, direct, config.GatewayAPICRDs, config.GatewayAPICRDDir); err != nil {
			return nil, fmt.Errorf("install the Gateway API CRDs: %w", err)
		}
		opts.Progress("Gateway API CRDs installed")
	}
	identity, err := WhoAmI(ctx, direct)
	if err != nil {
		return nil, err
	}
	mutatingPolicies, err := ServesMutatingPolicies(opts.Config)
	if err != nil {
		return nil, err
	}
	if err := platform.Install(ctx, direct, platform.Config{Controllers: []string{identity}, MutatingPolicies: mutatingPolicies}); err != nil {
		return nil, err
	}
	opts.Progress("cluster roles and admission policies installed")
	fleet, err := servesClusters(direct)
	if err != nil {
		return nil, err
	}
	if fleet {
		if made, err := registerLocal(ctx, direct); err != nil {
			return nil, err
		} else if made {
			opts.Progress("management cluster registered as cluster %q", naasv1alpha1.LocalClusterName)
		}
	}
	if opts.SeedDefaults {
		n, err := SeedDefaults(ctx, direct, config.Defaults, "samples")
		if err != nil {
			return nil, err
		}
		opts.Progress("default catalog and tiers seeded (%d new objects)", n)
	}

	// The namespaces and objects naas makes are tracked by an inventory, not cached (see package inventory).
	invOpts := inventoryOptions()
	metadataClient, err := metadata.NewForConfig(opts.Config)
	if err != nil {
		return nil, err
	}
	inv, err := inventory.New(metadataClient, invOpts)
	if err != nil {
		return nil, err
	}
	naasManaged := labels.SelectorFromSet(labels.Set{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue})
	endpoint, err := opts.Webhook.resolve()
	if err != nil {
		return nil, err
	}
	tracked := make([]schema.GroupVersionKind, 0, len(invOpts.Kinds))
	for _, k := range invOpts.Kinds {
		tracked = append(tracked, k.GVK)
	}
	mgr, err := ctrl.NewManager(opts.Config, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"}, // served on our own mux
		HealthProbeBindAddress: "0",
		// A process may start the platform more than once (the integration tests restart it); only one runs at
		// a time, so the controller names stay unique where it matters, in the metrics.
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
		// With several replicas, the controllers run on the leader only (see replicas.go); the runnables every
		// replica needs say so (NeedLeaderElection false).
		LeaderElection:             opts.LeaderElection,
		LeaderElectionID:           LeaderElectionID,
		LeaderElectionNamespace:    endpoint.namespace,
		LeaderElectionResourceLock: "leases",
		LeaseDuration:              ptr.To(leaseDuration),
		RenewDeadline:              ptr.To(leaseRenewDeadline),
		RetryPeriod:                ptr.To(leaseRetryPeriod),
		// A leader that stops cleanly hands over at once, not a lease duration later.
		LeaderElectionReleaseOnCancel: true,
		// Reads are routed so that nothing caches the inventory's kinds (leanClient).
		NewClient: newLeanClientFunc(scheme, inv, tracked),
		Cache: cache.Options{
			DefaultTransform: leanObject(),
			// CustomResourceDefinitions are watched as metadata only, for steps that wait for an add-on's kinds.
			ByObject: map[client.Object]cache.ByObject{
				&apiextensionsv1.CustomResourceDefinition{}: {},
				// The tenants' access objects (package tenantaccess) are compared with naas's own only: a
				// cluster's other roles and policies are not kept in memory.
				&rbacv1.ClusterRole{}:                                {Label: naasManaged},
				&rbacv1.ClusterRoleBinding{}:                         {Label: naasManaged},
				&admissionregistrationv1.ValidatingAdmissionPolicy{}: {Label: naasManaged},
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	if err := mgr.Add(inv); err != nil {
		return nil, err
	}
	p := &Platform{
		Manager:         mgr,
		Mux:             http.NewServeMux(),
		Identity:        identity,
		opts:            opts,
		systemNamespace: endpoint.namespace,
		// Without MutatingAdmissionPolicy, the tiers' image pull policy is set by a webhook of naas.
		mutatingPolicies: mutatingPolicies,
		fleet:            fleet,
		Target:           &cluster.Target{Name: cluster.Local, Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Inventory: inv},
	}
	p.Clusters = cluster.NewRegistry(p.Target)
	if fleet {
		if err := p.registerFleet(); err != nil {
			return nil, err
		}
	}
	if err := p.registerControllers(ctx); err != nil {
		return nil, err
	}
	if err := p.registerWebhooks(ctx); err != nil {
		return nil, fmt.Errorf("set up admission webhooks: %w", err)
	}
	p.registerHTTP()
	if err := p.registerAPI(ctx); err != nil {
		return nil, fmt.Errorf("set up the REST API: %w", err)
	}
	if err := p.registerBudgets(ctx); err != nil {
		return nil, err
	}
	p.listener = opts.Listener
	if p.listener == nil && opts.Addr != "" {
		if p.listener, err = net.Listen("tcp", opts.Addr); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
		}
	}
	if p.listener != nil {
		if err := mgr.Add(everyReplica(p.serveHTTP)); err != nil {
			return nil, err
		}
	}
	// Every replica is ready once its caches are: a replica that does not lead serves the API and the webhooks.
	if err := mgr.Add(everyReplica(func(ctx context.Context) error {
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("caches did not sync")
		}
		if err := inv.WaitForSync(ctx); err != nil {
			return err
		}
		// The first lists held every object in full until the caches and the inventory had reduced them;
		// that memory is free now, and Go would return it to the system only slowly. Return it at once: a
		// container sized for what naas keeps then has room for what it does.
		debug.FreeOSMemory()
		p.ready.Store(true)
		return nil
	})); err != nil {
		return nil, err
	}
	return p, nil
}

// The controllers' metrics are registered once per process: the registry is process-global, and a process may
// start the platform more than once (the integration tests restart it).
var (
	claimMetrics          = sync.OnceValue(func() *namespaceclaim.Metrics { return namespaceclaim.NewMetrics(metrics.Registry) })
	tenantNamespacesGauge = sync.OnceValue(func() *prometheus.GaugeVec { return tenant.NewNamespacesGauge(metrics.Registry) })
)

func (p *Platform) registerControllers(ctx context.Context) error {
	mgr := p.Manager
	if err := cacheindex.SetupClaimIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return fmt.Errorf("index claims: %w", err)
	}
	if err := cacheindex.SetupTenantIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return fmt.Errorf("index tenants: %w", err)
	}
	// The placement ledger is read and written on the API server, never through the cache (compare-and-swap).
	direct, err := client.New(p.opts.Config, client.Options{Scheme: mgr.GetScheme()})
	if err != nil {
		return fmt.Errorf("create a client for the placement ledger: %w", err)
	}
	claims := &namespaceclaim.Reconciler{
		Client:    mgr.GetClient(),
		Cache:     mgr.GetCache(),
		Placement: fleetledger.NewStore(direct, p.systemNamespace),
		Clusters:  p.Clusters,
		Bundle:    p.opts.Bundle,
		Metrics:   claimMetrics(),
		// Provisioning outcomes go to the audit log (api.go).
		OnOutcome: p.recordOutcome,
	}
	if err := claims.SetupWithManager(mgr, p.opts.Workers); err != nil {
		return fmt.Errorf("set up the namespace claim controller: %w", err)
	}
	tenants := &tenant.Reconciler{Client: mgr.GetClient(), Clusters: p.Clusters, Namespaces: tenantNamespacesGauge()}
	if err := tenants.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the tenant controller: %w", err)
	}
	access := &tenantaccess.Reconciler{Client: mgr.GetClient(), Config: platform.Config{Controllers: []string{p.Identity}}}
	if err := access.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the tenant access controller: %w", err)
	}
	return nil
}

func (p *Platform) registerHTTP() {
	p.Mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	p.Mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := p.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	p.Mux.Handle("GET /metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	if p.opts.Profiling {
		p.Mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		p.Mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		p.Mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		p.Mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		p.Mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
}

// Ready returns nil when naas is ready to serve: caches synced and every ready check passing.
func (p *Platform) Ready() error {
	if !p.ready.Load() {
		return errors.New("caches are not synced yet")
	}
	for _, check := range p.opts.ReadyChecks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// SystemNamespace is the namespace naas keeps its own state in: webhook certificates, ledgers and the
// kubeconfigs of registered clusters.
func (p *Platform) SystemNamespace() string { return p.systemNamespace }

// Addr returns the address the HTTP server listens on.
func (p *Platform) Addr() string {
	if p.listener == nil {
		return ""
	}
	return p.listener.Addr().String()
}

func (p *Platform) serveHTTP(ctx context.Context) error {
	srv := &http.Server{Handler: p.Mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(p.listener) }()
	select {
	case err := <-errc:
		return fmt.Errorf("HTTP server: %w", err)
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	}
}

// Start runs the platform until ctx ends.
func (p *Platform) Start(ctx context.Context) error {
	err := p.Manager.Start(ctx)
	// The audit store closes last: the controllers audit outcomes until they stop.
	return errors.Join(err, p.closeAPI())
}
