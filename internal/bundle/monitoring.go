package bundle

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/monitoring"
)

// The prometheus-operator kinds of the monitoring step. A cluster without the prometheus-operator CRDs does not
// serve them, and the step is then not applicable.
var (
	PrometheusRuleGVK     = schema.FromAPIVersionAndKind(monitoring.PrometheusRuleAPIVersion, monitoring.PrometheusRuleKind)
	AlertmanagerConfigGVK = schema.FromAPIVersionAndKind(monitoring.AlertmanagerConfigAPIVersion, monitoring.AlertmanagerConfigKind)
)

// AlertReceivers are the receivers of the claim's alerts: the claim's own when it sets spec.alerting (even to
// none), the tenant's otherwise.
func AlertReceivers(claim *naasv1alpha1.NamespaceClaim, tenant *naasv1alpha1.Tenant) []naasv1alpha1.AlertReceiver {
	switch {
	case claim != nil && claim.Spec.Alerting != nil:
		return claim.Spec.Alerting.Receivers
	case tenant != nil && tenant.Spec.Alerting != nil:
		return tenant.Spec.Alerting.Receivers
	default:
		return nil
	}
}

// DashboardURL is the address of the namespace's Grafana dashboard, or "" when no Grafana is configured.
func (c Config) DashboardURL(namespace string) string {
	if c.GrafanaURL == "" {
		return ""
	}
	return monitoring.DashboardURL(c.GrafanaURL, namespace)
}

// monitoring is the step of the namespace's alert rules, alert routing and dashboard. The routing exists only
// while there are receivers; with the template's monitoring off, the step is off and removes all three.
func (b *builder) monitoring() (Step, error) {
	step := Step{Name: naasv1alpha1.ConditionMonitoring, DependsOn: []string{naasv1alpha1.ConditionNamespace}}
	rules := ObjectRef{GVK: PrometheusRuleGVK, Namespace: b.namespace, Name: monitoring.PrometheusRuleName}
	routing := ObjectRef{GVK: AlertmanagerConfigGVK, Namespace: b.namespace, Name: monitoring.AlertmanagerConfigName}
	dashboard := ObjectRef{GVK: corev1.SchemeGroupVersion.WithKind("ConfigMap"), Namespace: b.namespace, Name: monitoring.DashboardConfigMapName}
	if !b.in.Template.Spec.Features.Monitoring {
		step.Off = true
		step.Remove = []ObjectRef{rules, routing, dashboard}
		return step, nil
	}
	if b.cfg.PortalURL == "" {
		return Step{}, errors.New("build the monitoring objects: the portal URL is not configured, and alerts link to " +
			"their runbook in the portal: start naas with --portal-url")
	}

	ns := monitoring.Namespace{
		Name:      b.namespace,
		Tenant:    b.tenant,
		Template:  b.in.Template.Name,
		PortalURL: b.cfg.PortalURL,
		Quota:     QuotaHard(b.in.Tier, b.in.Template),
		Labels:    b.cfg.MonitoringLabels,
	}
	rule, err := monitoring.PrometheusRule(ns)
	if err != nil {
		return Step{}, err
	}
	dash, err := monitoring.Dashboard(ns)
	if err != nil {
		return Step{}, err
	}
	amc, err := monitoring.AlertmanagerConfig(ns, toMonitoringReceivers(AlertReceivers(b.in.Claim, b.in.Tenant)))
	if err != nil {
		return Step{}, fmt.Errorf("alert receivers of claim %s: %w", b.namespace, err)
	}

	step.Requires = []schema.GroupVersionKind{PrometheusRuleGVK}
	step.Install = "the CustomResourceDefinitions of the prometheus-operator"
	step.Objects = []*unstructured.Unstructured{rule}
	if amc != nil {
		step.Requires = append(step.Requires, AlertmanagerConfigGVK)
		step.Objects = append(step.Objects, amc)
	} else {
		step.Remove = []ObjectRef{routing}
	}
	step.Objects = append(step.Objects, dash)
	return step, nil
}

// toMonitoringReceivers converts the API's receivers for the monitoring builders. Only the Secret reference
// is passed on, never a secret.
func toMonitoringReceivers(in []naasv1alpha1.AlertReceiver) []monitoring.Receiver {
	if len(in) == 0 {
		return nil
	}
	out := make([]monitoring.Receiver, 0, len(in))
	for _, r := range in {
		mr := monitoring.Receiver{Name: r.Name, Type: monitoring.ReceiverType(r.Type), To: r.To}
		if r.SecretRef != nil {
			mr.SecretRef = monitoring.SecretKeyRef{Name: r.SecretRef.Name, Key: r.SecretRef.Key}
		}
		out = append(out, mr)
	}
	return out
}

// Validate checks the monitoring and networking settings, so that a mistyped flag fails at start instead of in
// every alert or Gateway.
func (c Config) Validate() error {
	var errs []error
	for name, u := range map[string]string{"portal URL": c.PortalURL, "Grafana URL": c.GrafanaURL} {
		if u == "" {
			continue
		}
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q is not an absolute http or https URL, such as https://naas.example.com", name, u))
		}
	}
	keys := slices.Sorted(maps.Keys(c.MonitoringLabels))
	for _, k := range keys {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, fmt.Errorf("monitoring label key %q: %s", k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(c.MonitoringLabels[k]) {
			errs = append(errs, fmt.Errorf("monitoring label %s=%q: %s", k, c.MonitoringLabels[k], msg))
		}
	}
	errs = append(errs, c.validateNetworking()...)
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bundle configuration: %w", err)
	}
	return nil
}
