package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/naas-dev/naas/internal/kubeaudit"
)

// ControllerMetrics reads controller-runtime's metrics of the naas running in the test's process (its registry
// is this process's; counts add up across starts): the reconciles by controller, and the work queued or being
// reconciled, all controllers together.
func ControllerMetrics(t testing.TB) (reconciles map[string]float64, busy float64) {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gather controller metrics: %v", err)
	}
	reconciles = map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetName() {
			case "controller_runtime_reconcile_total":
				for _, l := range m.GetLabel() {
					if l.GetName() == "controller" {
						reconciles[l.GetValue()] += m.GetCounter().GetValue()
					}
				}
			case "workqueue_depth", "controller_runtime_active_workers":
				busy += m.GetGauge().GetValue()
			}
		}
	}
	return reconciles, busy
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
		if busy > 0 {
			return Errorf("%v items queued or being reconciled", busy)
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
