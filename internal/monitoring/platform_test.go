package monitoring

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// update rewrites generated files under config/monitoring instead of comparing them.
var update = flag.Bool("update", false, "rewrite config/monitoring/platform-dashboard-configmap.yaml from platform-dashboard.json")

// configDir holds the platform's own monitoring manifests.
const configDir = "../../config/monitoring"

// readManifest reads one YAML manifest of config/monitoring as an unstructured object.
func readManifest(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(configDir, name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	js, err := utilyaml.ToJSON(body)
	if err != nil {
		t.Fatalf("%s is not valid YAML: %v", name, err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(js); err != nil {
		t.Fatalf("%s is not a Kubernetes object: %v", name, err)
	}
	return obj
}

func TestPlatformRules_PromtoolChecksAndUnitTests(t *testing.T) {
	obj := readManifest(t, "platform-rules.yaml")
	if obj.GetAPIVersion() != PrometheusRuleAPIVersion || obj.GetKind() != PrometheusRuleKind {
		t.Fatalf("platform-rules.yaml is a %s %s, want a %s %s", obj.GetAPIVersion(), obj.GetKind(), PrometheusRuleAPIVersion, PrometheusRuleKind)
	}
	dir := t.TempDir()
	writeRuleFile(t, filepath.Join(dir, "platform-rules.rules.json"), obj.Object["spec"])
	copyFile(t, filepath.Join("testdata", "platform-rules.test.yaml"), dir)

	promtool(t, dir, "check", "rules", "platform-rules.rules.json")
	promtool(t, dir, "test", "rules", "platform-rules.test.yaml")
}

// The SLO definitions are part of naas's contract with its operators; a change must be deliberate.
func TestPlatformRules_SLODefinitions(t *testing.T) {
	obj := readManifest(t, "platform-rules.yaml")
	groups, _, _ := unstructured.NestedSlice(obj.Object, "spec", "groups")
	type ruleSummary struct{ Expr, For, Severity string }
	got := map[string]ruleSummary{}
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rules {
			r := r.(map[string]any)
			name, _ := r["record"].(string)
			if name == "" {
				name, _ = r["alert"].(string)
			}
			s := ruleSummary{}
			s.Expr, _ = r["expr"].(string)
			s.For, _ = r["for"].(string)
			s.Severity, _, _ = unstructured.NestedString(r, "labels", "severity")
			got[name] = s
		}
	}
	want := map[string]ruleSummary{
		"naas:provision_success_rate:ratio_rate5m": {
			Expr: `sum(rate(platform_namespace_provisions_total{status="success"}[5m])) / sum(rate(platform_namespace_provisions_total[5m]))`,
		},
		"naas:provision_duration_seconds:p95_rate5m": {
			Expr: `histogram_quantile(0.95, sum(rate(platform_namespace_provision_duration_seconds_bucket[5m])) by (le))`,
		},
		"NaasProvisionSuccessRateLow": {Expr: "naas:provision_success_rate:ratio_rate5m < 0.99", For: "5m", Severity: "critical"},
		"NaasProvisionSlow":           {Expr: "naas:provision_duration_seconds:p95_rate5m > 1", For: "10m", Severity: "warning"},
		"NaasBudgetThresholdReached": {Expr: "label_replace(\n  naas_budget_threshold_ratio\n    <= on (scope_kind, scope, tenant, alert_namespace, currency) group_left ()\n  " +
			"(naas_budget_spent / naas_budget_limit),\n  \"namespace\", \"$1\", \"alert_namespace\", \"(.+)\")", Severity: "warning"},
		"NaasBudgetForecastThresholdReached": {Expr: "label_replace(\n  naas_budget_threshold_ratio\n    <= on (scope_kind, scope, tenant, alert_namespace, currency) group_left ()\n  " +
			"(naas_budget_forecast / naas_budget_limit),\n  \"namespace\", \"$1\", \"alert_namespace\", \"(.+)\")", Severity: "info"},
		"NaasBudgetHardStop": {Expr: `label_replace(naas_budget_blocked == 1, "namespace", "$1", "alert_namespace", "(.+)")`, Severity: "critical"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("platform rules (-want +got):\n%s", diff)
	}
}

func TestServiceMonitor_ScrapesNaasMetrics(t *testing.T) {
	obj := readManifest(t, "servicemonitor.yaml")
	if obj.GetAPIVersion() != "monitoring.coreos.com/v1" || obj.GetKind() != "ServiceMonitor" {
		t.Fatalf("servicemonitor.yaml is a %s %s, want a monitoring.coreos.com/v1 ServiceMonitor", obj.GetAPIVersion(), obj.GetKind())
	}
	selector, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "selector", "matchLabels")
	if diff := cmp.Diff(map[string]string{"app.kubernetes.io/name": "naas"}, selector); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	endpoints, _, _ := unstructured.NestedSlice(obj.Object, "spec", "endpoints")
	if len(endpoints) != 1 {
		t.Fatalf("want one endpoint, got %v", endpoints)
	}
	ep := endpoints[0].(map[string]any)
	if ep["port"] != "metrics" || ep["path"] != "/metrics" {
		t.Errorf("endpoint = %v, want port metrics, path /metrics", ep)
	}
}

// platformDashboardConfigMap renders the ConfigMap that ships platform-dashboard.json to the Grafana sidecar.
func platformDashboardConfigMap(dashboardJSON []byte) string {
	var b strings.Builder
	b.WriteString(`# Generated from platform-dashboard.json; do not edit. Regenerate with:
#   go test ./internal/monitoring -run TestPlatformDashboard_ConfigMapMatchesJSON -update
apiVersion: v1
kind: ConfigMap
metadata:
  name: naas-platform-dashboard
  namespace: naas-system
  labels:
    grafana_dashboard: "1"
    app.kubernetes.io/name: naas
    app.kubernetes.io/component: monitoring
    app.kubernetes.io/managed-by: naas
  annotations:
    grafana_folder: naas
data:
  naas-platform.json: |
`)
	for _, line := range strings.Split(strings.TrimRight(string(dashboardJSON), "\n"), "\n") {
		fmt.Fprintf(&b, "    %s\n", line)
	}
	return b.String()
}

func TestPlatformDashboard_ConfigMapMatchesJSON(t *testing.T) {
	dashboardJSON, err := os.ReadFile(filepath.Join(configDir, "platform-dashboard.json"))
	if err != nil {
		t.Fatalf("read platform-dashboard.json: %v", err)
	}
	want := platformDashboardConfigMap(dashboardJSON)
	path := filepath.Join(configDir, "platform-dashboard-configmap.yaml")
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("platform-dashboard-configmap.yaml is out of date with platform-dashboard.json; rerun with -update (-want +got):\n%s", diff)
	}

	// The ConfigMap must also parse, carry the sidecar label and hold the same dashboard.
	cm := readManifest(t, "platform-dashboard-configmap.yaml")
	if cm.GetLabels()[DashboardLabel] != "1" {
		t.Errorf("ConfigMap lacks the %s=1 label the Grafana sidecar loads dashboards by", DashboardLabel)
	}
	d := dashboardOf(t, cm, "naas-platform.json")
	var fromFile map[string]any
	if err := json.Unmarshal(dashboardJSON, &fromFile); err != nil {
		t.Fatalf("platform-dashboard.json is not valid JSON: %v", err)
	}
	if diff := cmp.Diff(fromFile, d); diff != "" {
		t.Errorf("ConfigMap dashboard differs from platform-dashboard.json (-file +configmap):\n%s", diff)
	}
}

func TestPlatformDashboard_ShowsTheSLOs(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(configDir, "platform-dashboard.json"))
	if err != nil {
		t.Fatalf("read platform-dashboard.json: %v", err)
	}
	var d map[string]any
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("platform-dashboard.json is not valid JSON: %v", err)
	}
	if d["uid"] != "naas-platform" {
		t.Errorf("uid = %v, want naas-platform (links to the dashboard use it)", d["uid"])
	}
	var exprs []string
	for _, p := range d["panels"].([]any) {
		p := p.(map[string]any)
		if ds := p["datasource"].(map[string]any); ds["uid"] != "${datasource}" {
			t.Errorf("panel %q: datasource = %v, want the ${datasource} variable", p["title"], ds)
		}
		for _, tg := range p["targets"].([]any) {
			exprs = append(exprs, tg.(map[string]any)["expr"].(string))
		}
	}
	all := strings.Join(exprs, "\n")
	for _, series := range []string{"naas:provision_success_rate:ratio_rate5m", "naas:provision_duration_seconds:p95_rate5m"} {
		if !strings.Contains(all, series) {
			t.Errorf("no panel shows %s", series)
		}
	}
}

// TestDashboards_QueriesAreValidPromQL turns every dashboard query into a recording rule and has promtool parse
// it, so a typo in a panel query fails here rather than as an empty panel.
func TestDashboards_QueriesAreValidPromQL(t *testing.T) {
	cm, err := Dashboard(sampleNamespace())
	if err != nil {
		t.Fatalf("Dashboard: %v", err)
	}
	platformJSON, err := os.ReadFile(filepath.Join(configDir, "platform-dashboard.json"))
	if err != nil {
		t.Fatalf("read platform-dashboard.json: %v", err)
	}
	var platform map[string]any
	if err := json.Unmarshal(platformJSON, &platform); err != nil {
		t.Fatalf("platform-dashboard.json is not valid JSON: %v", err)
	}
	dashboards := map[string]map[string]any{
		"namespace": dashboardOf(t, cm, DashboardKey("shop")),
		"platform":  platform,
	}
	var rules []any
	for name, d := range dashboards {
		for _, p := range d["panels"].([]any) {
			for i, tg := range p.(map[string]any)["targets"].([]any) {
				expr := tg.(map[string]any)["expr"].(string)
				// Grafana substitutes $__rate_interval before the query reaches Prometheus.
				expr = strings.ReplaceAll(expr, "$__rate_interval", "5m")
				rules = append(rules, map[string]any{
					"record": fmt.Sprintf("dashboard:%s_panel%v:query%d", name, p.(map[string]any)["id"], i),
					"expr":   expr,
				})
			}
		}
	}
	dir := t.TempDir()
	writeRuleFile(t, filepath.Join(dir, "dashboard-queries.json"),
		map[string]any{"groups": []any{map[string]any{"name": "dashboard-queries", "rules": rules}}})
	promtool(t, dir, "check", "rules", "dashboard-queries.json")
}
