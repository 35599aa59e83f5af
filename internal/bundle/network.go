package bundle

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// labelNamespaceName is the label the API server sets on every namespace to its own name.
const labelNamespaceName = "kubernetes.io/metadata.name"

// networkPolicies isolate the namespace: deny everything, then allow the tenant's own namespaces, HTTPS from
// shared services and (unless the profile is restricted) egress to them, DNS, HTTPS egress when the template asks
// for it and its profile is not restricted, and the traffic of collaborations: in from collaborators allowed
// ingress, out to the namespaces that let the tenant in of the tenants whose collaboration it accepted.
func (b *builder) networkPolicies() ([]*unstructured.Unstructured, error) {
	policies := []*networkingv1.NetworkPolicy{
		b.networkPolicy(PolicyDefaultDeny, networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		}),
		b.networkPolicy(PolicySameTenant, networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{namespacesLabelled(naasv1alpha1.LabelTenant, b.tenant)},
			}},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{namespacesLabelled(naasv1alpha1.LabelTenant, b.tenant)},
			}},
		}),
		b.sharedServicesPolicy(),
		b.networkPolicy(PolicyDNS, networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{namespacesLabelled(labelNamespaceName, b.cfg.DNSNamespace)},
				Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolUDP, 53), port(corev1.ProtocolTCP, 53)},
			}},
		}),
	}
	if allowHTTPSEgress(b.in.Template.Spec.Features) {
		policies = append(policies, b.networkPolicy(PolicyHTTPSEgress, networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{
					{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}},
					{IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}},
				},
				Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, 443)},
			}},
		}))
	}

	policies = append(policies, b.collaborationPolicies()...)

	out := make([]*unstructured.Unstructured, 0, len(policies))
	for _, p := range policies {
		u, err := toUnstructured(p)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// sharedServicesPolicy lets the shared services (ingress controllers, monitoring) in on HTTPS, and lets the
// namespace reach them on any port (they are the platform's: log and metrics collectors, secret stores), unless its
// template's network profile is restricted, which promises no egress beyond the tenant and DNS.
func (b *builder) sharedServicesPolicy() *networkingv1.NetworkPolicy {
	shared := []networkingv1.NetworkPolicyPeer{namespacesLabelled(b.cfg.SharedServicesLabel, "true")}
	spec := networkingv1.NetworkPolicySpec{
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From:  shared,
			Ports: []networkingv1.NetworkPolicyPort{port(corev1.ProtocolTCP, 443)},
		}},
	}
	if b.in.Template.Spec.Features.NetworkProfile != naasv1alpha1.NetworkRestricted {
		spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: shared}}
	}
	return b.networkPolicy(PolicySharedServices, spec)
}

// allowHTTPSEgress reports whether the template gets HTTPS egress: it asks for it and its profile is not
// restricted (an empty profile is the default, standard).
func allowHTTPSEgress(f naasv1alpha1.Features) bool {
	return f.AllowHTTPSEgress && f.NetworkProfile != naasv1alpha1.NetworkRestricted
}

// networkPolicy is a policy selecting every pod of the namespace.
func (b *builder) networkPolicy(name string, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
	spec.PodSelector = metav1.LabelSelector{}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: networkingv1.SchemeGroupVersion.String(), Kind: "NetworkPolicy"},
		ObjectMeta: b.objectMeta(name),
		Spec:       spec,
	}
}

func namespacesLabelled(key, value string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{key: value}},
	}
}

func port(protocol corev1.Protocol, number int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(number)
	return networkingv1.NetworkPolicyPort{Protocol: &protocol, Port: &p}
}
