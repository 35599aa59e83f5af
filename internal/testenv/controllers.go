package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/naas-dev/naas/internal/kubeaudit"
)

// ControllerMetrics reads controller-runtime's metrics of the naas running in the test's process (its registry
// is this process's; counts add up across starts): the reconciles by controller, and the work queued or being
// reconciled by controller (busy), less what a naas stopped in this process left in its queues.
//
// controller-runtime's queue gauges are one per controller name for the whole process, and a controller stopped
// with items queued never takes them off: without that correction, a test that stops naas while it has work
// queued (an outage) would leave every later test of the package waiting for the next naas to be idle forever.
func ControllerMetrics(t testing.TB) (reconciles, busy map[string]float64) {
	t.Helper()
	reconciles, raw, err := controllerMetrics()
	if err != nil {
		t.Fatalf("gather controller metrics: %v", err)
	}
	residual.Lock()
	defer residual.Unlock()
	busy = map[string]float64{}
	for c, n := range raw {
		if n -= residual.busy[c]; n > 0 {
			busy[c] = n
		}
	}
	return reconciles, busy
}

func controllerMetrics() (reconciles, busy map[string]float64, err error) {
	families, err := metrics.Registry.Gather()
	if err != nil {
		return nil, nil, err
	}
	reconciles, busy = map[string]float64{}, map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			controller := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" {
					controller = l.GetValue()
				}
			}
			switch f.GetName() {
			case "controller_runtime_reconcile_total":
				reconciles[controller] += m.GetCounter().GetValue()
			case "workqueue_depth", "controller_runtime_active_workers":
				busy[controller] += m.GetGauge().GetValue()
			}
		}
	}
	return reconciles, busy, nil
}

// residual is what stopped naas left in the queue gauges of this process (ControllerMetrics).
var residual struct {
	sync.Mutex
	busy map[string]float64
}

// recordResidual takes note of the queue gauges once a naas of this process has stopped: none of its workers
// runs any more, and what its queues still count stays counted. Tests run one naas at a time in a process.
func recordResidual() {
	_, busy, err := controllerMetrics()
	if err != nil {
		return
	}
	residual.Lock()
	defer residual.Unlock()
	residual.busy = busy
}

// WaitControllersIdle waits until each controller of want has reconciled at least want[controller] more times
// than in before (ControllerMetrics), and no controller has work queued or running.
func WaitControllersIdle(t testing.TB, before, want map[string]float64) {
	t.Helper()
	Eventually(t, 2*WaitTimeout, "controllers idle after their first pass", func() error {
		now, busy := ControllerMetrics(t)
		for c, n := range want {
			if got := now[c] - before[c]; got < n {
				return Errorf("controller %s reconciled %v times since the start, want at least %v", c, got, n)
			}
		}
		if len(busy) > 0 {
			return Errorf("items queued or being reconciled, by controller: %v", busy)
		}
		return nil
	})
}

// auditUser returns the kube-apiserver flags that record, in dir/audit.log, every request of user at the
// Metadata level (verb, resource, user, response code) and nothing else, and the log's path. The log is written
// blocking: an event is in it before kube-apiserver answers, so a window read after the requests holds them all.
func auditUser(dir, user string) (args []string, logPath string, err error) {
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(fmt.Sprintf(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
  users: [%q]
- level: None
`, user)), 0o600); err != nil {
		return nil, "", fmt.Errorf("write the audit policy: %w", err)
	}
	logPath = filepath.Join(dir, "audit.log")
	return []string{
		"--audit-policy-file=" + policy,
		"--audit-log-path=" + logPath,
		"--audit-log-format=json",
		"--audit-log-mode=blocking",
		"--audit-log-maxsize=0",
	}, logPath, nil
}

// Reconciles is the reconciles by controller of ControllerMetrics.
func Reconciles(t testing.TB) map[string]float64 {
	t.Helper()
	r, _ := ControllerMetrics(t)
	return r
}

// MainAuditing is Main for tests that count naas's own API calls: the environment has user as a cluster admin
// (naas acts as it) and kube-apiserver records every request of user (auditUser) in a log whose reader it stores
// in *log before the tests run.
func MainAuditing(m *testing.M, env **Environment, log **kubeaudit.Log, user string, opts Options) {
	dir, err := os.MkdirTemp("", "naas-audit-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		os.Exit(1)
	}
	args, logPath, err := auditUser(dir, user)
	if err != nil {
		_ = os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		os.Exit(1)
	}
	*log = &kubeaudit.Log{Path: logPath}
	opts.Users = append(opts.Users, User{Name: user, Groups: []string{"system:masters"}})
	opts.APIServerArgs = append(opts.APIServerArgs, args...)
	e, err := Start(opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		os.Exit(1)
	}
	*env = e
	code := m.Run()
	e.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
