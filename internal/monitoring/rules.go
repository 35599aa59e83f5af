package monitoring

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// PrometheusRuleName is the name of the PrometheusRule holding a namespace's alerts.
const PrometheusRuleName = "naas-namespace-alerts"

// The prometheus-operator kind the namespace's alerts are written as.
const (
	PrometheusRuleAPIVersion = "monitoring.coreos.com/v1"
	PrometheusRuleKind       = "PrometheusRule"
)

// Names of the alerts every monitored namespace gets.
const (
	// AlertCPUQuotaHigh fires when the namespace's CPU usage is above 80% of its CPU quota for 5 minutes.
	AlertCPUQuotaHigh = "NamespaceCPUQuotaHigh"
	// AlertMemoryQuotaHigh fires when the namespace's memory working set is above 90% of its memory quota for
	// 2 minutes.
	AlertMemoryQuotaHigh = "NamespaceMemoryQuotaHigh"
	// AlertPodCrashLooping fires when a container is in CrashLoopBackOff or restarts more than 3 times in 10
	// minutes, for 5 minutes.
	AlertPodCrashLooping = "NamespacePodCrashLooping"
	// AlertQuotaNearlyExhausted fires when any resource of any ResourceQuota of the namespace is more than 90%
	// used for 15 minutes.
	AlertQuotaNearlyExhausted = "NamespaceQuotaNearlyExhausted"
	// AlertPVCNearlyFull fires when a PersistentVolumeClaim has less than 10% of its capacity free for 5 minutes.
	AlertPVCNearlyFull = "NamespacePVCNearlyFull"
)

// Severities of the alerts, the value of their severity label.
const (
	// SeverityWarning needs attention during working hours.
	SeverityWarning = "warning"
	// SeverityCritical needs attention now: workloads are failing or about to.
	SeverityCritical = "critical"
)

// Alert label names set on every alert, so routing and silences can select by tenant and namespace.
const (
	LabelTenant    = "tenant"
	LabelNamespace = "namespace"
	LabelSeverity  = "severity"
)

// ruleSpec, ruleGroup and rule mirror the parts of the prometheus-operator PrometheusRule spec naas writes.
type ruleSpec struct {
	Groups []ruleGroup `json:"groups"`
}

type ruleGroup struct {
	Name  string `json:"name"`
	Rules []rule `json:"rules"`
}

type rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// PrometheusRule builds the PrometheusRule with the namespace's alerts. The CPU and memory alerts are left out
// when ns.Quota caps neither the limits nor the requests of that resource, since there is nothing to compare
// usage with. It fails when the namespace name, tenant, template or portal URL is missing or invalid.
func PrometheusRule(ns Namespace) (*unstructured.Unstructured, error) {
	if err := ns.validate(); err != nil {
		return nil, fmt.Errorf("build alert rules: %w", err)
	}
	if ns.Template == "" || ns.PortalURL == "" {
		return nil, fmt.Errorf("build alert rules for namespace %s: template and portal URL are required for the alerts' runbook links", ns.Name)
	}
	spec := ruleSpec{Groups: []ruleGroup{{Name: PrometheusRuleName, Rules: namespaceAlerts(ns)}}}
	return ns.newObject(PrometheusRuleAPIVersion, PrometheusRuleKind, PrometheusRuleName, &spec)
}

// namespaceAlerts are the alerting rules of one namespace, each scoped to it by a namespace matcher on every
// selector.
func namespaceAlerts(ns Namespace) []rule {
	n := fmt.Sprintf("namespace=%q", ns.Name)
	var rules []rule

	if res, ok := quotaResource(ns.Quota, "limits.cpu", "requests.cpu", corev1.ResourceCPU); ok {
		rules = append(rules, ns.alert(AlertCPUQuotaHigh, "5m", SeverityWarning,
			fmt.Sprintf(`sum by (namespace) (rate(container_cpu_usage_seconds_total{%s,container!="",image!=""}[5m]))`+
				` / min by (namespace) (kube_resourcequota{%s,type="hard",resource=%q}) > 0.8`, n, n, res),
			fmt.Sprintf("Namespace %s is using more than 80%% of its CPU quota", ns.Name),
			fmt.Sprintf("CPU usage in namespace %s has been at {{ $value | humanizePercentage }} of the ResourceQuota's %s "+
				"for 5 minutes. Containers at their CPU limits are throttled: reduce the load, scale down, or move the "+
				"namespace to a larger tier.", ns.Name, res)))
	}
	if res, ok := quotaResource(ns.Quota, "limits.memory", "requests.memory", corev1.ResourceMemory); ok {
		rules = append(rules, ns.alert(AlertMemoryQuotaHigh, "2m", SeverityCritical,
			fmt.Sprintf(`sum by (namespace) (container_memory_working_set_bytes{%s,container!="",image!=""})`+
				` / min by (namespace) (kube_resourcequota{%s,type="hard",resource=%q}) > 0.9`, n, n, res),
			fmt.Sprintf("Namespace %s is using more than 90%% of its memory quota", ns.Name),
			fmt.Sprintf("The memory working set of namespace %s has been at {{ $value | humanizePercentage }} of the "+
				"ResourceQuota's %s for 2 minutes. Containers reaching their memory limits are OOM-killed: fix leaks, "+
				"lower the load, or move the namespace to a larger tier.", ns.Name, res)))
	}
	// Either signal alone misses cases: a container in a long back-off restarts rarely but stays in
	// CrashLoopBackOff, and one that restarts fast may never be seen waiting. Both sides are aggregated to the
	// same labels so "or" yields one alert per container.
	rules = append(rules, ns.alert(AlertPodCrashLooping, "5m", SeverityWarning,
		fmt.Sprintf(`max by (namespace, pod, container) (max_over_time(kube_pod_container_status_waiting_reason{%s,reason="CrashLoopBackOff"}[5m])) >= 1`+
			` or max by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{%s}[10m])) > 3`, n, n),
		"Container {{ $labels.container }} of pod {{ $labels.pod }} is crash-looping",
		fmt.Sprintf("Container {{ $labels.container }} of pod {{ $labels.pod }} in namespace %s is in CrashLoopBackOff "+
			"or has restarted more than 3 times in 10 minutes. See why with: kubectl logs -n %s {{ $labels.pod }} "+
			"-c {{ $labels.container }} --previous", ns.Name, ns.Name)))

	rules = append(rules, ns.alert(AlertQuotaNearlyExhausted, "15m", SeverityWarning,
		fmt.Sprintf(`max by (namespace, resourcequota, resource) (kube_resourcequota{%s,type="used"})`+
			` / max by (namespace, resourcequota, resource) (kube_resourcequota{%s,type="hard"} > 0) > 0.9`, n, n),
		"ResourceQuota {{ $labels.resourcequota }} is nearly exhausted for {{ $labels.resource }}",
		fmt.Sprintf("Namespace %s uses {{ $value | humanizePercentage }} of its {{ $labels.resource }} quota "+
			"(ResourceQuota {{ $labels.resourcequota }}). Once it is full, new pods and objects are rejected: free "+
			"resources or move the namespace to a larger tier.", ns.Name)))

	rules = append(rules, ns.alert(AlertPVCNearlyFull, "5m", SeverityWarning,
		fmt.Sprintf(`max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes{%s})`+
			` / max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{%s}) < 0.1`, n, n),
		"PersistentVolumeClaim {{ $labels.persistentvolumeclaim }} is nearly full",
		fmt.Sprintf("Only {{ $value | humanizePercentage }} of the volume of PersistentVolumeClaim "+
			"{{ $labels.persistentvolumeclaim }} in namespace %s is free. Delete data or expand the claim before "+
			"writes start failing.", ns.Name)))
	return rules
}

// alert is one alerting rule with the labels and annotations every naas alert carries.
func (ns Namespace) alert(name, forDuration, severity, expr, summary, description string) rule {
	return rule{
		Alert: name,
		Expr:  expr,
		For:   forDuration,
		Labels: map[string]string{
			LabelTenant:    ns.Tenant,
			LabelNamespace: ns.Name,
			LabelSeverity:  severity,
		},
		Annotations: map[string]string{
			"summary":     summary,
			"description": description,
			"runbook_url": ns.RunbookURL(),
		},
	}
}

// quotaResource returns the first of the candidates that the quota caps.
func quotaResource(quota corev1.ResourceList, candidates ...corev1.ResourceName) (corev1.ResourceName, bool) {
	for _, c := range candidates {
		if _, ok := quota[c]; ok {
			return c, true
		}
	}
	return "", false
}
