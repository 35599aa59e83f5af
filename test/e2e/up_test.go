// Package e2e drives the built naas binary the way a user does.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/localcp"
	"github.com/naas-dev/naas/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// naasBinary returns bin/naas, failing the test with how to build it when missing.
func naasBinary(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin", "naas")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run `make build` (make test does it for you)", bin)
	}
	return bin
}

// upProcess is a running `naas up`.
type upProcess struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	addr   string
	dir    string
	exited chan error
}

func startUp(t *testing.T, dataDir string, extraArgs ...string) *upProcess {
	t.Helper()
	addr := testenv.FreeAddr(t)
	args := append([]string{"up", "--data-dir", dataDir, "--addr", addr}, extraArgs...)
	cmd := exec.Command(naasBinary(t), args...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &upProcess{cmd: cmd, out: out, addr: addr, dir: dataDir, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case err := <-p.exited:
			t.Fatalf("naas up exited before it was ready (%v):\n%s", err, out.String())
		default:
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			// Ready, and has told the user what to do next.
			if resp.StatusCode == http.StatusOK && strings.Contains(out.String(), "naas is up") {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("naas up not ready after 3 minutes:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGINT and waits for a clean exit.
func (p *upProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("naas up exited with %v after SIGINT:\n%s", err, p.out.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("naas up did not stop within 90s of SIGINT:\n%s", p.out.String())
	}
}

// processesMentioning lists running processes whose command line mentions s.
func processesMentioning(s string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := fmt.Sscanf(e.Name(), "%d", new(int)); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmdline, s) {
			out = append(out, e.Name()+": "+cmdline)
		}
	}
	return out
}

// restConfig returns the cluster-admin configuration of the data directory's kubeconfig.
func (p *upProcess) restConfig(t *testing.T) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.dir, "kubeconfig"))
	if err != nil {
		t.Fatalf("load %s/kubeconfig: %v", p.dir, err)
	}
	return cfg
}

func (p *upProcess) client(t *testing.T) client.Client {
	t.Helper()
	c, err := client.New(p.restConfig(t), client.Options{Scheme: testenv.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUp_StartsServesStopsCleanlyAndKeepsState(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	p := startUp(t, dataDir)

	for _, want := range []string{"naas is up", "export KUBECONFIG=" + filepath.Join(dataDir, "kubeconfig"), "admin-token", "http://" + p.addr + "/"} {
		if !strings.Contains(p.out.String(), want) {
			t.Errorf("naas up output lacks %q:\n%s", want, p.out.String())
		}
	}
	token, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	if err != nil || len(strings.TrimSpace(string(token))) < 32 {
		t.Fatalf("admin-token: %q, %v", token, err)
	}

	// The control plane is of the Kubernetes minor asked for (NAAS_K8S, or the default).
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dataDir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	version, err := discovery.NewDiscoveryClientForConfigOrDie(cfg).ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	minor := version.Major + "." + strings.TrimSuffix(version.Minor, "+")
	if want, err := localcp.SelectedMinor(); err != nil || minor != want {
		t.Errorf("naas up runs Kubernetes %s (%s), want %s (%v)", minor, version.GitVersion, want, err)
	}

	c := p.client(t)
	tiers := &naasv1alpha1.TierList{}
	if err := c.List(ctx, tiers); err != nil {
		t.Fatal(err)
	}
	if len(tiers.Items) != 3 {
		t.Errorf("seeded tiers = %d, want dev, staging and prod", len(tiers.Items))
	}
	tenant := &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "persist"},
		Spec:       naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin}}},
	}
	if err := c.Create(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	claim := &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "persist-app"},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: "persist", Template: "standard", Tier: "dev"},
	}
	if err := c.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "claim ready under naas up", func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(claim), claim); err != nil {
			return err
		}
		if claim.Status.Phase != naasv1alpha1.PhaseReady {
			return testenv.Errorf("phase %q", claim.Status.Phase)
		}
		return nil
	})

	// The tenant's Deployment, the README tour's example, gets Running pods on the simulated nodes (--nodes,
	// 3 by default).
	if err := c.Create(ctx, sampleDeployment(t, "persist-app")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 2*time.Minute, "the tour's Deployment Running under naas up", func() error {
		_, err := testenv.RunningPods(ctx, c, "persist-app", "web", 3)
		return err
	})
	nodes := simulatedNodes(t, c)

	host := apiServerHost(t, dataDir)
	webhooks := webhookVersions(t, c)
	p.stop(t)
	if left := processesMentioning(dataDir); len(left) > 0 {
		t.Fatalf("processes survived naas up:\n%s", strings.Join(left, "\n"))
	}
	if resp, err := http.Get("http://" + p.addr + "/readyz"); err == nil {
		resp.Body.Close()
		t.Fatalf("the HTTP server still answers after stop")
	}

	// A second start on the same data directory has everything the first one made.
	p2 := startUp(t, dataDir)
	c2 := p2.client(t)
	if err := c2.Get(ctx, client.ObjectKey{Name: "persist"}, &naasv1alpha1.Tenant{}); err != nil {
		t.Errorf("tenant after restart: %v", err)
	}
	if err := c2.Get(ctx, client.ObjectKey{Name: "persist-app"}, &corev1.Namespace{}); err != nil {
		t.Errorf("namespace after restart: %v", err)
	}
	got := &naasv1alpha1.NamespaceClaim{}
	if err := c2.Get(ctx, client.ObjectKey{Name: "persist-app"}, got); err != nil || got.Status.Phase != naasv1alpha1.PhaseReady {
		t.Errorf("claim after restart: phase %q, %v", got.Status.Phase, err)
	}
	// The same simulated nodes, not new ones, and the pods still on them.
	if diff := cmp.Diff(nodes, simulatedNodes(t, c2)); diff != "" {
		t.Errorf("simulated nodes changed across a restart (-before +after):\n%s", diff)
	}
	testenv.Eventually(t, 2*time.Minute, "the Deployment Running after restart", func() error {
		_, err := testenv.RunningPods(ctx, c2, "persist-app", "web", 3)
		return err
	})
	// The kubeconfigs handed out keep working: the API server is where it was.
	if after := apiServerHost(t, dataDir); after != host {
		t.Errorf("API server after restart at %s, want %s as before: every kubeconfig handed out broke", after, host)
	}
	// The webhook server is back on its port, so its configurations were left as they were.
	if diff := cmp.Diff(webhooks, webhookVersions(t, c2)); diff != "" {
		t.Errorf("webhook configurations rewritten by a restart (-before +after):\n%s", diff)
	}
	p2.stop(t)
	if left := processesMentioning(dataDir); len(left) > 0 {
		t.Fatalf("processes survived the second naas up:\n%s", strings.Join(left, "\n"))
	}
}

// sampleDeployment is the README tour's example Deployment (config/samples/workloads/web.yaml) in namespace.
func sampleDeployment(t *testing.T, namespace string) *appsv1.Deployment {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "config", "samples", "workloads", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d := &appsv1.Deployment{}
	if err := yaml.UnmarshalStrict(b, d); err != nil {
		t.Fatal(err)
	}
	d.Namespace = namespace
	return d
}

// simulatedNodes returns the name, UID, pool and instance type of each node naas up made.
func simulatedNodes(t *testing.T, c client.Client) []string {
	t.Helper()
	list := &corev1.NodeList{}
	if err := c.List(context.Background(), list, client.MatchingLabels{naasv1alpha1.LabelManagedBy: localcp.SimulatedNodeManager}); err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for _, n := range list.Items {
		nodes = append(nodes, strings.Join([]string{n.Name, string(n.UID), n.Labels[naasv1alpha1.NodePoolLabel], n.Labels[corev1.LabelInstanceTypeStable]}, " "))
	}
	if len(nodes) != 3 {
		t.Errorf("naas up made nodes %v, want 3 (the default of --nodes)", nodes)
	}
	return nodes
}

// apiServerHost returns the API server address of the data directory's kubeconfig.
func apiServerHost(t *testing.T, dataDir string) string {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dataDir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Host
}

// webhookVersions returns the resource versions and webhook URLs of naas's webhook configurations.
func webhookVersions(t *testing.T, c client.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	var validating admissionregistrationv1.ValidatingWebhookConfigurationList
	if err := c.List(ctx, &validating, client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}); err != nil {
		t.Fatal(err)
	}
	for _, w := range validating.Items {
		out["validating/"+w.Name] = w.ResourceVersion
		for _, h := range w.Webhooks {
			if h.ClientConfig.URL != nil {
				out["validating/"+w.Name+"/"+h.Name] = *h.ClientConfig.URL
			}
		}
	}
	var mutating admissionregistrationv1.MutatingWebhookConfigurationList
	if err := c.List(ctx, &mutating, client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}); err != nil {
		t.Fatal(err)
	}
	for _, w := range mutating.Items {
		out["mutating/"+w.Name] = w.ResourceVersion
		for _, h := range w.Webhooks {
			if h.ClientConfig.URL != nil {
				out["mutating/"+w.Name+"/"+h.Name] = *h.ClientConfig.URL
			}
		}
	}
	if len(validating.Items) == 0 || len(mutating.Items) == 0 {
		t.Fatalf("naas's webhook configurations: %d validating, %d mutating, want both", len(validating.Items), len(mutating.Items))
	}
	return out
}

func TestUp_TokenFileUsersAreTrustedByKubeAPIServer(t *testing.T) {
	dataDir := t.TempDir()
	tokens := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(tokens, []byte("tok-erin-123456,erin,erin-uid,\"devs,team-erin\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startUp(t, dataDir, "--token-file", tokens)
	defer p.stop(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dataDir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BearerToken = "tok-erin-123456"
	c, err := client.New(cfg, client.Options{Scheme: testenv.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	// erin is authenticated (not 401) and may read the catalog like every authenticated user.
	if err := c.List(context.Background(), &naasv1alpha1.NamespaceTemplateList{}); err != nil {
		t.Fatalf("token-file user reading the catalog: %v", err)
	}
	cfg.BearerToken = "wrong"
	bad, err := client.New(cfg, client.Options{Scheme: testenv.NewScheme()})
	if err == nil {
		err = bad.List(context.Background(), &naasv1alpha1.NamespaceTemplateList{})
	}
	if unauthorized := err != nil && (apierrors.IsUnauthorized(err) || strings.Contains(err.Error(), "provide credentials")); !unauthorized {
		t.Fatalf("unknown token: want Unauthorized, got %v", err)
	}
}
