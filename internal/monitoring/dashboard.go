package monitoring

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// DashboardConfigMapName is the name of the ConfigMap holding a namespace's Grafana dashboard.
const DashboardConfigMapName = "naas-dashboard"

// The Grafana dashboard sidecar (kiwigrid k8s-sidecar, as deployed by kube-prometheus-stack) loads ConfigMaps
// carrying DashboardLabel and files them in the folder named by DashboardFolderAnnotation.
const (
	DashboardLabel            = "grafana_dashboard"
	DashboardFolderAnnotation = "grafana_folder"
)

// DashboardUID is the Grafana uid of the namespace's dashboard. It is derived from the namespace name alone, so
// links to the dashboard survive re-provisioning, and hashed because Grafana uids are at most 40 characters
// while namespace names may have 63.
func DashboardUID(namespace string) string {
	sum := sha256.Sum256([]byte(namespace))
	return "naas-" + hex.EncodeToString(sum[:])[:20]
}

// DashboardURL is the address of the namespace's dashboard in the Grafana at grafanaURL.
func DashboardURL(grafanaURL, namespace string) string {
	return strings.TrimSuffix(grafanaURL, "/") + "/d/" + DashboardUID(namespace)
}

// DashboardKey is the ConfigMap data key of the namespace's dashboard. The sidecar writes every dashboard to
// one directory under its key, so the key must be unique across namespaces.
func DashboardKey(namespace string) string {
	return "naas-" + namespace + ".json"
}

// Dashboard builds the ConfigMap with the namespace's Grafana dashboard: CPU, memory, network receive and
// transmit, container restarts and quota usage, every query scoped to the namespace.
func Dashboard(ns Namespace) (*unstructured.Unstructured, error) {
	if err := ns.validate(); err != nil {
		return nil, fmt.Errorf("build dashboard: %w", err)
	}
	body, err := json.MarshalIndent(namespaceDashboard(ns), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode dashboard for namespace %s: %w", ns.Name, err)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"data": map[string]any{DashboardKey(ns.Name): string(body)},
	}}
	obj.SetAPIVersion("v1")
	obj.SetKind("ConfigMap")
	obj.SetName(DashboardConfigMapName)
	obj.SetNamespace(ns.Name)
	labels := ns.objectLabels()
	labels[DashboardLabel] = "1"
	obj.SetLabels(labels)
	obj.SetAnnotations(map[string]string{DashboardFolderAnnotation: ns.Tenant})
	return obj, nil
}

// The types below are the subset of Grafana's dashboard JSON model naas writes.
type dashboard struct {
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	Description   string     `json:"description,omitempty"`
	Tags          []string   `json:"tags"`
	Editable      bool       `json:"editable"`
	SchemaVersion int        `json:"schemaVersion"`
	Refresh       string     `json:"refresh"`
	Time          timeRange  `json:"time"`
	Templating    templating `json:"templating"`
	Panels        []panel    `json:"panels"`
}

type timeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type templating struct {
	List []variable `json:"list"`
}

type variable struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Type  string `json:"type"`
	Query string `json:"query"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int           `json:"id"`
	Type        string        `json:"type"`
	Title       string        `json:"title"`
	Datasource  datasourceRef `json:"datasource"`
	GridPos     gridPos       `json:"gridPos"`
	FieldConfig fieldConfig   `json:"fieldConfig"`
	Targets     []target      `json:"targets"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type fieldConfig struct {
	Defaults  fieldDefaults `json:"defaults"`
	Overrides []any         `json:"overrides"`
}

type fieldDefaults struct {
	Unit       string      `json:"unit"`
	Min        *float64    `json:"min,omitempty"`
	Max        *float64    `json:"max,omitempty"`
	Thresholds *thresholds `json:"thresholds,omitempty"`
}

type thresholds struct {
	Mode  string `json:"mode"`
	Steps []step `json:"steps"`
}

// step is one threshold; Value is nil for the base step, which Grafana encodes as null.
type step struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

type target struct {
	RefID        string        `json:"refId"`
	Datasource   datasourceRef `json:"datasource"`
	Expr         string        `json:"expr"`
	LegendFormat string        `json:"legendFormat"`
}

// promDatasource selects the Prometheus data source through the dashboard's datasource variable, so the
// dashboard works whatever uid the Grafana's Prometheus data source has.
func promDatasource() datasourceRef {
	return datasourceRef{Type: "prometheus", UID: "${datasource}"}
}

// namespaceDashboard is the dashboard of one namespace: six panels in two columns.
func namespaceDashboard(ns Namespace) dashboard {
	n := fmt.Sprintf("namespace=%q", ns.Name)
	zero, one := 0.0, 1.0
	warn, crit := 0.8, 0.9
	panels := []panel{
		timeseries("CPU usage (cores)", "short",
			target{Expr: fmt.Sprintf(`sum by (pod) (rate(container_cpu_usage_seconds_total{%s,container!="",image!=""}[$__rate_interval]))`, n), LegendFormat: "{{pod}}"},
			target{Expr: fmt.Sprintf(`min by (resource) (kube_resourcequota{%s,type="hard",resource=~"limits.cpu|requests.cpu|cpu"})`, n), LegendFormat: "quota {{resource}}"}),
		timeseries("Memory working set", "bytes",
			target{Expr: fmt.Sprintf(`sum by (pod) (container_memory_working_set_bytes{%s,container!="",image!=""})`, n), LegendFormat: "{{pod}}"},
			target{Expr: fmt.Sprintf(`min by (resource) (kube_resourcequota{%s,type="hard",resource=~"limits.memory|requests.memory|memory"})`, n), LegendFormat: "quota {{resource}}"}),
		timeseries("Network receive", "Bps",
			target{Expr: fmt.Sprintf(`sum by (pod) (rate(container_network_receive_bytes_total{%s}[$__rate_interval]))`, n), LegendFormat: "{{pod}}"}),
		timeseries("Network transmit", "Bps",
			target{Expr: fmt.Sprintf(`sum by (pod) (rate(container_network_transmit_bytes_total{%s}[$__rate_interval]))`, n), LegendFormat: "{{pod}}"}),
		timeseries("Container restarts (last hour)", "short",
			target{Expr: fmt.Sprintf(`sum by (pod, container) (increase(kube_pod_container_status_restarts_total{%s}[1h]))`, n), LegendFormat: "{{pod}}/{{container}}"}),
		{
			Type:  "bargauge",
			Title: "Quota usage",
			FieldConfig: fieldConfig{Defaults: fieldDefaults{Unit: "percentunit", Min: &zero, Max: &one,
				Thresholds: &thresholds{Mode: "absolute", Steps: []step{{Color: "green"}, {Color: "orange", Value: &warn}, {Color: "red", Value: &crit}}}}},
			Targets: []target{{Expr: fmt.Sprintf(`max by (resourcequota, resource) (kube_resourcequota{%s,type="used"})`+
				` / max by (resourcequota, resource) (kube_resourcequota{%s,type="hard"} > 0)`, n, n), LegendFormat: "{{resource}}"}},
		},
	}
	for i := range panels {
		p := &panels[i]
		p.ID = i + 1
		p.Datasource = promDatasource()
		p.GridPos = gridPos{H: 8, W: 12, X: 12 * (i % 2), Y: 8 * (i / 2)}
		if p.FieldConfig.Overrides == nil {
			p.FieldConfig.Overrides = []any{}
		}
		for j := range p.Targets {
			p.Targets[j].RefID = string(rune('A' + j))
			p.Targets[j].Datasource = promDatasource()
		}
	}
	return dashboard{
		UID:           DashboardUID(ns.Name),
		Title:         "naas / " + ns.Name,
		Description:   fmt.Sprintf("Resource usage of namespace %s (tenant %s), managed by naas.", ns.Name, ns.Tenant),
		Tags:          []string{"naas", "tenant:" + ns.Tenant},
		SchemaVersion: 39,
		Refresh:       "1m",
		Time:          timeRange{From: "now-6h", To: "now"},
		Templating:    templating{List: []variable{{Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus"}}},
		Panels:        panels,
	}
}

// timeseries is a time series panel of the given unit.
func timeseries(title, unit string, targets ...target) panel {
	return panel{Type: "timeseries", Title: title, FieldConfig: fieldConfig{Defaults: fieldDefaults{Unit: unit}}, Targets: targets}
}
