package monitoring

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// testRule is a PrometheusRule rule as the prometheus-operator schema spells it, declared here rather than
// shared with the builder so a wrong json tag in the builder fails the test.
type testRule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// rulesOf decodes the single rule group of a built PrometheusRule, rejecting fields the schema doesn't have.
func rulesOf(t *testing.T, obj *unstructured.Unstructured) []testRule {
	t.Helper()
	body, err := json.Marshal(obj.Object["spec"])
	if err != nil {
		t.Fatalf("encode spec: %v", err)
	}
	var spec struct {
		Groups []struct {
			Name  string     `json:"name"`
			Rules []testRule `json:"rules"`
		} `json:"groups"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		t.Fatalf("decode spec: %v\n%s", err, body)
	}
	if len(spec.Groups) != 1 || spec.Groups[0].Name != PrometheusRuleName {
		t.Fatalf("want one group named %s, got %s", PrometheusRuleName, body)
	}
	return spec.Groups[0].Rules
}

func TestPrometheusRule_AlertsOfSampleNamespace(t *testing.T) {
	obj, err := PrometheusRule(sampleNamespace())
	if err != nil {
		t.Fatalf("PrometheusRule: %v", err)
	}
	labels := func(severity string) map[string]string {
		return map[string]string{"tenant": "acme", "namespace": "shop", "severity": severity}
	}
	annotations := func(summary, description string) map[string]string {
		return map[string]string{
			"summary":     summary,
			"description": description,
			"runbook_url": "https://naas.example.com/catalog/web-app#runbook",
		}
	}
	want := []testRule{
		{
			Alert: "NamespaceCPUQuotaHigh",
			Expr: `sum by (namespace) (rate(container_cpu_usage_seconds_total{namespace="shop",container!="",image!=""}[5m]))` +
				` / min by (namespace) (kube_resourcequota{namespace="shop",type="hard",resource="limits.cpu"}) > 0.8`,
			For:    "5m",
			Labels: labels("warning"),
			Annotations: annotations("Namespace shop is using more than 80% of its CPU quota",
				"CPU usage in namespace shop has been at {{ $value | humanizePercentage }} of the ResourceQuota's limits.cpu "+
					"for 5 minutes. Containers at their CPU limits are throttled: reduce the load, scale down, or move the "+
					"namespace to a larger tier."),
		},
		{
			Alert: "NamespaceMemoryQuotaHigh",
			Expr: `sum by (namespace) (container_memory_working_set_bytes{namespace="shop",container!="",image!=""})` +
				` / min by (namespace) (kube_resourcequota{namespace="shop",type="hard",resource="limits.memory"}) > 0.9`,
			For:    "2m",
			Labels: labels("critical"),
			Annotations: annotations("Namespace shop is using more than 90% of its memory quota",
				"The memory working set of namespace shop has been at {{ $value | humanizePercentage }} of the "+
					"ResourceQuota's limits.memory for 2 minutes. Containers reaching their memory limits are OOM-killed: "+
					"fix leaks, lower the load, or move the namespace to a larger tier."),
		},
		{
			Alert: "NamespacePodCrashLooping",
			Expr: `max by (namespace, pod, container) (max_over_time(kube_pod_container_status_waiting_reason{namespace="shop",reason="CrashLoopBackOff"}[5m])) >= 1` +
				` or max by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{namespace="shop"}[10m])) > 3`,
			For:    "5m",
			Labels: labels("warning"),
			Annotations: annotations("Container {{ $labels.container }} of pod {{ $labels.pod }} is crash-looping",
				"Container {{ $labels.container }} of pod {{ $labels.pod }} in namespace shop is in CrashLoopBackOff or "+
					"has restarted more than 3 times in 10 minutes. See why with: kubectl logs -n shop {{ $labels.pod }} "+
					"-c {{ $labels.container }} --previous"),
		},
		{
			Alert: "NamespaceQuotaNearlyExhausted",
			Expr: `max by (namespace, resourcequota, resource) (kube_resourcequota{namespace="shop",type="used"})` +
				` / max by (namespace, resourcequota, resource) (kube_resourcequota{namespace="shop",type="hard"} > 0) > 0.9`,
			For:    "15m",
			Labels: labels("warning"),
			Annotations: annotations("ResourceQuota {{ $labels.resourcequota }} is nearly exhausted for {{ $labels.resource }}",
				"Namespace shop uses {{ $value | humanizePercentage }} of its {{ $labels.resource }} quota (ResourceQuota "+
					"{{ $labels.resourcequota }}). Once it is full, new pods and objects are rejected: free resources or "+
					"move the namespace to a larger tier."),
		},
		{
			Alert: "NamespacePVCNearlyFull",
			Expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes{namespace="shop"})` +
				` / max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{namespace="shop"}) < 0.1`,
			For:    "5m",
			Labels: labels("warning"),
			Annotations: annotations("PersistentVolumeClaim {{ $labels.persistentvolumeclaim }} is nearly full",
				"Only {{ $value | humanizePercentage }} of the volume of PersistentVolumeClaim "+
					"{{ $labels.persistentvolumeclaim }} in namespace shop is free. Delete data or expand the claim "+
					"before writes start failing."),
		},
	}
	if diff := cmp.Diff(want, rulesOf(t, obj)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
}

func TestPrometheusRule_EveryExpressionIsScopedToTheNamespace(t *testing.T) {
	obj, err := PrometheusRule(sampleNamespace())
	if err != nil {
		t.Fatalf("PrometheusRule: %v", err)
	}
	for _, r := range rulesOf(t, obj) {
		// Every selector (each {...}) must carry the namespace matcher.
		for _, sel := range strings.Split(r.Expr, "{")[1:] {
			end := strings.Index(sel, "}")
			if end < 0 {
				t.Fatalf("%s: unbalanced selector in %q", r.Alert, r.Expr)
			}
			sel = sel[:end]
			if !strings.Contains(sel, `namespace="shop"`) {
				t.Errorf("%s: selector {%s} is not scoped to namespace shop", r.Alert, sel)
			}
		}
	}
}

func TestPrometheusRule_Metadata(t *testing.T) {
	ns := sampleNamespace()
	ns.Labels = map[string]string{"release": "kube-prometheus-stack", "naas.dev/tenant": "spoofed"}
	obj, err := PrometheusRule(ns)
	if err != nil {
		t.Fatalf("PrometheusRule: %v", err)
	}
	got := map[string]any{
		"apiVersion": obj.GetAPIVersion(), "kind": obj.GetKind(),
		"name": obj.GetName(), "namespace": obj.GetNamespace(), "labels": obj.GetLabels(),
	}
	want := map[string]any{
		"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
		"name": "naas-namespace-alerts", "namespace": "shop",
		"labels": map[string]string{
			"app.kubernetes.io/managed-by": "naas",
			"naas.dev/claim":               "shop",
			"naas.dev/tenant":              "acme",
			"release":                      "kube-prometheus-stack",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
}

func TestPrometheusRule_QuotaResourceComparedWith(t *testing.T) {
	q := resource.MustParse("1")
	tests := []struct {
		name       string
		quota      corev1.ResourceList
		wantCPU    string // resource in the CPU alert's expression; empty when the alert is left out
		wantMemory string
	}{
		{name: "limits", quota: corev1.ResourceList{"limits.cpu": q, "limits.memory": q}, wantCPU: "limits.cpu", wantMemory: "limits.memory"},
		{name: "limits win over requests", quota: corev1.ResourceList{"requests.cpu": q, "limits.cpu": q, "requests.memory": q, "limits.memory": q},
			wantCPU: "limits.cpu", wantMemory: "limits.memory"},
		{name: "requests only", quota: corev1.ResourceList{"requests.cpu": q, "requests.memory": q}, wantCPU: "requests.cpu", wantMemory: "requests.memory"},
		{name: "bare cpu and memory", quota: corev1.ResourceList{"cpu": q, "memory": q}, wantCPU: "cpu", wantMemory: "memory"},
		{name: "requests.cpu wins over cpu", quota: corev1.ResourceList{"cpu": q, "requests.cpu": q}, wantCPU: "requests.cpu"},
		{name: "memory only", quota: corev1.ResourceList{"limits.memory": q, "pods": q}, wantMemory: "limits.memory"},
		{name: "no compute quota", quota: corev1.ResourceList{"pods": q}},
		{name: "no quota"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := sampleNamespace()
			ns.Quota = tt.quota
			obj, err := PrometheusRule(ns)
			if err != nil {
				t.Fatalf("PrometheusRule: %v", err)
			}
			got := map[string]string{}
			for _, r := range rulesOf(t, obj) {
				got[r.Alert] = r.Expr
			}
			check := func(alert, res string) {
				expr, ok := got[alert]
				switch {
				case res == "" && ok:
					t.Errorf("%s: want no alert without a quota to compare with, got %s", alert, expr)
				case res != "" && !ok:
					t.Errorf("%s: missing", alert)
				case res != "" && !strings.Contains(expr, `type="hard",resource="`+res+`"`):
					t.Errorf("%s: want usage compared with %s, got %s", alert, res, expr)
				}
			}
			check(AlertCPUQuotaHigh, tt.wantCPU)
			check(AlertMemoryQuotaHigh, tt.wantMemory)
			for _, always := range []string{AlertPodCrashLooping, AlertQuotaNearlyExhausted, AlertPVCNearlyFull} {
				if _, ok := got[always]; !ok {
					t.Errorf("%s: missing", always)
				}
			}
		})
	}
}

func TestPrometheusRule_RunbookURL(t *testing.T) {
	tests := []struct {
		portal, template, want string
	}{
		{"https://naas.example.com", "web-app", "https://naas.example.com/catalog/web-app#runbook"},
		{"https://naas.example.com/", "web-app", "https://naas.example.com/catalog/web-app#runbook"},
		{"https://example.com/naas", "data store", "https://example.com/naas/catalog/data%20store#runbook"},
	}
	for _, tt := range tests {
		ns := sampleNamespace()
		ns.PortalURL, ns.Template = tt.portal, tt.template
		obj, err := PrometheusRule(ns)
		if err != nil {
			t.Fatalf("PrometheusRule: %v", err)
		}
		for _, r := range rulesOf(t, obj) {
			if got := r.Annotations["runbook_url"]; got != tt.want {
				t.Errorf("portal %q template %q, %s: runbook_url = %q, want %q", tt.portal, tt.template, r.Alert, got, tt.want)
			}
		}
	}
}

func TestPrometheusRule_RejectsIncompleteInput(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Namespace)
		wantErr string
	}{
		{name: "no namespace", mutate: func(ns *Namespace) { ns.Name = "" }, wantErr: "namespace name"},
		{name: "namespace not a DNS label", mutate: func(ns *Namespace) { ns.Name = `shop"} or vector(1) #` }, wantErr: "namespace name"},
		{name: "no tenant", mutate: func(ns *Namespace) { ns.Tenant = "" }, wantErr: "tenant is required"},
		{name: "no template", mutate: func(ns *Namespace) { ns.Template = "" }, wantErr: "runbook links"},
		{name: "no portal", mutate: func(ns *Namespace) { ns.PortalURL = "" }, wantErr: "runbook links"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := sampleNamespace()
			tt.mutate(&ns)
			obj, err := PrometheusRule(ns)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("want error containing %q, got %v", tt.wantErr, err)
			}
			if obj != nil {
				t.Errorf("want no object on error, got %v", obj)
			}
		})
	}
}
