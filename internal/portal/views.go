package portal

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/httpx"
)

// The views below turn what the API answers into what the pages show. They are pure, and table-tested.

// Step statuses of the provisioning progress.
const (
	stepDone     = "done"
	stepSkipped  = "skipped"
	stepFailed   = "failed"
	stepRunning  = "running"
	stepApproval = "approval"
	stepWaiting  = "waiting"
)

// Step is one provisioning step as the progress list shows it.
type Step struct {
	Type       string `json:"type"`
	Label      string `json:"label"`
	Status     string `json:"status"`
	StatusText string `json:"statusText"`
	Message    string `json:"message,omitempty"`
}

// Progress is a namespace's provisioning progress: the progress page's initial state and each event of its
// stream.
type Progress struct {
	Name    string `json:"name"`
	Phase   string `json:"phase"`
	Ready   bool   `json:"ready"`
	Failed  bool   `json:"failed"`
	Done    bool   `json:"done"`
	Message string `json:"message"`
	Steps   []Step `json:"steps"`
	// URL is the namespace page, where the progress page goes when Done.
	URL string `json:"url"`
}

// stepLabels name the condition types of a claim for people, in the order the controller works through them.
var stepLabels = []struct{ typ, label string }{
	{naasv1alpha1.ConditionValid, "Request checked"},
	{naasv1alpha1.ConditionApproved, "Approval"},
	{naasv1alpha1.ConditionNamespace, "Namespace created"},
	{naasv1alpha1.ConditionQuota, "Resource quota"},
	{naasv1alpha1.ConditionLimitRange, "Container defaults (limit range)"},
	{naasv1alpha1.ConditionRBAC, "Access for the tenant (RBAC)"},
	{naasv1alpha1.ConditionNetworkPolicies, "Network policies"},
	{naasv1alpha1.ConditionManifests, "Template objects"},
	{naasv1alpha1.ConditionMonitoring, "Monitoring"},
}

// optionalStepLabels name steps the controller reports after the ones above, in its own order.
var optionalStepLabels = map[string]string{
	"GatewayReady": "Gateway and host names",
	"TLSReady":     "TLS certificates",
	"MeshReady":    "Service mesh",
}

// expectedSteps are shown as waiting before the controller reports them; the others appear when reported.
var expectedSteps = map[string]bool{
	naasv1alpha1.ConditionValid:           true,
	naasv1alpha1.ConditionNamespace:       true,
	naasv1alpha1.ConditionQuota:           true,
	naasv1alpha1.ConditionLimitRange:      true,
	naasv1alpha1.ConditionRBAC:            true,
	naasv1alpha1.ConditionNetworkPolicies: true,
}

// progressOf lists the steps of ns in order, with Ready last. requiresApproval adds the approval step before
// the controller reports it.
func progressOf(ns restv1.Namespace, requiresApproval bool) Progress {
	p := Progress{
		Name:  ns.Name,
		Phase: ns.Phase,
		Ready: ns.Ready,
		URL:   "/namespaces/" + url.PathEscape(ns.Name),
	}
	p.Failed = ns.Phase == naasv1alpha1.PhaseFailed
	p.Done = p.Ready || p.Failed
	conds := map[string]restv1.Condition{}
	for _, c := range ns.Conditions {
		conds[c.Type] = c
	}
	known := map[string]bool{naasv1alpha1.ConditionReady: true}
	add := func(typ, label string) {
		c, ok := conds[typ]
		if !ok {
			p.Steps = append(p.Steps, Step{Type: typ, Label: label, Status: stepWaiting, StatusText: "Waiting"})
			return
		}
		st := stepStatus(c, p.Failed)
		p.Steps = append(p.Steps, Step{Type: typ, Label: label, Status: st, StatusText: statusText(st), Message: c.Message})
	}
	for _, s := range stepLabels {
		known[s.typ] = true
		_, reported := conds[s.typ]
		if reported || expectedSteps[s.typ] || (s.typ == naasv1alpha1.ConditionApproved && requiresApproval) {
			add(s.typ, s.label)
		}
	}
	// Steps this portal does not know by name yet, in the order the controller reported them.
	for _, c := range ns.Conditions {
		if !known[c.Type] {
			label, ok := optionalStepLabels[c.Type]
			if !ok {
				label = strings.TrimSuffix(c.Type, "Ready")
			}
			add(c.Type, label)
		}
	}
	ready, ok := conds[naasv1alpha1.ConditionReady]
	switch {
	case ok:
		st := stepStatus(ready, p.Failed)
		p.Steps = append(p.Steps, Step{Type: ready.Type, Label: "Ready", Status: st, StatusText: statusText(st), Message: ready.Message})
		p.Message = ready.Message
	default:
		p.Steps = append(p.Steps, Step{Type: naasv1alpha1.ConditionReady, Label: "Ready", Status: stepWaiting, StatusText: "Waiting"})
		p.Message = "naas has not started on this namespace yet"
	}
	if ns.Phase == naasv1alpha1.PhaseTerminating {
		p.Message = "the namespace is being deleted"
	}
	return p
}

func stepStatus(c restv1.Condition, failed bool) string {
	switch {
	case c.Status == string(metav1.ConditionTrue):
		return stepDone
	case c.Reason == naasv1alpha1.ReasonNotApplicable:
		return stepSkipped
	case c.Reason == naasv1alpha1.ReasonPendingApproval:
		return stepApproval
	case failed && c.Reason != naasv1alpha1.ReasonProgressing && c.Reason != naasv1alpha1.ReasonWaiting:
		return stepFailed
	default:
		return stepRunning
	}
}

func statusText(status string) string {
	switch status {
	case stepDone:
		return "Done"
	case stepSkipped:
		return "Not available on this cluster"
	case stepFailed:
		return "Failed"
	case stepApproval:
		return "Waiting for approval"
	case stepRunning:
		return "In progress"
	default:
		return "Waiting"
	}
}

// UsageRow is one resource of a quota, as a bar.
type UsageRow struct {
	Resource string
	Label    string
	Used     string
	Hard     string
	// Percent of the hard limit used, 0 to 100 (capped).
	Percent int
	// Level is "ok", "high" (80% or more), "full" (100% or more, or any use of a zero limit) or "none" (the
	// tier allows none of it, and none is used).
	Level string
}

// resourceLabels name quota resources for people.
var resourceLabels = map[string]string{
	"limits.cpu":                 "CPU (limits)",
	"requests.cpu":               "CPU (requests)",
	"limits.memory":              "Memory (limits)",
	"requests.memory":            "Memory (requests)",
	"requests.storage":           "Storage",
	"requests.ephemeral-storage": "Ephemeral storage",
	"requests.nvidia.com/gpu":    "GPUs",
	"persistentvolumeclaims":     "Volume claims",
	"pods":                       "Pods",
	"services":                   "Services",
	"services.loadbalancers":     "Load balancers",
	"services.nodeports":         "Node ports",
	"secrets":                    "Secrets",
	"configmaps":                 "Config maps",
	"replicationcontrollers":     "Replication controllers",
	"resourcequotas":             "Resource quotas",
}

// summaryResources are the resources the namespace list shows, where the quota has them.
var summaryResources = []string{"limits.cpu", "limits.memory", "pods"}

// hiddenResources are left out of usage: the quota's own count of ResourceQuotas is always full, by design.
var hiddenResources = map[string]bool{"resourcequotas": true}

// usageRows turns quota usage into bars: only the resources in only when only is not empty (in that order),
// otherwise every resource, most used first, then by name, with those the tier allows none of last.
func usageRows(u restv1.Usage, only []string) []UsageRow {
	var names []string
	if len(only) > 0 {
		for _, n := range only {
			if _, ok := u[n]; ok {
				names = append(names, n)
			}
		}
	} else {
		for n := range u {
			if !hiddenResources[n] {
				names = append(names, n)
			}
		}
	}
	rows := make([]UsageRow, 0, len(names))
	for _, n := range names {
		rows = append(rows, usageRow(n, u[n]))
	}
	if len(only) == 0 {
		sort.SliceStable(rows, func(i, j int) bool {
			if ni, nj := rows[i].Level == "none", rows[j].Level == "none"; ni != nj {
				return nj
			}
			if rows[i].Percent != rows[j].Percent {
				return rows[i].Percent > rows[j].Percent
			}
			return rows[i].Resource < rows[j].Resource
		})
	}
	return rows
}

func usageRow(name string, r restv1.ResourceUsage) UsageRow {
	row := UsageRow{Resource: name, Label: name, Used: r.Used, Hard: r.Hard, Level: "ok"}
	if l, ok := resourceLabels[name]; ok {
		row.Label = l
	}
	used, errU := resource.ParseQuantity(r.Used)
	hard, errH := resource.ParseQuantity(r.Hard)
	if errU != nil || errH != nil {
		return row
	}
	switch {
	case hard.Sign() <= 0:
		row.Level = "none"
		if used.Sign() > 0 {
			row.Percent, row.Level = 100, "full"
		}
	default:
		// Milli-units keep fractions of a CPU; the float is exact enough for a bar.
		pct := float64(used.MilliValue()) / float64(hard.MilliValue()) * 100
		row.Percent = min(100, int(pct+0.5))
		switch {
		case pct >= 100:
			row.Level = "full"
		case pct >= 80:
			row.Level = "high"
		}
	}
	return row
}

// PolicySummary says in words what one NetworkPolicy does.
type PolicySummary struct {
	Name  string
	Lines []string
}

// summarizePolicies describes network policies in words, by name.
func summarizePolicies(policies []networkingv1.NetworkPolicy) []PolicySummary {
	sorted := slices.Clone(policies)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	out := make([]PolicySummary, 0, len(sorted))
	for _, p := range sorted {
		out = append(out, PolicySummary{Name: p.Name, Lines: describePolicy(p.Spec)})
	}
	return out
}

func describePolicy(spec networkingv1.NetworkPolicySpec) []string {
	pods := describeSelector(spec.PodSelector, "all pods", "pods labelled ")
	types := spec.PolicyTypes
	if len(types) == 0 {
		// As the API server defaults it: Ingress always, Egress when there are egress rules.
		types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(spec.Egress) > 0 {
			types = append(types, networkingv1.PolicyTypeEgress)
		}
	}
	var lines []string
	if slices.Contains(types, networkingv1.PolicyTypeIngress) {
		if len(spec.Ingress) == 0 {
			lines = append(lines, fmt.Sprintf("Denies all incoming traffic to %s unless another policy allows it", pods))
		}
		for _, rule := range spec.Ingress {
			lines = append(lines, fmt.Sprintf("Allows incoming traffic to %s from %s%s", pods, describePeers(rule.From), describePorts(rule.Ports)))
		}
	}
	if slices.Contains(types, networkingv1.PolicyTypeEgress) {
		if len(spec.Egress) == 0 {
			lines = append(lines, fmt.Sprintf("Denies all outgoing traffic from %s unless another policy allows it", pods))
		}
		for _, rule := range spec.Egress {
			lines = append(lines, fmt.Sprintf("Allows outgoing traffic from %s to %s%s", pods, describePeers(rule.To), describePorts(rule.Ports)))
		}
	}
	return lines
}

func describeSelector(s metav1.LabelSelector, empty, prefix string) string {
	if len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
		return empty
	}
	var parts []string
	for _, k := range sortedKeys(s.MatchLabels) {
		parts = append(parts, k+"="+s.MatchLabels[k])
	}
	for _, e := range s.MatchExpressions {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", e.Key, strings.ToLower(string(e.Operator)), strings.Join(e.Values, ", ")))
	}
	return prefix + strings.Join(parts, ", ")
}

func describePeers(peers []networkingv1.NetworkPolicyPeer) string {
	if len(peers) == 0 {
		return "anywhere"
	}
	var parts []string
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
			s := p.IPBlock.CIDR
			if len(p.IPBlock.Except) > 0 {
				s += " except " + strings.Join(p.IPBlock.Except, ", ")
			}
			parts = append(parts, s)
		case p.NamespaceSelector != nil && p.PodSelector != nil:
			parts = append(parts, describeSelector(*p.PodSelector, "all pods", "pods labelled ")+" in "+
				describeSelector(*p.NamespaceSelector, "all namespaces", "namespaces labelled "))
		case p.NamespaceSelector != nil:
			parts = append(parts, describeSelector(*p.NamespaceSelector, "all namespaces", "namespaces labelled "))
		case p.PodSelector != nil:
			parts = append(parts, describeSelector(*p.PodSelector, "all pods", "pods labelled ")+" of this namespace")
		}
	}
	return strings.Join(parts, "; ")
}

func describePorts(ports []networkingv1.NetworkPolicyPort) string {
	if len(ports) == 0 {
		return ", any port"
	}
	var parts []string
	for _, p := range ports {
		proto := string(corev1.ProtocolTCP)
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		switch {
		case p.Port == nil:
			parts = append(parts, proto+" any port")
		case p.EndPort != nil:
			parts = append(parts, fmt.Sprintf("%s %s-%d", proto, p.Port.String(), *p.EndPort))
		default:
			parts = append(parts, proto+" "+p.Port.String())
		}
	}
	return ", on " + strings.Join(parts, ", ")
}

// Endpoint is a host name a namespace serves, and what declares it.
type Endpoint struct {
	Host   string
	Source string
	// URL links to the host, when it is a plain host name.
	URL string
}

// endpointsOf lists the host names of a namespace's Ingresses, Gateways (listener hostnames) and HTTPRoutes,
// without duplicates, by host.
func endpointsOf(ingresses []networkingv1.Ingress, gateways, routes []unstructured.Unstructured) []Endpoint {
	seen := map[string]bool{}
	var out []Endpoint
	add := func(host, source string, tls bool) {
		if host == "" || seen[host+source] {
			return
		}
		seen[host+source] = true
		e := Endpoint{Host: host, Source: source}
		if !strings.Contains(host, "*") {
			scheme := "http"
			if tls {
				scheme = "https"
			}
			e.URL = scheme + "://" + host + "/"
		}
		out = append(out, e)
	}
	for _, ing := range ingresses {
		tlsHosts := map[string]bool{}
		for _, t := range ing.Spec.TLS {
			for _, h := range t.Hosts {
				tlsHosts[h] = true
			}
		}
		for _, rule := range ing.Spec.Rules {
			add(rule.Host, "Ingress "+ing.Name, tlsHosts[rule.Host])
		}
	}
	for _, gw := range gateways {
		listeners, _, _ := unstructured.NestedSlice(gw.Object, "spec", "listeners")
		for _, l := range listeners {
			m, ok := l.(map[string]any)
			if !ok {
				continue
			}
			host, _ := m["hostname"].(string)
			proto, _ := m["protocol"].(string)
			add(host, "Gateway "+gw.GetName(), proto == "HTTPS" || proto == "TLS")
		}
	}
	for _, rt := range routes {
		hosts, _, _ := unstructured.NestedStringSlice(rt.Object, "spec", "hostnames")
		for _, h := range hosts {
			add(h, "HTTPRoute "+rt.GetName(), true)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

// formErrors sorts the field errors of an API problem into the form's fields (by the API's field name, which
// the forms use as input names) and the errors no field of the form shows.
func formErrors(errs []httpx.FieldError, fields []string) (map[string]string, []string) {
	byField := map[string]string{}
	var general []string
	for _, e := range errs {
		msg := e.Message
		if !slices.Contains(fields, e.Field) {
			general = append(general, e.Field+": "+msg)
			continue
		}
		if prev, ok := byField[e.Field]; ok {
			msg = prev + "; " + msg
		}
		byField[e.Field] = msg
	}
	return byField, general
}

// safeNext returns next if it is a path of this portal to go to after signing in, and "/" otherwise: never
// another site ("//evil.example", "https://...", "/\\evil.example").
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(next, "\r\n\t") {
		return "/"
	}
	return next
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
