package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/naas-dev/naas/bench/scrape"
	"github.com/naas-dev/naas/internal/localcp"
)

// BuildNaas builds ./cmd/naas from the repository at root into dir, so that the run measures this
// tree and not a stale bin/naas.
func BuildNaas(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "naas")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/naas")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/naas: %w\n%s", err, out)
	}
	return bin, nil
}

// MemoryLimitMiB is the memory naas serve may use in all (--memory-limit), as in a container limited to it: the
// issue's target for naas's memory at 10,000 namespaces. naas derives Go's soft memory limit from it.
const MemoryLimitMiB = 150

// Naas is `naas serve` running as a subprocess against the run's cluster.
type Naas struct {
	// Addr is naas's HTTP address (API, /metrics, /readyz).
	Addr string
	// Started is when the process was started.
	Started time.Time
	// LogPath holds the process's output.
	LogPath string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
	hc   *http.Client
}

// StartNaas starts `naas serve` as naasUser with the default catalog seeded. It returns at once;
// WaitReady waits for the caches.
func (c *Cluster) StartNaas(bin string, extraArgs ...string) (*Naas, error) {
	return c.startNaas(bin, "naas", c.webhookPort, extraArgs...)
}

// StartReplica starts another `naas serve` as StartNaas does, named name (its log is <name>.log, its data
// directory <name>-data), with its webhook server on webhookPort.
func (c *Cluster) StartReplica(bin, name string, webhookPort int, extraArgs ...string) (*Naas, error) {
	return c.startNaas(bin, name, webhookPort, extraArgs...)
}

func (c *Cluster) startNaas(bin, name string, webhookPort int, extraArgs ...string) (*Naas, error) {
	kubeconfig, err := c.NaasKubeconfig()
	if err != nil {
		return nil, err
	}
	port, err := localcp.FreePort()
	if err != nil {
		return nil, err
	}
	n := &Naas{
		Addr:    fmt.Sprintf("127.0.0.1:%d", port),
		LogPath: filepath.Join(c.Dir, name+".log"),
		done:    make(chan struct{}),
		hc:      &http.Client{Timeout: 10 * time.Second},
	}
	logf, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logf, "\n=== naas serve started at %s ===\n", time.Now().Format(time.RFC3339Nano))
	tokens, err := c.APITokenFile()
	if err != nil {
		return nil, err
	}
	// The API's per-user and per-tenant rate limits are turned off: figure 6 times the API's
	// handlers, one request after another, not its limiter.
	args := append([]string{"serve", "--kubeconfig", kubeconfig, "--addr", n.Addr,
		"--data-dir", filepath.Join(c.Dir, name+"-data"), "--seed-defaults",
		"--token-file", tokens, "--rate-limit-per-user=0", "--rate-limit-per-tenant=0",
		// The base domain of `naas up`: every claim then reserves its default hostname, as on a default install.
		"--base-domain", "apps.localhost",
		// Profiles at /debug/pprof/, to look into a run: serving them costs nothing until asked.
		"--profiling",
		// One webhook port for the whole run, as a Service gives naas in a cluster: a restart then
		// finds its webhook configurations as it left them.
		"--webhook-addr", fmt.Sprintf("127.0.0.1:%d", webhookPort),
		// As in a container limited to MemoryLimitMiB: naas sizes Go's soft memory limit from it as from the
		// container's. This machine runs naas in no such container; a real one would cap the RSS measured here.
		fmt.Sprintf("--memory-limit=%dMi", MemoryLimitMiB)}, extraArgs...)
	n.cmd = exec.Command(bin, args...)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	n.Started = time.Now()
	if err := n.cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start naas serve: %w", err)
	}
	go func() {
		n.err = n.cmd.Wait()
		_ = logf.Close()
		close(n.done)
	}()
	return n, nil
}

// Pid is the process id.
func (n *Naas) Pid() int { return n.cmd.Process.Pid }

func (n *Naas) exited() error {
	select {
	case <-n.done:
		return fmt.Errorf("naas serve exited (%w); its log is %s:\n%s", n.err, n.LogPath, tail(n.LogPath, 20))
	default:
		return nil
	}
}

// WaitReady waits until /readyz answers 200 (caches synced) and returns the time since start.
func (n *Naas) WaitReady(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if err := n.exited(); err != nil {
			return 0, err
		}
		if last = n.get(ctx, "/readyz", nil); last == nil {
			return time.Since(n.Started), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("naas not ready within %s: %w; log %s", timeout, last, n.LogPath)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (n *Naas) get(ctx context.Context, path string, into func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.Addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := n.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	if into == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return into(resp.Body)
}

// Metrics scrapes naas's /metrics.
func (n *Naas) Metrics(ctx context.Context) (scrape.Metrics, error) {
	var ms scrape.Metrics
	err := n.get(ctx, "/metrics", func(r io.Reader) error {
		var err error
		ms, err = scrape.Parse(r)
		return err
	})
	return ms, err
}

// RSS returns the resident set size of the process in bytes, from /proc.
func (n *Naas) RSS() (uint64, error) {
	return procRSS(n.Pid())
}

// FileRSS returns the process's resident file-backed pages in bytes (RssFile: its code and read-only data).
func (n *Naas) FileRSS() (uint64, error) {
	return procStatusBytes(n.Pid(), "RssFile")
}

func procRSS(pid int) (uint64, error) {
	return procStatusBytes(pid, "VmRSS")
}

// procStatusBytes reads a field in kB of /proc/<pid>/status, in bytes.
func procStatusBytes(pid int, field string) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse %s %q: %w", field, v, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// Idle reports whether naas has worked through everything it knows: every controller's queue is
// empty, no reconcile is running, and the claim controller has reconciled at least claims times
// (so that an empty queue before the informers delivered anything does not count).
func Idle(ms scrape.Metrics, claims int) bool {
	if ms.Sum("controller_runtime_reconcile_total", scrape.Labels{"controller": "namespaceclaim"}) < float64(claims) {
		return false
	}
	return ms.Sum("workqueue_depth", nil) == 0 && ms.Sum("controller_runtime_active_workers", nil) == 0
}

// WaitIdle waits until naas is Idle and returns the time since start.
func (n *Naas) WaitIdle(ctx context.Context, claims int, timeout time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(timeout)
	for {
		if err := n.exited(); err != nil {
			return 0, err
		}
		ms, err := n.Metrics(ctx)
		if err == nil && Idle(ms, claims) {
			return time.Since(n.Started), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("naas did not finish its pass over %d claims within %s (last scrape error: %w)", claims, timeout, err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop stops naas with SIGTERM, as a platform's process supervisor does, and kills it if it has
// not ended within 30 seconds.
func (n *Naas) Stop() error {
	if n.exited() != nil {
		return nil
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
		return errors.New("naas did not stop within 30s of SIGTERM and was killed")
	}
}

func tail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
