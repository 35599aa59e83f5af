package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// runUp runs `naas up` that is expected to fail, and returns its output once it exited (failing the test if it
// does not within a minute, or exits 0).
func runUp(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, naasBinary(t), append([]string{"up"}, args...)...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("naas up %v did not exit within a minute:\n%s", args, out)
	}
	if err == nil {
		t.Fatalf("naas up %v exited 0, want a failure:\n%s", args, out)
	}
	return string(out)
}

func TestUp_SecondUpOnTheSameDataDirFailsFastAndTheFirstKeepsWorking(t *testing.T) {
	dataDir := t.TempDir()
	first := startUp(t, dataDir)
	defer first.stop(t)
	state, err := os.ReadFile(filepath.Join(dataDir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	out := runUp(t, "--data-dir", dataDir, "--addr", testenv.FreeAddr(t))
	want := fmt.Sprintf("naas is already running in %s (pid %d)", dataDir, first.cmd.Process.Pid)
	if !strings.Contains(out, want) {
		t.Errorf("second naas up on the same data directory said:\n%s\nwant %q", out, want)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("second naas up took %s to fail, want it to fail at once", took)
	}
	if after, err := os.ReadFile(filepath.Join(dataDir, "state.json")); err != nil || !bytes.Equal(after, state) {
		t.Errorf("state.json changed under the running naas up (%v):\nbefore %s\nafter  %s", err, state, after)
	}

	// The first one still serves, with the kubeconfig it handed out.
	c := first.client(t)
	if err := c.List(context.Background(), &naasv1alpha1.TierList{}); err != nil {
		t.Errorf("the first naas up's kubeconfig after the second start: %v", err)
	}
	resp, err := http.Get("http://" + first.addr + "/readyz")
	if err != nil {
		t.Fatalf("the first naas up after the second start: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the first naas up after the second start: readyz %d", resp.StatusCode)
	}
}

func TestUp_TakenAPIServerPortIsReportedWithoutStarting(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dataDir := t.TempDir()
	out := runUp(t, "--data-dir", dataDir, "--addr", testenv.FreeAddr(t), "--apiserver-port", strconv.Itoa(port))
	if strings.Contains(out, "panic") || !strings.Contains(out, "--apiserver-port") ||
		!strings.Contains(out, fmt.Sprintf("port %d on 127.0.0.1 is in use", port)) {
		t.Errorf("naas up with a taken --apiserver-port said:\n%s\nwant an error naming the flag and the port in use, and no panic", out)
	}
	if left := processesMentioning(dataDir); len(left) > 0 {
		t.Errorf("processes started for a naas up that could not start:\n%s", strings.Join(left, "\n"))
	}
}

func TestUp_ControlPlaneStartFailureSaysWhatFailedAndWhichLogToRead(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cpBin, err := testenv.ControlPlaneBinDir(root)
	if err != nil {
		t.Fatal(err)
	}
	// A bin directory whose kube-apiserver fails at once, as one given a bad flag or a taken port does.
	binDir := t.TempDir()
	for _, b := range []string{"etcd", "kube-controller-manager", "kube-scheduler", "kwok"} {
		if err := os.Symlink(filepath.Join(cpBin, b), filepath.Join(binDir, b)); err != nil {
			t.Fatal(err)
		}
	}
	script := "#!/bin/sh\necho 'Error: invalid argument: the flag --frobnicate is unknown' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(binDir, "kube-apiserver"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	out := runUp(t, "--data-dir", dataDir, "--addr", testenv.FreeAddr(t), "--bin-dir", binDir)
	for _, want := range []string{
		"kube-apiserver exited before it was ready",
		filepath.Join(dataDir, "logs", "kube-apiserver.log"),
		"the flag --frobnicate is unknown",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("naas up whose kube-apiserver fails said:\n%s\nwant it to contain %q", out, want)
		}
	}
	if strings.Contains(out, "panic") {
		t.Errorf("naas up panicked:\n%s", out)
	}
	testenv.Eventually(t, 10*time.Second, "etcd stopped after the failed start", func() error {
		if left := processesMentioning(dataDir); len(left) > 0 {
			return testenv.Errorf("still running:\n%s", strings.Join(left, "\n"))
		}
		return nil
	})
}

// auditItem is the part of an API audit event this test reads.
type auditItem struct {
	Action    string `json:"action"`
	Namespace string `json:"namespace"`
	Result    string `json:"result"`
	RequestID string `json:"requestId"`
}

// apiCall makes an API request with token and returns the status and body.
func apiCall(ctx context.Context, addr, token, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func TestUp_EveryClaimInTheClusterHasItsAuditRecordAfterAKillMidBurst(t *testing.T) {
	const burst, killAt = 60, 15
	ctx := context.Background()
	dataDir := t.TempDir()
	// Limits that let the whole burst through at once: the requests are in flight together.
	limits := []string{"--rate-limit-user-burst=100", "--rate-limit-per-user=100", "--rate-limit-tenant-burst=100", "--rate-limit-per-tenant=100"}
	p := startUp(t, dataDir, limits...)
	tokenBytes, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tokenBytes))
	// Several tenants, so that the requests do not all take turns at one tenant's namespace count.
	const tenants = 6
	c := p.client(t)
	for i := range tenants {
		tn := &naasv1alpha1.Tenant{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("burst-%d", i)},
			Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{
				{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
			}},
		}
		if err := c.Create(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}

	// A burst of namespace requests; naas is killed with SIGKILL the moment the cluster has a quarter of the
	// claims, seen by a watch: a create has just landed, its response (and, before the fix, its audit record) is
	// still to come, and the other requests are in flight.
	killed := make(chan struct{})
	var killOnce sync.Once
	kill := func() {
		killOnce.Do(func() {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			close(killed)
		})
	}
	wc, err := client.NewWithWatch(p.restConfig(t), client.Options{Scheme: testenv.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(ctx, &naasv1alpha1.NamespaceClaimList{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	go func() {
		seen := 0
		for ev := range w.ResultChan() {
			if ev.Type == watch.Added {
				if seen++; seen == killAt {
					kill()
					return
				}
			}
		}
	}()
	var answered atomic.Int32
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			tenant := fmt.Sprintf("burst-%d", i%tenants)
			body := map[string]string{"name": fmt.Sprintf("%s-%02d", tenant, i), "tenant": tenant, "template": "standard"}
			status, _, err := apiCall(ctx, p.addr, token, http.MethodPost, "/api/v1/namespaces/request", body)
			if err == nil && status == http.StatusAccepted {
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	kill() // Should the watch have missed the claims, still crash.
	<-killed
	if err := <-p.exited; err == nil {
		t.Fatal("naas up exited cleanly, want it killed mid-burst")
	}
	t.Logf("%d of %d requests answered before the kill", answered.Load(), burst)
	testenv.Eventually(t, 15*time.Second, "the control plane dies with naas", func() error {
		if left := processesMentioning(dataDir); len(left) > 0 {
			return testenv.Errorf("still running after naas was killed:\n%s", strings.Join(left, "\n"))
		}
		return nil
	})

	// After a restart, every claim that reached the cluster has its request in the audit log.
	p2 := startUp(t, dataDir)
	defer p2.stop(t)
	var claims naasv1alpha1.NamespaceClaimList
	if err := p2.client(t).List(ctx, &claims); err != nil {
		t.Fatal(err)
	}
	requests := map[string]auditItem{}
	query := url.Values{"limit": {"500"}}
	for {
		status, body, err := apiCall(ctx, p2.addr, token, http.MethodGet, "/api/v1/audit?"+query.Encode(), nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("audit query: %d %s %v", status, body, err)
		}
		var page struct {
			Items         []auditItem `json:"items"`
			NextPageToken string      `json:"nextPageToken"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			if e.Action == "namespace.request" {
				requests[e.Namespace] = e
			}
		}
		if page.NextPageToken == "" {
			break
		}
		query.Set("pageToken", page.NextPageToken)
	}
	inCluster, unknown := 0, 0
	for _, cl := range claims.Items {
		if !strings.HasPrefix(cl.Spec.Tenant, "burst-") {
			continue
		}
		inCluster++
		e, ok := requests[cl.Name]
		switch {
		case !ok:
			t.Errorf("claim %s reached the cluster, but its namespace.request is not in the audit log", cl.Name)
		case e.Result == "unknown":
			unknown++
		case e.Result != "allowed":
			t.Errorf("claim %s reached the cluster, but its namespace.request reads %q, want allowed or unknown", cl.Name, e.Result)
		}
	}
	t.Logf("%d claims in the cluster, %d audited with outcome unknown (in flight at the kill)", inCluster, unknown)
	if inCluster < killAt {
		t.Errorf("%d claims in the cluster, want at least the %d seen before the kill", inCluster, killAt)
	}
	// An intent of a request the kill cut short reads unknown, not pending, after the restart.
	for ns, e := range requests {
		if e.Result == "pending" {
			t.Errorf("namespace.request of %s reads pending after a restart, want unknown", ns)
		}
	}
}
