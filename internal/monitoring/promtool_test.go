package monitoring

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// promtool runs promtool with args in dir and fails the test, with promtool's output, when it fails. Missing
// promtool fails the test rather than skipping it: these tests are what proves the alerts fire.
func promtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not on PATH (%v); run `make deps` (hack/deps.sh installs Debian's prometheus; make test does)", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v failed: %v\n%s", args, err, out)
	}
	t.Logf("promtool %v:\n%s", args, out)
}

// writeRuleFile writes a PrometheusRule spec (a map with "groups") as a Prometheus rule file. JSON is YAML, so
// promtool reads it as is.
func writeRuleFile(t *testing.T, path string, spec any) {
	t.Helper()
	body, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		t.Fatalf("encode rule file: %v", err)
	}
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatalf("write rule file: %v", err)
	}
}

// copyFile copies a testdata file into dir, where promtool resolves the rule files it names.
func copyFile(t *testing.T, src, dir string) {
	t.Helper()
	body, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("read %s: %v", src, err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, body, 0o600); err != nil {
		t.Fatalf("write %s: %v", dst, err)
	}
}

// TestNamespaceAlerts_PromtoolChecksAndUnitTests runs the generated rules of a sample namespace through
// promtool: they must be valid, and the unit tests in testdata/namespace-alerts.test.yaml (synthetic series for
// each alert, firing and not firing) must pass.
func TestNamespaceAlerts_PromtoolChecksAndUnitTests(t *testing.T) {
	obj, err := PrometheusRule(sampleNamespace())
	if err != nil {
		t.Fatalf("PrometheusRule: %v", err)
	}
	dir := t.TempDir()
	writeRuleFile(t, filepath.Join(dir, "namespace-alerts.rules.json"), obj.Object["spec"])
	copyFile(t, filepath.Join("testdata", "namespace-alerts.test.yaml"), dir)

	promtool(t, dir, "check", "rules", "namespace-alerts.rules.json")
	promtool(t, dir, "test", "rules", "namespace-alerts.test.yaml")
}
