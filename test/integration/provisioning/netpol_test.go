package provisioning

import (
	"context"
	"testing"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// TestProvision_NetworkPoliciesMeanWhatTheySay evaluates the network policies naas
// made, as read back from the API server, with an independent policy engine
// (cyclonus's matcher), for traffic between pods of real namespaces.
func TestProvision_NetworkPoliciesMeanWhatTheySay(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("blue").Admin("alice").Create(t, env)
	testenv.Tenant("red").Admin("dave").Create(t, env)
	testenv.Claim("blue-api", "blue").Tier("dev").Create(t, env)
	testenv.Claim("blue-db", "blue").Template("data").Tier("dev").Create(t, env)
	testenv.Claim("red-web", "red").Tier("dev").Create(t, env)
	for _, n := range []string{"blue-api", "blue-db", "red-web"} {
		env.WaitReady(t, n)
	}
	shared := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ingress-system", Labels: map[string]string{naasv1alpha1.LabelSharedServices: "true"}}}
	if err := env.Client.Create(ctx, shared); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), shared) })
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "unmanaged-tools"}}
	if err := env.Client.Create(ctx, plain); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), plain) })

	// Every network policy in the cluster, as the API server stores them.
	list := &networkingv1.NetworkPolicyList{}
	if err := env.Client.List(ctx, list); err != nil {
		t.Fatal(err)
	}
	policies := make([]*networkingv1.NetworkPolicy, 0, len(list.Items))
	for i := range list.Items {
		policies = append(policies, &list.Items[i])
	}
	engine := matcher.BuildNetworkPolicies(true, policies)

	nsLabels := func(name string) map[string]string {
		ns := &corev1.Namespace{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
			t.Fatal(err)
		}
		return ns.Labels
	}
	pod := func(ns string) *matcher.TrafficPeer {
		return &matcher.TrafficPeer{
			Internal: &matcher.InternalPeer{Namespace: ns, NamespaceLabels: nsLabels(ns), PodLabels: map[string]string{"app": "x"}},
			IP:       "10.1.0.1",
		}
	}
	external := &matcher.TrafficPeer{IP: "203.0.113.10"}

	tests := []struct {
		name     string
		from, to *matcher.TrafficPeer
		port     int
		protocol corev1.Protocol
		allowed  bool
	}{
		{"same tenant, app port", pod("blue-db"), pod("blue-api"), 8080, corev1.ProtocolTCP, true},
		{"same tenant, other direction", pod("blue-api"), pod("blue-db"), 5432, corev1.ProtocolTCP, true},
		{"other tenant into blue", pod("red-web"), pod("blue-api"), 8080, corev1.ProtocolTCP, false},
		{"blue out to other tenant", pod("blue-api"), pod("red-web"), 8080, corev1.ProtocolTCP, false},
		{"unmanaged namespace into blue", pod("unmanaged-tools"), pod("blue-api"), 8080, corev1.ProtocolTCP, false},
		{"DNS over UDP to kube-system", pod("blue-api"), pod("kube-system"), 53, corev1.ProtocolUDP, true},
		{"DNS over TCP to kube-system", pod("blue-api"), pod("kube-system"), 53, corev1.ProtocolTCP, true},
		{"other ports to kube-system", pod("blue-api"), pod("kube-system"), 6443, corev1.ProtocolTCP, false},
		{"shared services on 443", pod("ingress-system"), pod("blue-api"), 443, corev1.ProtocolTCP, true},
		{"shared services on another port", pod("ingress-system"), pod("blue-api"), 8080, corev1.ProtocolTCP, false},
		{"out to shared services", pod("blue-api"), pod("ingress-system"), 8080, corev1.ProtocolTCP, true},
		{"out to shared services from the restricted data template", pod("blue-db"), pod("ingress-system"), 8080, corev1.ProtocolTCP, false},
		{"out to an unmanaged namespace that is no shared service", pod("blue-api"), pod("unmanaged-tools"), 8080, corev1.ProtocolTCP, false},
		{"HTTPS egress where the template allows it", pod("blue-api"), external, 443, corev1.ProtocolTCP, true},
		{"plain HTTP egress", pod("blue-api"), external, 80, corev1.ProtocolTCP, false},
		{"HTTPS egress from the restricted data template", pod("blue-db"), external, 443, corev1.ProtocolTCP, false},
		{"ingress from outside the cluster", external, pod("blue-api"), 443, corev1.ProtocolTCP, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := engine.IsTrafficAllowed(&matcher.Traffic{Source: tt.from, Destination: tt.to, ResolvedPort: tt.port, Protocol: tt.protocol})
			if res.IsAllowed() != tt.allowed {
				t.Errorf("allowed = %v, want %v\n%s", res.IsAllowed(), tt.allowed, res.Table())
			}
		})
	}
}
