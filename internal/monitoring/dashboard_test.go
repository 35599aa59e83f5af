package monitoring

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// dashboardOf parses the dashboard JSON out of a built ConfigMap as generic JSON, independent of the builder's
// types.
func dashboardOf(t *testing.T, cm *unstructured.Unstructured, key string) map[string]any {
	t.Helper()
	body, found, err := unstructured.NestedString(cm.Object, "data", key)
	if err != nil || !found {
		t.Fatalf("ConfigMap has no data key %q (err %v): %v", key, err, cm.Object["data"])
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("dashboard is not valid JSON: %v\n%s", err, body)
	}
	return d
}

func TestDashboard_ConfigMapForTheGrafanaSidecar(t *testing.T) {
	ns := sampleNamespace()
	ns.Labels = map[string]string{"release": "kube-prometheus-stack"}
	cm, err := Dashboard(ns)
	if err != nil {
		t.Fatalf("Dashboard: %v", err)
	}
	got := map[string]any{
		"apiVersion": cm.GetAPIVersion(), "kind": cm.GetKind(), "name": cm.GetName(), "namespace": cm.GetNamespace(),
		"labels": cm.GetLabels(), "annotations": cm.GetAnnotations(),
	}
	want := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "name": "naas-dashboard", "namespace": "shop",
		"labels": map[string]string{
			"grafana_dashboard":            "1",
			"app.kubernetes.io/managed-by": "naas",
			"naas.dev/claim":               "shop",
			"naas.dev/tenant":              "acme",
			"release":                      "kube-prometheus-stack",
		},
		"annotations": map[string]string{"grafana_folder": "acme"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConfigMap (-want +got):\n%s", diff)
	}
	data, _, _ := unstructured.NestedMap(cm.Object, "data")
	if len(data) != 1 {
		t.Errorf("want exactly one dashboard in the ConfigMap, got keys %v", data)
	}
	_ = cm.DeepCopy() // panics on non-JSON Go types
}

func TestDashboard_PanelsQueryOnlyTheNamespace(t *testing.T) {
	cm, err := Dashboard(sampleNamespace())
	if err != nil {
		t.Fatalf("Dashboard: %v", err)
	}
	d := dashboardOf(t, cm, "naas-shop.json")

	if d["uid"] != DashboardUID("shop") || d["title"] != "naas / shop" {
		t.Errorf("uid, title = %v, %v; want %s, naas / shop", d["uid"], d["title"], DashboardUID("shop"))
	}
	vars, _ := d["templating"].(map[string]any)["list"].([]any)
	if len(vars) != 1 || vars[0].(map[string]any)["type"] != "datasource" || vars[0].(map[string]any)["name"] != "datasource" {
		t.Errorf("want one datasource variable named datasource, got %v", vars)
	}

	wantPanels := map[string][]string{ // title -> a metric each of its queries must use, in order
		"CPU usage (cores)":              {"container_cpu_usage_seconds_total", "kube_resourcequota"},
		"Memory working set":             {"container_memory_working_set_bytes", "kube_resourcequota"},
		"Network receive":                {"container_network_receive_bytes_total"},
		"Network transmit":               {"container_network_transmit_bytes_total"},
		"Container restarts (last hour)": {"kube_pod_container_status_restarts_total"},
		"Quota usage":                    {"kube_resourcequota"},
	}
	panels, _ := d["panels"].([]any)
	if len(panels) != len(wantPanels) {
		t.Fatalf("want %d panels, got %d", len(wantPanels), len(panels))
	}
	ids := map[float64]bool{}
	cells := map[[2]int]string{}
	for _, p := range panels {
		p := p.(map[string]any)
		title, _ := p["title"].(string)
		metrics, ok := wantPanels[title]
		if !ok {
			t.Errorf("unexpected panel %q", title)
			continue
		}
		id, _ := p["id"].(float64)
		if ids[id] {
			t.Errorf("panel %q: id %v is not unique", title, id)
		}
		ids[id] = true
		if ds := p["datasource"].(map[string]any); ds["uid"] != "${datasource}" || ds["type"] != "prometheus" {
			t.Errorf("panel %q: datasource = %v, want the ${datasource} variable", title, ds)
		}
		// Panels must not overlap: mark every grid cell a panel covers.
		g := p["gridPos"].(map[string]any)
		x, y, w, h := int(g["x"].(float64)), int(g["y"].(float64)), int(g["w"].(float64)), int(g["h"].(float64))
		if w <= 0 || h <= 0 || x+w > 24 {
			t.Errorf("panel %q: gridPos %v is outside the 24-column grid", title, g)
		}
		for i := x; i < x+w; i++ {
			for j := y; j < y+h; j++ {
				if other, taken := cells[[2]int{i, j}]; taken {
					t.Fatalf("panels %q and %q overlap", other, title)
				}
				cells[[2]int{i, j}] = title
			}
		}
		targets, _ := p["targets"].([]any)
		if len(targets) != len(metrics) {
			t.Errorf("panel %q: want %d queries, got %d", title, len(metrics), len(targets))
			continue
		}
		refIDs := map[string]bool{}
		for i, tg := range targets {
			tg := tg.(map[string]any)
			expr, _ := tg["expr"].(string)
			if !strings.Contains(expr, metrics[i]+`{namespace="shop",`) && !strings.Contains(expr, metrics[i]+`{namespace="shop"}`) {
				t.Errorf("panel %q: query %q must select %s in namespace shop", title, expr, metrics[i])
			}
			if n := strings.Count(expr, "{"); n != strings.Count(expr, `{namespace="shop"`) {
				t.Errorf("panel %q: query %q has a selector without the namespace", title, expr)
			}
			ref, _ := tg["refId"].(string)
			if ref == "" || refIDs[ref] {
				t.Errorf("panel %q: refId %q is empty or repeated", title, ref)
			}
			refIDs[ref] = true
		}
	}
}

func TestDashboardUID_StableShortAndDistinct(t *testing.T) {
	long := strings.Repeat("a", 63)
	if first, again := DashboardUID("shop"), DashboardUID(strings.Clone("shop")); first != again {
		t.Error("uid is not stable")
	}
	if DashboardUID("shop") == DashboardUID("shop2") {
		t.Error("different namespaces share a uid")
	}
	for _, ns := range []string{"shop", long} {
		if uid := DashboardUID(ns); len(uid) > 40 || !strings.HasPrefix(uid, "naas-") {
			t.Errorf("DashboardUID(%q) = %q: want a naas- prefix and at most 40 characters (Grafana's limit)", ns, uid)
		}
	}
	// Pinned (sha256 of "shop"): changing the derivation breaks every saved link to a namespace dashboard.
	if got, want := DashboardUID("shop"), "naas-8d9001d32c6a703d9592"; got != want {
		t.Errorf("DashboardUID(shop) = %q, want %q", got, want)
	}
}

func TestDashboardURL(t *testing.T) {
	uid := DashboardUID("shop")
	tests := []struct{ grafana, want string }{
		{"https://grafana.example.com", "https://grafana.example.com/d/" + uid},
		{"https://grafana.example.com/", "https://grafana.example.com/d/" + uid},
		{"https://example.com/grafana", "https://example.com/grafana/d/" + uid},
	}
	for _, tt := range tests {
		if got := DashboardURL(tt.grafana, "shop"); got != tt.want {
			t.Errorf("DashboardURL(%q, shop) = %q, want %q", tt.grafana, got, tt.want)
		}
	}
}

func TestDashboard_RejectsIncompleteInput(t *testing.T) {
	ns := sampleNamespace()
	ns.Tenant = ""
	if cm, err := Dashboard(ns); err == nil || cm != nil {
		t.Errorf("Dashboard without a tenant = %v, %v; want an error", cm, err)
	}
}
