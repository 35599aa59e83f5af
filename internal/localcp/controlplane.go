package localcp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	serviceCIDR = "10.96.0.0/16"
	serviceIP   = "10.96.0.1"
)

// AdmissionPlugins are the admission plugins the local API server enables: those of a
// production cluster, so quotas, limit ranges, Pod Security and admission policies
// behave locally as they do there. DenyServiceExternalIPs refuses new external IPs on
// every Service of the cluster (CVE-2020-8554), as a hardened cluster does; naas's own
// policies refuse them in naas namespaces on clusters that do not.
var AdmissionPlugins = []string{
	"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "DefaultStorageClass",
	"DefaultTolerationSeconds", "PodSecurity", "Priority", "StorageObjectInUseProtection",
	"RuntimeClass", "DefaultIngressClass", "MutatingAdmissionPolicy", "MutatingAdmissionWebhook",
	"ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota",
	"DenyServiceExternalIPs",
}

// controllers are the kube-controller-manager controllers the local control plane
// runs: what makes namespaces delete, quotas count and garbage collect, and
// workloads create their pods. Node, volume and cloud controllers are left out:
// there are no kubelets (see nodeControllers for the simulated nodes).
var controllers = []string{
	"namespace-controller", "resourcequota-controller", "garbage-collector-controller",
	"serviceaccount-controller", "serviceaccount-token-controller", "root-ca-certificate-publisher-controller",
	"deployment-controller", "replicaset-controller", "replicationcontroller-controller",
	"statefulset-controller", "daemonset-controller", "job-controller", "cronjob-controller",
	"endpoints-controller", "endpointslice-controller", "clusterrole-aggregation-controller",
	"disruption-controller", "ttl-after-finished-controller", "pod-garbage-collector-controller",
	"validatingadmissionpolicy-status-controller",
}

// nodeControllers run besides controllers when there are simulated nodes (Options.Nodes). The node lifecycle
// controller lifts the not-ready taint the API server puts on a new node once kwok reports it Ready, and puts it
// back on a node whose lease kwok stops renewing. Taint-based eviction stays off: a busy machine that delays
// kwok's heartbeat must not evict the pods.
var nodeControllers = []string{"node-lifecycle-controller"}

// Options configure a local control plane.
type Options struct {
	// BinDir holds the etcd, kube-apiserver and kube-controller-manager binaries.
	BinDir string
	// DataDir holds the state: etcd data, certificates, tokens, kubeconfig and logs.
	// Everything in it survives a restart.
	DataDir string
	// Users are extra static token users, in addition to the admin.
	Users []TokenUser
	// APIServerPort is the port of kube-apiserver; 0 reuses the previous run's port
	// when it is free, or picks a free one.
	APIServerPort int
	// NoControllerManager skips kube-controller-manager.
	NoControllerManager bool
	// Ephemeral trades durability for speed (etcd without fsync): for tests.
	Ephemeral bool
	// ExtraAPIServerArgs are appended to kube-apiserver's flags, e.g. an audit policy for the benchmarks.
	ExtraAPIServerArgs []string
	// AdmissionPlugins replace AdmissionPlugins when set: for tests of clusters that lack some of them.
	AdmissionPlugins []string
	// ExtraControllerManagerArgs are appended to kube-controller-manager's flags; a flag given here overrides
	// the same flag set by default (the last one wins).
	ExtraControllerManagerArgs []string
	// Nodes are the simulated nodes (DefaultNodes) kwok plays. With any, kube-scheduler and kwok run too, so pods
	// are scheduled by their requests and become Running; with none, neither runs and pods stay Pending, and
	// the simulated nodes an earlier run made are removed. For local use only: nothing runs in the pods.
	Nodes []SimulatedNode
	// Progress, when set, receives one line per step of the start-up.
	Progress func(format string, args ...any)
}

// ControlPlane is a running local control plane.
type ControlPlane struct {
	opts  Options
	pki   pki
	procs []*process

	// Config is a cluster-admin client configuration.
	Config *rest.Config
	// AdminToken is the bearer token of AdminUser (cluster-admin and platform admin).
	AdminToken string
	// KubeconfigPath is the cluster-admin kubeconfig written in the data directory.
	KubeconfigPath string
	// Users are every static token user, the admin first.
	Users []TokenUser
	// Host is the API server URL.
	Host string
}

type state struct {
	APIServerPort int    `json:"apiServerPort"`
	EtcdPort      int    `json:"etcdPort"`
	EtcdPeerPort  int    `json:"etcdPeerPort"`
	AdminToken    string `json:"adminToken"`
	KCMToken      string `json:"kcmToken"`
	// SchedulerToken and KwokToken authenticate kube-scheduler and kwok, when Options.Nodes has any.
	SchedulerToken string `json:"schedulerToken,omitempty"`
	KwokToken      string `json:"kwokToken,omitempty"`
}

// Start starts etcd, kube-apiserver and kube-controller-manager and waits until the
// API server is ready; with Options.Nodes, it then starts kube-scheduler and kwok and
// waits until the simulated nodes are Ready. On error everything started is stopped again, and the error
// names the component that failed and the log to read.
//
// Start does not lock the data directory: a caller whose data directory another
// process could use at the same time (naas up) holds LockDataDir first.
func Start(ctx context.Context, opts Options) (*ControlPlane, error) {
	if opts.Progress == nil {
		opts.Progress = func(string, ...any) {}
	}
	if opts.BinDir == "" || opts.DataDir == "" {
		return nil, errors.New("localcp: BinDir and DataDir are required")
	}
	if opts.NoControllerManager && len(opts.Nodes) > 0 {
		return nil, errors.New("localcp: simulated nodes need kube-controller-manager, whose node lifecycle controller makes them schedulable")
	}
	bins := []string{"etcd", "kube-apiserver", "kube-controller-manager"}
	if len(opts.Nodes) > 0 {
		bins = append(bins, "kube-scheduler", "kwok")
	}
	for _, b := range bins {
		if _, err := os.Stat(binPath(opts.BinDir, b)); err != nil {
			return nil, fmt.Errorf("control plane binary %s is missing in %s: run `make controlplane` (first build takes about 5 minutes)", b, opts.BinDir)
		}
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	opts.DataDir = dataDir
	for _, d := range []string{"pki", "etcd", "logs"} {
		if err := os.MkdirAll(filepath.Join(dataDir, d), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	cp := &ControlPlane{opts: opts, pki: newPKI(filepath.Join(dataDir, "pki"))}
	if err := cp.start(ctx); err != nil {
		cp.Stop()
		return nil, err
	}
	return cp, nil
}

// start starts the components into cp; on error the caller stops what started.
func (cp *ControlPlane) start(ctx context.Context) error {
	opts, dataDir := cp.opts, cp.opts.DataDir
	if err := cp.pki.ensure(); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	st, err := cp.loadState()
	if err != nil {
		return err
	}

	tokenUsers := []TokenUser{
		{Token: st.AdminToken, Name: AdminUser, UID: AdminUser, Groups: []string{"system:masters", PlatformAdminGroup}},
		{Token: st.KCMToken, Name: controllerManagerUser, UID: controllerManagerUser, Groups: []string{"system:masters"}},
		// kube-scheduler has the rights Kubernetes' bootstrap RBAC gives its user.
		{Token: st.SchedulerToken, Name: schedulerUser, UID: schedulerUser},
		// kwok writes the status of nodes and pods, nodes' leases and pods' deletions: the rights of every
		// kubelet together.
		{Token: st.KwokToken, Name: kwokUser, UID: kwokUser, Groups: []string{"system:masters"}},
	}
	tokenUsers = append(tokenUsers, opts.Users...)
	tokenFile := filepath.Join(dataDir, "tokens.csv")
	if err := WriteTokenFile(tokenFile, tokenUsers); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	cp.Users = append([]TokenUser{tokenUsers[0]}, opts.Users...)
	cp.AdminToken = st.AdminToken
	cp.Host = fmt.Sprintf("https://127.0.0.1:%d", st.APIServerPort)

	start := time.Now()
	if err := cp.startEtcd(ctx, st); err != nil {
		return err
	}
	opts.Progress("etcd ready (%s)", time.Since(start).Round(time.Millisecond))
	if err := cp.startAPIServer(ctx, st, tokenFile); err != nil {
		return err
	}
	opts.Progress("kube-apiserver ready at %s (%s)", cp.Host, time.Since(start).Round(time.Millisecond))

	cp.KubeconfigPath = filepath.Join(dataDir, "kubeconfig")
	if err := writeKubeconfig(cp.KubeconfigPath, cp.Host, cp.pki.CACert, AdminUser, st.AdminToken, ""); err != nil {
		return err
	}
	if !opts.NoControllerManager {
		kcmKubeconfig := filepath.Join(dataDir, "kube-controller-manager.kubeconfig")
		if err := writeKubeconfig(kcmKubeconfig, cp.Host, cp.pki.CACert, controllerManagerUser, st.KCMToken, ""); err != nil {
			return err
		}
		if err := cp.startControllerManager(kcmKubeconfig); err != nil {
			return err
		}
		opts.Progress("kube-controller-manager started")
	}
	return cp.startNodes(ctx, st)
}

// startNodes starts kube-scheduler and kwok and makes the simulated nodes, or, with none wanted, removes those
// an earlier run made.
func (cp *ControlPlane) startNodes(ctx context.Context, st state) error {
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	nodes := cp.opts.Nodes
	if len(nodes) == 0 {
		cp.opts.Progress("no simulated nodes: kube-scheduler and kwok not started, pods stay Pending")
		return ensureNodes(ctx, cs, nil)
	}
	dataDir := cp.opts.DataDir
	schedulerKubeconfig := filepath.Join(dataDir, "kube-scheduler.kubeconfig")
	if err := writeKubeconfig(schedulerKubeconfig, cp.Host, cp.pki.CACert, schedulerUser, st.SchedulerToken, ""); err != nil {
		return err
	}
	if err := cp.startScheduler(schedulerKubeconfig); err != nil {
		return err
	}
	cp.opts.Progress("kube-scheduler started")
	if err := ensureNodes(ctx, cs, nodes); err != nil {
		return err
	}
	kwokKubeconfig := filepath.Join(dataDir, "kwok.kubeconfig")
	if err := writeKubeconfig(kwokKubeconfig, cp.Host, cp.pki.CACert, kwokUser, st.KwokToken, ""); err != nil {
		return err
	}
	kwok, err := cp.startKwok(kwokKubeconfig)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, nodeReadyTimeout)
	defer cancel()
	if err := waitNodesReady(wctx, cs, nodes, kwok, cp.logPath("kwok")); err != nil {
		return err
	}
	cp.opts.Progress("kwok plays %s", DescribeNodes(nodes))
	return nil
}

func (cp *ControlPlane) startScheduler(kubeconfig string) error {
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--v=0",
	}
	p, err := startProcess("kube-scheduler", binPath(cp.opts.BinDir, "kube-scheduler"), args, cp.logPath("kube-scheduler"))
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	return nil
}

// startKwok starts kwok in its controller mode, playing the nodes annotated as kwok's with its default stages
// (built into controlplane/cmd/kwok). The nodes' and pods' addresses are made up and never dialled: the nodes
// are at 127.0.0.1, where no kubelet listens, so `kubectl logs` fails at once rather than going anywhere.
func (cp *ControlPlane) startKwok(kubeconfig string) (*process, error) {
	workDir := filepath.Join(cp.opts.DataDir, "kwok")
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=" + kwokNodeValue,
		"--node-lease-duration-seconds=40",
		"--node-ip=127.0.0.1",
		"--cidr=10.244.0.0/16",
	}
	// kwok reads ~/.kwok/kwok.yaml if there is one; its work directory in the data directory keeps a user's own
	// kwok configuration out.
	p, err := startProcess("kwok", binPath(cp.opts.BinDir, "kwok"), args, cp.logPath("kwok"), "KWOK_WORKDIR="+workDir)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, p)
	return p, nil
}

func (cp *ControlPlane) loadState() (state, error) {
	path := filepath.Join(cp.opts.DataDir, "state.json")
	var st state
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return st, fmt.Errorf("%s is corrupt: remove it to start over with new ports and tokens: %w", path, err)
		}
	}
	// The API server's port is in every kubeconfig handed out: it stays the same across restarts unless it was
	// asked for explicitly or something else took it meanwhile.
	switch {
	case cp.opts.APIServerPort != 0:
		if err := CheckPortFree(cp.opts.APIServerPort); err != nil {
			return st, fmt.Errorf("kube-apiserver: %w", err)
		}
		st.APIServerPort = cp.opts.APIServerPort
	case st.APIServerPort != 0 && !PortFree(st.APIServerPort):
		previous := st.APIServerPort
		var err error
		if st.APIServerPort, err = FreePort(); err != nil {
			return st, err
		}
		cp.opts.Progress("the API server's previous port %d is in use by another process: using %d; kubeconfigs written before point at the old port, fetch them again",
			previous, st.APIServerPort)
	case st.APIServerPort == 0:
		var err error
		if st.APIServerPort, err = FreePort(); err != nil {
			return st, err
		}
	}
	for _, port := range []*int{&st.EtcdPort, &st.EtcdPeerPort} {
		if !PortFree(*port) {
			var err error
			if *port, err = FreePort(); err != nil {
				return st, err
			}
		}
	}
	if st.AdminToken == "" {
		st.AdminToken = NewToken()
	}
	for _, tok := range []*string{&st.KCMToken, &st.SchedulerToken, &st.KwokToken} {
		if *tok == "" {
			*tok = NewToken()
		}
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := writeFileAtomic(path, b, 0o600); err != nil {
		return st, fmt.Errorf("write %s: %w", path, err)
	}
	return st, nil
}

func (cp *ControlPlane) logPath(name string) string {
	return filepath.Join(cp.opts.DataDir, "logs", name+".log")
}

func (cp *ControlPlane) startEtcd(ctx context.Context, st state) error {
	client := fmt.Sprintf("http://127.0.0.1:%d", st.EtcdPort)
	peer := fmt.Sprintf("http://127.0.0.1:%d", st.EtcdPeerPort)
	args := []string{
		"--name=naas",
		"--data-dir=" + filepath.Join(cp.opts.DataDir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=naas=" + peer,
		"--listen-metrics-urls=",
		"--log-level=warn",
		"--quota-backend-bytes=8589934592",
	}
	if cp.opts.Ephemeral {
		args = append(args, "--unsafe-no-fsync=true")
	}
	p, err := startProcess("etcd", binPath(cp.opts.BinDir, "etcd"), args, cp.logPath("etcd"))
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return waitFor(wctx, p, cp.logPath("etcd"), func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, client+"/health", "")
	})
}

func (cp *ControlPlane) admissionPlugins() []string {
	if len(cp.opts.AdmissionPlugins) > 0 {
		return cp.opts.AdmissionPlugins
	}
	return AdmissionPlugins
}

func (cp *ControlPlane) startAPIServer(ctx context.Context, st state, tokenFile string) error {
	args := []string{
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", st.EtcdPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The lease reconciler publishes the advertise address as the endpoint of the default/kubernetes
		// Service, which Kubernetes 1.37 refuses for a loopback address. No kubelet and no running container
		// (kwok's pods run nothing) reaches the API server through that Service: keep its endpoints unmanaged,
		// on every minor alike.
		"--endpoint-reconciler-type=none",
		fmt.Sprintf("--secure-port=%d", st.APIServerPort),
		"--cert-dir=" + filepath.Join(cp.opts.DataDir, "pki"),
		"--tls-cert-file=" + cp.pki.ServingCert,
		"--tls-private-key-file=" + cp.pki.ServingKey,
		"--client-ca-file=" + cp.pki.CACert,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + cp.pki.ServiceAccountPublicKey,
		"--service-account-signing-key-file=" + cp.pki.ServiceAccountKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--authorization-mode=RBAC",
		"--token-auth-file=" + tokenFile,
		"--enable-admission-plugins=" + strings.Join(cp.admissionPlugins(), ","),
		"--allow-privileged=true",
		"--profiling=false",
		"--v=0",
	}
	// Sized to the machine's CPUs; ExtraAPIServerArgs may override (the last flag wins).
	args = append(args, concurrencyArgs(runtime.NumCPU())...)
	args = append(args, cp.opts.ExtraAPIServerArgs...)
	p, err := startProcess("kube-apiserver", binPath(cp.opts.BinDir, "kube-apiserver"), args, cp.logPath("kube-apiserver"))
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)

	caPEM, err := os.ReadFile(cp.pki.CACert)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	defer hc.CloseIdleConnections()
	wctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	if err := waitFor(wctx, p, cp.logPath("kube-apiserver"), func(ctx context.Context) error {
		return httpOK(ctx, hc, cp.Host+"/readyz", st.AdminToken)
	}); err != nil {
		return err
	}
	cp.Config = &rest.Config{
		Host:            cp.Host,
		BearerToken:     st.AdminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM},
		QPS:             200,
		Burst:           400,
	}
	return nil
}

func (cp *ControlPlane) startControllerManager(kubeconfig string) error {
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=0",
		"--controllers=" + strings.Join(cp.controllers(), ","),
		"--service-account-private-key-file=" + cp.pki.ServiceAccountKey,
		"--root-ca-file=" + cp.pki.CACert,
		"--service-cluster-ip-range=" + serviceCIDR,
		// Quota usage should show up quickly: this is a development and test cluster.
		"--resource-quota-sync-period=10s",
		"--concurrent-resource-quota-syncs=5",
		"--namespace-sync-period=1m",
		"--v=0",
	}
	args = append(args, cp.opts.ExtraControllerManagerArgs...)
	p, err := startProcess("kube-controller-manager", binPath(cp.opts.BinDir, "kube-controller-manager"), args, cp.logPath("kube-controller-manager"))
	if err != nil {
		return err
	}
	cp.procs = append(cp.procs, p)
	return nil
}

func (cp *ControlPlane) controllers() []string {
	if len(cp.opts.Nodes) == 0 {
		return controllers
	}
	return append(slices.Clone(controllers), nodeControllers...)
}

// Pids returns the process ids of the running components.
func (cp *ControlPlane) Pids() []int {
	pids := make([]int, 0, len(cp.procs))
	for _, p := range cp.procs {
		pids = append(pids, p.Pid())
	}
	return pids
}

// Healthy returns an error naming the first component that has exited.
func (cp *ControlPlane) Healthy() error {
	for _, p := range cp.procs {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited; see %s: %w", p.name, cp.logPath(p.name), err)
		}
	}
	return nil
}

// Signal sends sig to the component named name (etcd, kube-apiserver, kube-controller-manager): tests pause and
// resume the API server (SIGSTOP, SIGCONT) to act out a cluster that stops answering.
func (cp *ControlPlane) Signal(name string, sig os.Signal) error {
	for _, p := range cp.procs {
		if p.name == name {
			return p.cmd.Process.Signal(sig)
		}
	}
	return fmt.Errorf("no component %q", name)
}

// Stop stops the components in reverse order of start. It is safe to call twice.
func (cp *ControlPlane) Stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		cp.procs[i].stop(15 * time.Second)
	}
}

// WriteKubeconfig writes a kubeconfig for the local API server that authenticates
// with token and, when namespace is set, defaults to it.
func (cp *ControlPlane) WriteKubeconfig(path, user, token, namespace string) error {
	return writeKubeconfig(path, cp.Host, cp.pki.CACert, user, token, namespace)
}

// CACert returns the PEM of the local CA that signed the API server's certificate.
func (cp *ControlPlane) CACert() ([]byte, error) { return os.ReadFile(cp.pki.CACert) }

func writeKubeconfig(path, host, caFile, user, token, namespace string) error {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["naas-local"] = &clientcmdapi.Cluster{Server: host, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["naas-local"] = &clientcmdapi.Context{Cluster: "naas-local", AuthInfo: user, Namespace: namespace}
	cfg.CurrentContext = "naas-local"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

func httpOK(ctx context.Context, hc *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s %s: %s", errNotReady, url, strconv.Itoa(resp.StatusCode), strings.TrimSpace(string(body)))
	}
	return nil
}
