package setup

import (
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

func TestWebhookOptions_Resolve(t *testing.T) {
	tests := []struct {
		name      string
		opts      WebhookOptions
		listen    string // the address the listener got
		wantAddr  string
		wantURL   string // URL of the claims webhook, or "service ns/name" for a Service
		wantDNS   []string
		wantIPs   []string
		wantNS    string
		wantError string
	}{
		{
			name: "naas up: a free local port, called by IP", listen: "127.0.0.1:43210",
			wantAddr: "127.0.0.1:0", wantURL: "https://127.0.0.1:43210/validate/namespaceclaims",
			wantDNS: []string{"localhost"}, wantIPs: []string{"127.0.0.1"}, wantNS: "naas-system",
		},
		{
			name: "in the cluster behind a Service", opts: WebhookOptions{Service: "platform/naas-webhook"}, listen: "[::]:9443",
			wantAddr: ":9443", wantURL: "service platform/naas-webhook",
			wantDNS: []string{"naas-webhook.platform.svc", "naas-webhook.platform.svc.cluster.local"}, wantNS: "platform",
		},
		{
			name: "outside the cluster at a public name", opts: WebhookOptions{Addr: "0.0.0.0:9443", URL: "https://naas.example.com:9443/", SystemNamespace: "naas"},
			listen: "0.0.0.0:9443", wantAddr: "0.0.0.0:9443", wantURL: "https://naas.example.com:9443/validate/namespaceclaims",
			wantDNS: []string{"naas.example.com"}, wantNS: "naas",
		},
		{name: "service without a namespace", opts: WebhookOptions{Service: "naas-webhook"}, wantError: "must be namespace/name"},
		{name: "plain HTTP URL", opts: WebhookOptions{URL: "http://naas:9443"}, wantError: "must start with https://"},
		{name: "URL and service", opts: WebhookOptions{URL: "https://naas:9443", Service: "a/b"}, wantError: "alternatives"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tt.opts.resolve()
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("resolve() error = %v, want one saying %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.addr != tt.wantAddr || e.namespace != tt.wantNS {
				t.Errorf("addr, namespace = %q, %q; want %q, %q", e.addr, e.namespace, tt.wantAddr, tt.wantNS)
			}
			addr, err := net.ResolveTCPAddr("tcp", tt.listen)
			if err != nil {
				t.Fatal(err)
			}
			e.listening(addr)
			cc := e.clientConfig(pathValidateClaims)
			got := ""
			switch {
			case cc.Service != nil:
				got = "service " + cc.Service.Namespace + "/" + cc.Service.Name
				if *cc.Service.Port != 443 || *cc.Service.Path != pathValidateClaims {
					t.Errorf("service reference %+v", cc.Service)
				}
			case cc.URL != nil:
				got = *cc.URL
			}
			if got != tt.wantURL {
				t.Errorf("client config = %q, want %q", got, tt.wantURL)
			}
			checkHosts(t, e, tt.wantDNS, tt.wantIPs)
		})
	}
}

func TestWebhookConfigurations_CarryTheCABundleAndStayInScope(t *testing.T) {
	e, err := WebhookOptions{}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	e.listening(&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1234})
	objs := webhookConfigurations(e, []byte("CA"), false)
	m := objs[0].(*admissionregistrationv1.MutatingWebhookConfiguration)
	v := objs[1].(*admissionregistrationv1.ValidatingWebhookConfiguration)
	// A claim passes one mutating and one validating webhook (its hostnames' checks share them).
	if len(m.Webhooks) != 1 || len(v.Webhooks) != 5 {
		t.Fatalf("webhooks: %d mutating, %d validating", len(m.Webhooks), len(v.Webhooks))
	}
	claimWebhooks := 0
	for _, w := range v.Webhooks {
		if w.Rules[0].Resources[0] == "namespaceclaims" {
			claimWebhooks++
		}
	}
	if claimWebhooks != 1 {
		t.Errorf("%d validating webhooks see claims, want 1", claimWebhooks)
	}
	for _, w := range v.Webhooks {
		if string(w.ClientConfig.CABundle) != "CA" || *w.TimeoutSeconds > WebhookTimeoutSeconds {
			t.Errorf("%s: CA bundle %q, timeout %d", w.Name, w.ClientConfig.CABundle, *w.TimeoutSeconds)
		}
		// Objects in namespaces (core kinds, RoleBindings) are seen only in naas namespaces.
		inNamespaces := w.Rules[0].APIGroups[0] == "" || w.Rules[0].APIGroups[0] == "rbac.authorization.k8s.io"
		if inNamespaces && (w.NamespaceSelector == nil || w.NamespaceSelector.MatchLabels["app.kubernetes.io/managed-by"] != "naas") {
			t.Errorf("%s sees core objects outside naas namespaces", w.Name)
		}
		wantPolicy := admissionregistrationv1.Fail
		if strings.HasPrefix(w.Name, "tenant-quota-deletions.") {
			wantPolicy = admissionregistrationv1.Ignore
		}
		if *w.FailurePolicy != wantPolicy {
			t.Errorf("%s: failure policy %s, want %s", w.Name, *w.FailurePolicy, wantPolicy)
		}
	}
}

func TestWebhookConfigurations_PullPolicyWebhookOnlyWithoutMutatingPolicies(t *testing.T) {
	e, err := WebhookOptions{}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	e.listening(&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1234})
	m := webhookConfigurations(e, []byte("CA"), true)[0].(*admissionregistrationv1.MutatingWebhookConfiguration)
	if len(m.Webhooks) != 2 {
		t.Fatalf("%d mutating webhooks, want the claims' and the pull policy's", len(m.Webhooks))
	}
	w := m.Webhooks[1]
	if w.NamespaceSelector == nil || w.NamespaceSelector.MatchLabels["app.kubernetes.io/managed-by"] != "naas" {
		t.Errorf("%s sees objects outside naas namespaces", w.Name)
	}
	// naas-tier-workloads refuses what the webhook would change while naas is down: no need to fail closed.
	if *w.FailurePolicy != admissionregistrationv1.Ignore || *w.ReinvocationPolicy != admissionregistrationv1.IfNeededReinvocationPolicy {
		t.Errorf("%s: failure policy %s, reinvocation %s", w.Name, *w.FailurePolicy, *w.ReinvocationPolicy)
	}
	var resources []string
	for _, r := range w.Rules {
		resources = append(resources, r.Resources...)
		// A pod's containers are fixed once it exists: its updates need no call to naas.
		if slices.Contains(r.Resources, "pods") && !slices.Equal(r.Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Create}) {
			t.Errorf("%s sees pods on %v, want create only", w.Name, r.Operations)
		}
	}
	for _, want := range []string{"pods", "pods/ephemeralcontainers", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "replicationcontrollers"} {
		if !slices.Contains(resources, want) {
			t.Errorf("%s does not see %s (sees %v)", w.Name, want, resources)
		}
	}
}

func TestWebhookEndpoint_MemberQuotaURL(t *testing.T) {
	tests := []struct {
		name    string
		opts    WebhookOptions
		listen  string
		want    string
		wantDNS []string
		wantIPs []string
	}{
		{
			name: "naas up: members call the local address", listen: "127.0.0.1:43210",
			want: "https://127.0.0.1:43210/validate/tenant-quota/clusters/member-1", wantDNS: []string{"localhost"}, wantIPs: []string{"127.0.0.1"},
		},
		{
			name: "outside the clusters at a public name", opts: WebhookOptions{Addr: "0.0.0.0:9443", URL: "https://naas.example.com:9443"}, listen: "0.0.0.0:9443",
			want: "https://naas.example.com:9443/validate/tenant-quota/clusters/member-1", wantDNS: []string{"naas.example.com"},
		},
		{
			name: "behind a Service, which members cannot reach: no member webhook", opts: WebhookOptions{Service: "naas/webhook"}, listen: "[::]:9443",
			wantDNS: []string{"webhook.naas.svc", "webhook.naas.svc.cluster.local"},
		},
		{
			name: "behind a Service, with the address members reach", opts: WebhookOptions{Service: "naas/webhook", MemberURL: "https://10.0.0.5:9443/"}, listen: "[::]:9443",
			want:    "https://10.0.0.5:9443/validate/tenant-quota/clusters/member-1",
			wantDNS: []string{"webhook.naas.svc", "webhook.naas.svc.cluster.local"}, wantIPs: []string{"10.0.0.5"},
		},
		{
			name: "naas up with a member address of its own", opts: WebhookOptions{MemberURL: "https://naas.lan:8443"}, listen: "127.0.0.1:43210",
			want: "https://naas.lan:8443/validate/tenant-quota/clusters/member-1", wantDNS: []string{"localhost", "naas.lan"}, wantIPs: []string{"127.0.0.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tt.opts.resolve()
			if err != nil {
				t.Fatal(err)
			}
			addr, err := net.ResolveTCPAddr("tcp", tt.listen)
			if err != nil {
				t.Fatal(err)
			}
			e.listening(addr)
			if got := e.memberQuotaURL("member-1"); got != tt.want {
				t.Errorf("memberQuotaURL = %q, want %q", got, tt.want)
			}
			checkHosts(t, e, tt.wantDNS, tt.wantIPs)
		})
	}
	if _, err := (WebhookOptions{MemberURL: "http://naas:9443"}).resolve(); err == nil || !strings.Contains(err.Error(), "--member-webhook-url") {
		t.Errorf("a plain HTTP member URL: %v, want refused naming the flag", err)
	}
}

// checkHosts checks the names and addresses the serving certificate of e names.
func checkHosts(t *testing.T, e webhookEndpoint, wantDNS, wantIPs []string) {
	t.Helper()
	var ips []string
	for _, ip := range e.hosts.IPs {
		ips = append(ips, ip.String())
	}
	if diff := cmp.Diff(wantDNS, e.hosts.DNSNames); diff != "" {
		t.Errorf("certificate DNS names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantIPs, ips); diff != "" {
		t.Errorf("certificate IPs (-want +got):\n%s", diff)
	}
}
