package platform

import (
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestRoutePolicies_EveryDenialSaysWhatToDoAndEveryPolicyIsBound(t *testing.T) {
	bound := map[string]bool{}
	policies := map[string]*admissionregistrationv1.ValidatingAdmissionPolicy{}
	for _, o := range RoutePolicies(Config{Controllers: []string{"naas"}}) {
		switch p := o.(type) {
		case *admissionregistrationv1.ValidatingAdmissionPolicy:
			policies[p.Name] = p
		case *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
			bound[p.Spec.PolicyName] = true
		}
	}
	for _, name := range []string{PolicyRouteHostnames, PolicyGatewayHostnames, PolicyProtectNetworkingObjects, PolicyProtectNamespaceNetworking} {
		p := policies[name]
		if p == nil || !bound[name] {
			t.Errorf("%s: missing or unbound", name)
			continue
		}
		if p.Spec.FailurePolicy == nil || *p.Spec.FailurePolicy != admissionregistrationv1.Fail {
			t.Errorf("%s: failure policy must be Fail", name)
		}
		for i, v := range p.Spec.Validations {
			if v.Reason == nil || *v.Reason != metav1.StatusReasonForbidden || !strings.Contains(v.Message, ":") {
				t.Errorf("%s validation %d: want reason Forbidden and a message that says what to do, got %q", name, i, v.Message)
			}
		}
	}
}

func TestRoutePolicies_CoverEveryRouteKindInNaasNamespacesOnly(t *testing.T) {
	var p *admissionregistrationv1.ValidatingAdmissionPolicy
	for _, o := range RoutePolicies(Config{}) {
		if vp, ok := o.(*admissionregistrationv1.ValidatingAdmissionPolicy); ok && vp.Name == PolicyRouteHostnames {
			p = vp
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.MatchConstraints.NamespaceSelector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labels.Set{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}) || sel.Matches(labels.Set{}) {
		t.Error("must apply to naas namespaces only")
	}
	var got []string
	for _, r := range p.Spec.MatchConstraints.ResourceRules {
		if r.APIGroups[0] != "gateway.networking.k8s.io" || r.APIVersions[0] != "*" {
			t.Errorf("rule %+v: want every version of gateway.networking.k8s.io", r)
		}
		got = append(got, r.Resources...)
	}
	for _, want := range []string{"httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"} {
		if !contains(got, want) {
			t.Errorf("does not check %s (checks %v)", want, got)
		}
	}
	if len(p.Spec.MatchConditions) != 0 {
		t.Error("nobody is exempt from the route hostname rule")
	}
}

func TestNetworkingRoles_DevelopersWriteRoutesButNotGatewaysAndEveryoneReads(t *testing.T) {
	roles := map[string]*rbacv1.ClusterRole{}
	for _, r := range NetworkingRoles() {
		roles[r.Name] = r
	}
	routes := roles[ClusterRoleTenantRoutes]
	for _, l := range []string{"naas.dev/aggregate-to-tenant-admin", "naas.dev/aggregate-to-tenant-developer"} {
		if routes.Labels[l] != "true" {
			t.Errorf("%s: not aggregated by %s", routes.Name, l)
		}
	}
	if routes.Labels["naas.dev/aggregate-to-tenant-viewer"] != "" {
		t.Errorf("%s: viewers must not write routes", routes.Name)
	}
	for _, rule := range routes.Rules {
		if contains(rule.Resources, "gateways") {
			t.Errorf("%s: tenants must not write gateways: naas makes them", routes.Name)
		}
	}
	if roles[ClusterRoleTenantNetworkingView].Labels["naas.dev/aggregate-to-tenant-viewer"] != "true" {
		t.Errorf("viewers must read gateways and routes")
	}
}
