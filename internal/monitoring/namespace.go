package monitoring

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Namespace is what the builders need to know about one naas namespace.
type Namespace struct {
	// Name is the namespace's name, a DNS-1123 label.
	Name string
	// Tenant owns the namespace; every alert carries it as the tenant label.
	Tenant string
	// Template is the catalog template the namespace was made from; alerts link to its runbook.
	Template string
	// PortalURL is the base URL of the naas portal, e.g. https://naas.example.com. Alerts link to
	// <PortalURL>/catalog/<Template>#runbook.
	PortalURL string
	// Quota holds the hard limits of the namespace's ResourceQuota (the tier's quota). The CPU and memory
	// alerts compare usage with limits.cpu and limits.memory, or with the requests (requests.cpu, cpu,
	// requests.memory, memory) when the quota caps requests only; with neither, that alert is left out.
	Quota corev1.ResourceList
	// Labels are added to the metadata of every object built, typically the label the cluster's Prometheus
	// and Alertmanager select PrometheusRules and AlertmanagerConfigs by (e.g. release: kube-prometheus-stack).
	// naas's own labels win over these.
	Labels map[string]string
}

// RunbookURL is the link every alert of the namespace carries: the runbook section of the template's page in
// the portal catalog.
func (ns Namespace) RunbookURL() string {
	return strings.TrimSuffix(ns.PortalURL, "/") + "/catalog/" + url.PathEscape(ns.Template) + "#runbook"
}

// validate checks what every builder relies on. The namespace name is interpolated into PromQL string
// literals, so being a DNS-1123 label is also what keeps the expressions well-formed.
func (ns Namespace) validate() error {
	var errs []error
	if msgs := validation.IsDNS1123Label(ns.Name); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("namespace name %q is invalid: %s", ns.Name, strings.Join(msgs, "; ")))
	}
	if ns.Tenant == "" {
		errs = append(errs, errors.New("tenant is required: alerts and dashboards are labelled with it"))
	}
	return errors.Join(errs...)
}

// objectLabels are the metadata labels of every object built for the namespace.
func (ns Namespace) objectLabels() map[string]string {
	labels := make(map[string]string, len(ns.Labels)+3)
	maps.Copy(labels, ns.Labels)
	labels[naasv1alpha1.LabelManagedBy] = naasv1alpha1.ManagedByValue
	labels[naasv1alpha1.LabelClaim] = ns.Name
	labels[naasv1alpha1.LabelTenant] = ns.Tenant
	return labels
}

// newObject returns an object of the given kind and name in the namespace, with naas's labels and the spec
// converted from a typed Go value, so the field names come from one set of json tags.
func (ns Namespace) newObject(apiVersion, kind, name string, spec any) (*unstructured.Unstructured, error) {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(spec)
	if err != nil {
		return nil, fmt.Errorf("convert %s spec for namespace %s: %w", kind, ns.Name, err)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"spec": content}}
	obj.SetAPIVersion(apiVersion)
	obj.SetKind(kind)
	obj.SetName(name)
	obj.SetNamespace(ns.Name)
	obj.SetLabels(ns.objectLabels())
	return obj, nil
}
