package servercmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/localcp"
	"github.com/naas-dev/naas/internal/setup"
)

type upOptions struct {
	dataDir       string
	addr          string
	tokenFile     string
	binDir        string
	apiServerPort int
	nodes         int
	verbose       bool
	gogc          int
	clusters      int
	webhook       setup.WebhookOptions
	api           setup.APIOptions
	budgets       setup.BudgetOptions
	bundle        bundle.Config
}

func newUpCommand() *cobra.Command {
	o := &upOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run a local control plane and the naas platform on it, in one command",
		Long: `Start a real local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) with its
state in --data-dir, install the naas CRDs, seed the default catalog and tiers, and run the platform:
controllers, admission webhooks, REST API and portal on --addr.

With --nodes (3 by default), kube-scheduler and kwok run too: pods are scheduled to simulated nodes by their
requests and shown Running and ready, though nothing runs in them. For local use only.

Writes <data-dir>/kubeconfig (cluster-admin) and <data-dir>/admin-token (a platform-admin token for the
naas API and portal). State survives a restart. Ctrl-C stops everything.

With --clusters N, N-1 member control planes start beside the management one, each with its own ports and
state in <data-dir>/members/member-<i>, and naas registers them as Clusters member-1, member-2, ... with
labels naas.dev/region and environment. naas up on the same data directory starts the same members again.`,
		Example: `  naas up
  naas up --data-dir /tmp/naas --addr 127.0.0.1:9090 --token-file users.csv
  naas up --clusters 3   # a local fleet: the management cluster and members member-1, member-2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", ".naas", "directory holding the control plane's and naas's state")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address of the HTTP server (REST API, portal, /metrics, /healthz, /readyz)")
	f.StringVar(&o.tokenFile, "token-file", "", `static users, in kube-apiserver's token file format (token,user,uid,"group1,group2"), trusted by both kube-apiserver and the naas API`)
	f.StringVar(&o.binDir, "bin-dir", "", "directory holding etcd, kube-apiserver and kube-controller-manager (default: k8s-<minor> next to the naas binary or in ./bin, the minor from $NAAS_K8S or "+localcp.DefaultKubernetesMinor+")")
	f.IntVar(&o.apiServerPort, "apiserver-port", 0, "port of the local kube-apiserver (default: the previous run's port, or a free one)")
	f.IntVar(&o.clusters, "clusters", 1, fmt.Sprintf("clusters of the local fleet, the management cluster included: 2 to %d start members member-1, ... beside it", maxLocalClusters))
	f.IntVar(&o.nodes, "nodes", 3, "simulated nodes (kwok) of each cluster that pods are scheduled to and shown Running on, 2 of every 3 in pool general (n2-standard-4), the third in pool highmem (n2-highmem-4); 0: no scheduler, pods stay Pending")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log to the terminal as well as to <data-dir>/logs/naas.log")
	addGOGCFlag(f, &o.gogc)
	o.webhook.AddFlags(f)
	o.api.AddServingFlags(f)
	o.budgets.AddFlags(f)
	addMonitoringFlags(f, &o.bundle)
	// Every name under .localhost resolves to the loopback address, so the local gateways' hostnames resolve.
	addNetworkingFlags(f, &o.bundle, "apps.localhost")
	return cmd
}

func (o *upOptions) run(cmd *cobra.Command) error {
	out := cmd.OutOrStdout()
	if o.clusters < 1 || o.clusters > maxLocalClusters {
		return fmt.Errorf("--clusters must be 1 to %d (the management cluster and up to %d members), got %d", maxLocalClusters, maxLocalClusters-1, o.clusters)
	}
	if err := o.api.CheckDatabase(o.dataDir); err != nil {
		return err
	}
	if err := setGOGC(o.gogc); err != nil {
		return err
	}
	if o.nodes < 0 {
		return fmt.Errorf("--nodes %d: want 0 (no simulated nodes) or more", o.nodes)
	}
	dataDir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return err
	}
	// One naas up per data directory: a second one would take over the first one's state and ports.
	lock, err := localcp.LockDataDir(o.dataDir)
	if err != nil {
		return err
	}
	defer func() { _ = lock.Unlock() }()
	if err := os.MkdirAll(filepath.Join(dataDir, "logs"), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := o.setupLogging(dataDir); err != nil {
		return err
	}
	binDir, err := o.resolveBinDir()
	if err != nil {
		return err
	}
	var users []localcp.TokenUser
	if o.tokenFile != "" {
		if users, err = localcp.ReadTokenFile(o.tokenFile); err != nil {
			return err
		}
	}

	// Take the HTTP address first: a port in use is the user's to fix before anything
	// starts, and the control plane's free ports can then never collide with it.
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (--addr): %w; choose another address with --addr", o.addr, err)
	}
	defer ln.Close()
	if o.apiServerPort != 0 {
		if err := localcp.CheckPortFree(o.apiServerPort); err != nil {
			return fmt.Errorf("--apiserver-port: %w", err)
		}
	}
	// holdWebhook keeps naas's own webhook port bound while the control plane picks its free ports, so that
	// none of them can be the same port; it is let go just before the webhook server listens on it.
	holdWebhook := func() {}
	if o.webhook.Addr == "" && o.webhook.Service == "" && o.webhook.URL == "" {
		if o.webhook.Addr, err = stableWebhookAddr(dataDir); err != nil {
			return err
		}
		hold, err := net.Listen("tcp", o.webhook.Addr)
		if err != nil {
			return fmt.Errorf("cannot listen on %s for admission webhooks: %w; set --webhook-addr", o.webhook.Addr, err)
		}
		holdWebhook = func() { _ = hold.Close() }
		defer holdWebhook()
	}

	ctx := ctrl.SetupSignalHandler()
	start := time.Now()
	fmt.Fprintf(out, "Starting the local control plane in %s\n", dataDir)
	cpOpts := localcp.Options{BinDir: binDir, DataDir: dataDir, Users: users, APIServerPort: o.apiServerPort, Progress: progress(cmd),
		Nodes: localcp.DefaultNodes(o.nodes)}
	cp, err := localcp.Start(ctx, cpOpts)
	if err != nil {
		holdWebhook()
		return err
	}
	defer func() {
		fmt.Fprintln(out, "Stopping the local control plane")
		cp.Stop()
	}()
	var members []*member
	if o.clusters > 1 {
		fmt.Fprintf(out, "Starting %d member control planes in %s\n", o.clusters-1, filepath.Join(dataDir, "members"))
		if members, err = startMembers(ctx, o.clusters-1, cpOpts, progress(cmd)); err != nil {
			holdWebhook()
			return err
		}
		defer func() {
			fmt.Fprintln(out, "Stopping the member control planes")
			stopMembers(members)
		}()
	}
	holdWebhook()

	adminToken := filepath.Join(dataDir, "admin-token")
	if err := os.WriteFile(adminToken, []byte(cp.AdminToken+"\n"), 0o600); err != nil {
		return fmt.Errorf("write admin token: %w", err)
	}
	apiTokens := filepath.Join(dataDir, "api-tokens.csv")
	if err := localcp.WriteTokenFile(apiTokens, cp.Users); err != nil {
		return fmt.Errorf("write API token file: %w", err)
	}
	o.api.TokenFile = apiTokens
	o.api.AdminTokenFile = adminToken

	fmt.Fprintln(out, "Starting naas")
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p, err := setup.New(pctx, setup.Options{
		Config:       cp.Config,
		Addr:         o.addr,
		Listener:     ln,
		InstallCRDs:  true,
		SeedDefaults: true,
		DataDir:      dataDir,
		ReadyChecks:  []func() error{cp.Healthy},
		Webhook:      o.webhook,
		API:          o.api,
		Budgets:      o.budgets,
		Progress:     progress(cmd),

		// The local platform shows the namespaces' monitoring objects end to end.
		InstallThirdPartyCRDs: true,
		Bundle:                o.bundle,
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- p.Start(pctx) }()
	// stop stops the platform and waits for it; an error is one it stopped with.
	stop := func() error {
		cancel()
		if err := <-done; err != nil {
			return fmt.Errorf("naas stopped with an error: %w", err)
		}
		return nil
	}
	if err := waitReady(pctx, p, done); err != nil {
		if ctx.Err() != nil { // Ctrl-C while starting: a clean stop.
			return stop()
		}
		return err
	}
	if len(members) > 0 {
		if err := o.register(pctx, cmd, p, cp, members); err != nil {
			return errors.Join(err, stop())
		}
	}
	o.printNextSteps(cmd, p.Addr(), cp, members, time.Since(start))

	// Run until Ctrl-C, or until a component fails.
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("naas stopped: %w", err)
		case <-tick.C:
			if err := cp.Healthy(); err != nil {
				return errors.Join(err, stop())
			}
		case <-ctx.Done():
			fmt.Fprintln(out, "\nShutting down")
			return stop()
		}
	}
}

// upStateFile holds what naas up keeps between runs beside the control plane's own state.
const upStateFile = "up.json"

type upState struct {
	WebhookPort int `json:"webhookPort"`
}

// stableWebhookAddr returns the local address of the admission webhook server: the previous run's port when it
// is free, else a free one, remembered for the next run. The webhook configurations name the address, so a
// restart on the same port leaves them as they are.
func stableWebhookAddr(dataDir string) (string, error) {
	path := filepath.Join(dataDir, upStateFile)
	var st upState
	if b, err := os.ReadFile(path); err == nil {
		// A corrupt file only costs a new port.
		_ = json.Unmarshal(b, &st)
	}
	if !localcp.PortFree(st.WebhookPort) {
		port, err := localcp.FreePort()
		if err != nil {
			return "", fmt.Errorf("find a free port for the admission webhooks: %w", err)
		}
		st.WebhookPort = port
		b, _ := json.Marshal(st)
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(st.WebhookPort)), nil
}

func waitReady(ctx context.Context, p *setup.Platform, done <-chan error) error {
	for p.Ready() != nil {
		select {
		case err := <-done:
			return fmt.Errorf("naas stopped before it was ready: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func (o *upOptions) setupLogging(dataDir string) error {
	f, err := os.OpenFile(filepath.Join(dataDir, "logs", "naas.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	w := &multiWriter{f: f}
	if o.verbose {
		w.also = os.Stderr
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(w)))
	return nil
}

type multiWriter struct {
	f    *os.File
	also *os.File
}

func (m *multiWriter) Write(b []byte) (int, error) {
	if m.also != nil {
		_, _ = m.also.Write(b)
	}
	return m.f.Write(b)
}

// resolveBinDir finds the control plane binaries of the Kubernetes minor that NAAS_K8S names (or the default):
// bin/k8s-<minor> next to the naas binary, or under ./bin, where `make controlplane K8S=<minor>` puts them.
func (o *upOptions) resolveBinDir() (string, error) {
	if o.binDir != "" {
		return o.binDir, nil
	}
	minor, err := localcp.SelectedMinor()
	if err != nil {
		return "", err
	}
	var bins []string
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			bins = append(bins, filepath.Dir(exe))
		}
	}
	if abs, err := filepath.Abs("bin"); err == nil {
		bins = append(bins, abs)
	}
	for _, bin := range bins {
		dir := localcp.MinorBinDir(bin, minor)
		if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("the Kubernetes %s control plane binaries (etcd, kube-apiserver, kube-controller-manager) were not found in k8s-%[1]s/ next to naas or in ./bin/k8s-%[1]s: run `make controlplane K8S=%[1]s`, or pass --bin-dir", minor)
}

// register registers the members with naas, once it is up.
func (o *upOptions) register(ctx context.Context, cmd *cobra.Command, p *setup.Platform, cp *localcp.ControlPlane, members []*member) error {
	c, err := directClient(p, cp)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	if err := registerMembers(ctx, c, p.SystemNamespace(), members); err != nil {
		return fmt.Errorf("register the member clusters: %w", err)
	}
	for _, m := range members {
		progress(cmd)("cluster %s registered (%s)", m.name, m.cp.Host)
	}
	return nil
}

func (o *upOptions) printNextSteps(cmd *cobra.Command, addr string, cp *localcp.ControlPlane, members []*member, took time.Duration) {
	rel := func(p string) string {
		if r, err := filepath.Rel(".", p); err == nil && len(r) < len(p) {
			return r
		}
		return p
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, `
naas is up (%s).

  Portal        http://%[2]s/
  REST API      http://%[2]s/api/v1   (OpenAPI: /api/v1/openapi.json)
  Kubernetes    %[3]s
  kubectl       export KUBECONFIG=%[4]s
  Admin token   %[5]s   (sign in to the portal with it, or use it as a bearer token)

Next:
  kubectl get tiers,namespacetemplates
  kubectl apply -f config/samples/examples/tenant-payments.yaml
  kubectl get namespaceclaims -w
`, took.Round(time.Millisecond), addr, cp.Host, cp.KubeconfigPath, rel(filepath.Join(filepath.Dir(cp.KubeconfigPath), "admin-token")))
	printMembers(out, cp, members, rel)
	fmt.Fprintf(out, "\nPress Ctrl-C to stop. State is kept in %s; run naas up again to continue where you left off.\n",
		rel(filepath.Dir(cp.KubeconfigPath)))
}
