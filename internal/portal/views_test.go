package portal

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/httpx"
)

func cond(typ, status, reason, msg string) restv1.Condition {
	return restv1.Condition{Type: typ, Status: status, Reason: reason, Message: msg}
}

// statuses is the step list as type=status pairs, which is what the tests compare.
func statuses(p Progress) []string {
	out := make([]string, 0, len(p.Steps))
	for _, s := range p.Steps {
		out = append(out, s.Type+"="+s.Status)
	}
	return out
}

func TestProgress_ListsStepsInOrderWithReadyLast(t *testing.T) {
	tests := []struct {
		name             string
		ns               restv1.Namespace
		requiresApproval bool
		want             []string
		wantDone         bool
		wantFailed       bool
	}{
		{
			name: "nothing reported yet: the usual steps wait",
			ns:   restv1.Namespace{Name: "a", Phase: "Pending"},
			want: []string{"Valid=waiting", "NamespaceReady=waiting", "QuotaReady=waiting", "LimitRangeReady=waiting",
				"RBACReady=waiting", "NetworkPoliciesReady=waiting", "Ready=waiting"},
		},
		{
			name: "half way, with an optional step reported and one not applicable",
			ns: restv1.Namespace{Name: "a", Phase: "Provisioning", Conditions: []restv1.Condition{
				cond("Ready", "False", "Progressing", "waiting for RBACReady"),
				cond("Valid", "True", "Reconciled", ""),
				cond("NamespaceReady", "True", "Reconciled", ""),
				cond("QuotaReady", "True", "Reconciled", ""),
				cond("LimitRangeReady", "True", "Reconciled", ""),
				cond("RBACReady", "False", "Waiting", "applying"),
				cond("MonitoringReady", "False", "NotApplicable", "no prometheus-operator"),
			}},
			want: []string{"Valid=done", "NamespaceReady=done", "QuotaReady=done", "LimitRangeReady=done",
				"RBACReady=running", "NetworkPoliciesReady=waiting", "MonitoringReady=skipped", "Ready=running"},
		},
		{
			name:             "waiting for approval: the approval step shows before it is reported",
			requiresApproval: true,
			ns:               restv1.Namespace{Name: "a", Phase: "Pending"},
			want: []string{"Valid=waiting", "Approved=waiting", "NamespaceReady=waiting", "QuotaReady=waiting",
				"LimitRangeReady=waiting", "RBACReady=waiting", "NetworkPoliciesReady=waiting", "Ready=waiting"},
		},
		{
			name:             "pending approval",
			requiresApproval: true,
			ns: restv1.Namespace{Name: "a", Phase: "Pending", Conditions: []restv1.Condition{
				cond("Valid", "True", "Reconciled", ""),
				cond("Approved", "False", "PendingApproval", "waiting for a tenant admin"),
				cond("Ready", "False", "PendingApproval", "waiting for a tenant admin"),
			}},
			want: []string{"Valid=done", "Approved=approval", "NamespaceReady=waiting", "QuotaReady=waiting",
				"LimitRangeReady=waiting", "RBACReady=waiting", "NetworkPoliciesReady=waiting", "Ready=approval"},
		},
		{
			name: "failed: the failing step and Ready are failed, and it is done",
			ns: restv1.Namespace{Name: "a", Phase: "Failed", Conditions: []restv1.Condition{
				cond("Valid", "False", "NamingRulesViolated", "must start with shop-"),
				cond("Ready", "False", "NamingRulesViolated", "must start with shop-"),
			}},
			want: []string{"Valid=failed", "NamespaceReady=waiting", "QuotaReady=waiting", "LimitRangeReady=waiting",
				"RBACReady=waiting", "NetworkPoliciesReady=waiting", "Ready=failed"},
			wantDone: true, wantFailed: true,
		},
		{
			name: "ready, with a step the portal does not know by name",
			ns: restv1.Namespace{Name: "a", Phase: "Ready", Ready: true, Conditions: []restv1.Condition{
				cond("Valid", "True", "Reconciled", ""),
				cond("NamespaceReady", "True", "Reconciled", ""),
				cond("QuotaReady", "True", "Reconciled", ""),
				cond("LimitRangeReady", "True", "Reconciled", ""),
				cond("RBACReady", "True", "Reconciled", ""),
				cond("NetworkPoliciesReady", "True", "Reconciled", ""),
				cond("GatewayReady", "True", "Reconciled", ""),
				cond("Ready", "True", "Reconciled", "namespace \"a\" is ready"),
			}},
			want: []string{"Valid=done", "NamespaceReady=done", "QuotaReady=done", "LimitRangeReady=done", "RBACReady=done",
				"NetworkPoliciesReady=done", "GatewayReady=done", "Ready=done"},
			wantDone: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := progressOf(tt.ns, tt.requiresApproval)
			if diff := cmp.Diff(tt.want, statuses(got)); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if got.Done != tt.wantDone || got.Failed != tt.wantFailed {
				t.Errorf("done, failed = %v, %v; want %v, %v", got.Done, got.Failed, tt.wantDone, tt.wantFailed)
			}
			if got.URL != "/namespaces/a" {
				t.Errorf("URL = %q, want the namespace page", got.URL)
			}
		})
	}
}

func TestProgress_StepsReportedLaterAreLabelled(t *testing.T) {
	p := progressOf(restv1.Namespace{Name: "a", Conditions: []restv1.Condition{
		cond("GatewayReady", "True", "Reconciled", ""), cond("QuotasSyncedReady", "True", "Reconciled", ""),
	}}, false)
	labels := map[string]string{}
	for _, s := range p.Steps {
		labels[s.Type] = s.Label
	}
	if labels["GatewayReady"] != "Gateway and host names" || labels["QuotasSyncedReady"] != "QuotasSynced" {
		t.Errorf("labels = %v; want a name for known later steps and the type without Ready for others", labels)
	}
}

func TestUsageRows_MostUsedFirstAndWhatTheTierForbidsLast(t *testing.T) {
	u := restv1.Usage{
		"limits.cpu":             {Hard: "2", Used: "500m"},
		"limits.memory":          {Hard: "4Gi", Used: "3600Mi"},
		"pods":                   {Hard: "50", Used: "50"},
		"services.loadbalancers": {Hard: "0", Used: "0"},
		"services.nodeports":     {Hard: "0", Used: "1"},
		"custom":                 {Hard: "not-a-quantity", Used: "1"},
		"resourcequotas":         {Hard: "1", Used: "1"},
	}
	got := usageRows(u, nil)
	want := []UsageRow{
		{Resource: "pods", Label: "Pods", Used: "50", Hard: "50", Percent: 100, Level: "full"},
		{Resource: "services.nodeports", Label: "Node ports", Used: "1", Hard: "0", Percent: 100, Level: "full"},
		{Resource: "limits.memory", Label: "Memory (limits)", Used: "3600Mi", Hard: "4Gi", Percent: 88, Level: "high"},
		{Resource: "limits.cpu", Label: "CPU (limits)", Used: "500m", Hard: "2", Percent: 25, Level: "ok"},
		{Resource: "custom", Label: "custom", Used: "1", Hard: "not-a-quantity", Percent: 0, Level: "ok"},
		{Resource: "services.loadbalancers", Label: "Load balancers", Used: "0", Hard: "0", Percent: 0, Level: "none"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	summary := usageRows(u, summaryResources)
	var names []string
	for _, r := range summary {
		names = append(names, r.Resource)
	}
	if diff := cmp.Diff([]string{"limits.cpu", "limits.memory", "pods"}, names); diff != "" {
		t.Errorf("summary rows keep the given order (-want +got):\n%s", diff)
	}
	if rows := usageRows(nil, summaryResources); len(rows) != 0 {
		t.Errorf("no usage gives no rows, got %v", rows)
	}
}

func TestSummarizePolicies_DescribesNaasPoliciesInWords(t *testing.T) {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	p443, p53 := intstr.FromInt32(443), intstr.FromInt32(53)
	ns := func(k, v string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
	}
	policies := []networkingv1.NetworkPolicy{
		{ObjectMeta: metav1.ObjectMeta{Name: "naas-https-egress"}, Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p443}},
			}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "naas-default-deny"}, Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "naas-dns"}, Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: ns("kubernetes.io/metadata.name", "kube-system")}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &p53}, {Protocol: &tcp, Port: &p53}},
			}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{PodSelector: ns("app", "lb"), NamespaceSelector: ns("team", "edge")}},
			}, {}},
		}},
	}
	want := []PolicySummary{
		{Name: "naas-default-deny", Lines: []string{
			"Denies all incoming traffic to all pods unless another policy allows it",
			"Denies all outgoing traffic from all pods unless another policy allows it",
		}},
		{Name: "naas-dns", Lines: []string{
			"Allows outgoing traffic from all pods to namespaces labelled kubernetes.io/metadata.name=kube-system, on UDP 53, TCP 53",
		}},
		{Name: "naas-https-egress", Lines: []string{
			"Allows outgoing traffic from all pods to 0.0.0.0/0 except 10.0.0.0/8, on TCP 443",
		}},
		{Name: "web", Lines: []string{
			"Allows incoming traffic to pods labelled app=web from pods labelled app=lb in namespaces labelled team=edge, any port",
			"Allows incoming traffic to pods labelled app=web from anywhere, any port",
		}},
	}
	if diff := cmp.Diff(want, summarizePolicies(policies)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestEndpointsOf_CollectsHostsOfIngressesGatewaysAndRoutes(t *testing.T) {
	ing := networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: networkingv1.IngressSpec{
			TLS:   []networkingv1.IngressTLS{{Hosts: []string{"shop.example.com"}}},
			Rules: []networkingv1.IngressRule{{Host: "shop.example.com"}, {Host: "plain.example.com"}, {}},
		},
	}
	gw := unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "gw"},
		"spec": map[string]any{"listeners": []any{
			map[string]any{"name": "https", "hostname": "*.shop.example.com", "protocol": "HTTPS"},
			map[string]any{"name": "no-host", "protocol": "HTTP"},
		}},
	}}
	route := unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "api"},
		"spec":     map[string]any{"hostnames": []any{"api.shop.example.com"}},
	}}
	got := endpointsOf([]networkingv1.Ingress{ing}, []unstructured.Unstructured{gw}, []unstructured.Unstructured{route})
	want := []Endpoint{
		{Host: "*.shop.example.com", Source: "Gateway gw"},
		{Host: "api.shop.example.com", Source: "HTTPRoute api", URL: "https://api.shop.example.com/"},
		{Host: "plain.example.com", Source: "Ingress web", URL: "http://plain.example.com/"},
		{Host: "shop.example.com", Source: "Ingress web", URL: "https://shop.example.com/"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoints (-want +got):\n%s", diff)
	}
	if got := endpointsOf(nil, nil, nil); len(got) != 0 {
		t.Errorf("no objects give no endpoints, got %v", got)
	}
}

func TestFormErrors_PutsEachAPIFieldErrorAtItsInput(t *testing.T) {
	errs := []httpx.FieldError{
		{Field: "name", Rule: "namingPrefix", Message: `tenant "shop" requires namespace names to start with "shop-"`},
		{Field: "parameters.owner_email", Rule: "pattern", Message: "must match the regular expression"},
		{Field: "name", Rule: "forbiddenPattern", Message: "matches a forbidden pattern"},
		{Field: "parameters.unknown", Rule: "unknownParameter", Message: "no such parameter"},
	}
	byField, general := formErrors(errs, []string{"name", "tenant", "parameters.owner_email"})
	wantByField := map[string]string{
		"name":                   `tenant "shop" requires namespace names to start with "shop-"; matches a forbidden pattern`,
		"parameters.owner_email": "must match the regular expression",
	}
	if diff := cmp.Diff(wantByField, byField); diff != "" {
		t.Errorf("by field (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"parameters.unknown: no such parameter"}, general); diff != "" {
		t.Errorf("general (-want +got):\n%s", diff)
	}
}

func TestSafeNext_OnlyPathsOfThisSite(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "/",
		"/catalog/standard#runbook":   "/catalog/standard#runbook",
		"/namespaces/a?x=1":           "/namespaces/a?x=1",
		"//evil.example/":             "/",
		"/\\evil.example":             "/",
		"https://evil.example/":       "/",
		"javascript:alert(1)":         "/",
		"catalog":                     "/",
		"/ok\r\nSet-Cookie: a=b":      "/",
		"/%2F%2Fevil.example":         "/%2F%2Fevil.example",
		"http:/evil.example":          "/",
		"/namespaces/" + "a/progress": "/namespaces/a/progress",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
