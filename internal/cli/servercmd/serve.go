package servercmd

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/setup"
)

type serveOptions struct {
	kubeconfig   string
	addr         string
	installCRDs  bool
	seedDefaults bool
	workers      int
	dataDir      string
	memory       memoryOptions
	gogc         int
	profiling    bool
	leaderElect  bool
	webhook      setup.WebhookOptions
	fleet        setup.FleetOptions
	api          setup.APIOptions
	budgets      setup.BudgetOptions
	bundle       bundle.Config
}

func newServeCommand() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the naas platform against an existing cluster",
		Long: `Run the naas controllers, admission webhooks, REST API and portal against an existing cluster.

The cluster is reached with --kubeconfig, or in-cluster configuration when naas runs in a pod.
The CRDs are installed unless --install-crds=false.

Several replicas may serve one cluster: each serves the REST API, the portal and the admission webhooks, and
the one holding the Lease ` + "`" + `naas-controllers` + "`" + ` in the system namespace runs the controllers (--leader-elect).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the management cluster (in-cluster configuration when empty)")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address of the HTTP server (REST API, portal, /metrics, /healthz, /readyz)")
	f.BoolVar(&o.installCRDs, "install-crds", true, "install or upgrade the naas CRDs at start")
	f.BoolVar(&o.seedDefaults, "seed-defaults", false, "create the default catalog and tiers where missing")
	f.IntVar(&o.workers, "workers", 8, "concurrent namespace claim reconciles")
	f.StringVar(&o.dataDir, "data-dir", ".naas", "directory for naas's own state (the audit database)")
	o.memory.addFlags(f)
	addGOGCFlag(f, &o.gogc)
	f.BoolVar(&o.profiling, "profiling", false, "serve Go's profiles (pprof) under /debug/pprof/ on --addr, to find where naas spends memory or CPU")
	f.BoolVar(&o.leaderElect, "leader-elect", true, "run the controllers only while this replica holds the Lease "+setup.LeaderElectionID+" in the system namespace, so that several replicas can serve one cluster (all serve the REST API, portal and webhooks); false only when no other naas serves the cluster")
	o.webhook.AddFlags(f)
	o.fleet.AddFlags(f)
	o.api.AddFlags(f)
	o.budgets.AddFlags(f)
	addMonitoringFlags(f, &o.bundle)
	addNetworkingFlags(f, &o.bundle, "")
	return cmd
}

// addMonitoringFlags registers the flags of the namespaces' monitoring objects.
func addMonitoringFlags(f *pflag.FlagSet, cfg *bundle.Config) {
	f.StringVar(&cfg.PortalURL, "portal-url", "", "base URL of the naas portal as users reach it; alerts link to their template's runbook there (default http://<addr>)")
	f.StringVar(&cfg.GrafanaURL, "grafana-url", "", "base URL of the Grafana that loads the namespaces' dashboards; claims then link theirs in status.dashboardURL")
	f.StringToStringVar(&cfg.MonitoringLabels, "monitoring-label", nil, "label for the namespaces' PrometheusRules, AlertmanagerConfigs and dashboards, matching the selectors of the cluster's Prometheus and Alertmanager, e.g. release=kube-prometheus-stack (repeatable)")
}

// addNetworkingFlags registers the flags of the namespaces' hostnames, gateways and mesh; baseDomain is the
// default of --base-domain.
func addNetworkingFlags(f *pflag.FlagSet, cfg *bundle.Config, baseDomain string) {
	f.StringVar(&cfg.BaseDomain, "base-domain", baseDomain, "the platform's base domain: a tenant without spec.domains owns <tenant>.<base-domain>, and its namespaces get <namespace>.<tenant>.<base-domain> by default (empty: such tenants own no domain)")
	f.StringVar(&cfg.GatewayClassName, "gateway-class", bundle.DefaultGatewayClassName, "GatewayClass of the namespaces' Gateways, for templates that turn the gateway on")
	f.StringVar(&cfg.ClusterIssuer, "cluster-issuer", bundle.DefaultClusterIssuer, "cert-manager ClusterIssuer of the certificates of the Gateways' HTTPS listeners")
	f.StringVar((*string)(&cfg.MeshMode), "mesh-mode", string(bundle.MeshSidecar), "how namespaces of templates that turn the mesh on join Istio: sidecar (istio-injection=enabled) or ambient (istio.io/dataplane-mode=ambient)")
	f.StringVar(&cfg.MeshTrustDomain, "mesh-trust-domain", bundle.DefaultMeshTrustDomain, "Istio trust domain of workload identities, for the gateway's principal in the namespaces' AuthorizationPolicies")
}

func (o *serveOptions) run(cmd *cobra.Command) error {
	if err := o.api.CheckDatabase(o.dataDir); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New())
	var cfg, err = ctrl.GetConfig()
	if o.kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	}
	if err != nil {
		return fmt.Errorf("load cluster configuration: %w (set --kubeconfig)", err)
	}
	cfg.QPS, cfg.Burst = setup.ClientQPS, setup.ClientBurst
	if err := setGOGC(o.gogc); err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	if err := o.memory.apply(ctx, func(format string, args ...any) {
		fmt.Fprintf(cmd.ErrOrStderr(), "  "+format+"\n", args...)
	}); err != nil {
		return err
	}
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	p, err := setup.New(ctx, setup.Options{
		Config:         cfg,
		Addr:           o.addr,
		Workers:        o.workers,
		InstallCRDs:    o.installCRDs,
		SeedDefaults:   o.seedDefaults,
		DataDir:        o.dataDir,
		Webhook:        o.webhook,
		Fleet:          o.fleet,
		API:            o.api,
		Budgets:        o.budgets,
		Bundle:         o.bundle,
		Progress:       progress(cmd),
		Profiling:      o.profiling,
		LeaderElection: o.leaderElect,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "naas is serving on http://%s\n", p.Addr())
	return p.Start(ctx)
}

func progress(cmd *cobra.Command) func(string, ...any) {
	return func(format string, args ...any) {
		fmt.Fprintf(cmd.ErrOrStderr(), "  ✓ "+format+"\n", args...)
	}
}
