package platform

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func workloadPolicies(t *testing.T) map[string]*admissionregistrationv1.ValidatingAdmissionPolicy {
	t.Helper()
	out := map[string]*admissionregistrationv1.ValidatingAdmissionPolicy{}
	for _, o := range WorkloadPolicies(Config{Controllers: []string{"system:serviceaccount:naas-system:naas"}}) {
		if p, ok := o.(*admissionregistrationv1.ValidatingAdmissionPolicy); ok {
			out[p.Name] = p
		}
	}
	return out
}

func TestWorkloadPolicies_EveryDenialSaysWhatToDo(t *testing.T) {
	for name, p := range workloadPolicies(t) {
		if p.Spec.FailurePolicy == nil || *p.Spec.FailurePolicy != admissionregistrationv1.Fail {
			t.Errorf("%s: failure policy must be Fail", name)
		}
		for i, v := range p.Spec.Validations {
			if v.Message == "" || v.MessageExpression == "" {
				t.Errorf("%s validation %d: needs a message and a message expression", name, i)
			}
			if v.Reason == nil || *v.Reason != metav1.StatusReasonForbidden {
				t.Errorf("%s validation %d: reason must be Forbidden", name, i)
			}
			if !strings.Contains(v.Message, ":") {
				t.Errorf("%s validation %d: message %q does not say what to do", name, i, v.Message)
			}
		}
	}
}

func TestWorkloadPolicies_ScopeAndParameters(t *testing.T) {
	policies := workloadPolicies(t)
	managedNS := labels.Set{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelTenant: "payments"}
	otherNS := labels.Set{"team": "legacy"}
	resources := func(p *admissionregistrationv1.ValidatingAdmissionPolicy) []string {
		var out []string
		for _, r := range p.Spec.MatchConstraints.ResourceRules {
			out = append(out, r.Resources...)
		}
		return out
	}
	for _, name := range []string{PolicyWorkloadGuardrails, PolicyTenantWorkloads, PolicyTierWorkloads} {
		p := policies[name]
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.MatchConstraints.NamespaceSelector)
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(managedNS) || sel.Matches(otherNS) {
			t.Errorf("%s: must apply to naas namespaces only", name)
		}
		got := resources(p)
		for _, want := range []string{"pods", "pods/ephemeralcontainers", "deployments", "statefulsets", "daemonsets", "jobs", "cronjobs", "replicasets", "replicationcontrollers"} {
			if !contains(got, want) {
				t.Errorf("%s: does not check %s (checks %v)", name, want, got)
			}
		}
	}
	if !contains(resources(policies[PolicyWorkloadGuardrails]), "services") || !contains(resources(policies[PolicyTierWorkloads]), "services") {
		t.Error("NodePort and LoadBalancer rules must see services")
	}
	if diff := cmp.Diff(&admissionregistrationv1.ParamKind{APIVersion: "naas.dev/v1alpha1", Kind: "Tenant"}, policies[PolicyTenantWorkloads].Spec.ParamKind); diff != "" {
		t.Errorf("tenant policy param kind (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&admissionregistrationv1.ParamKind{APIVersion: "naas.dev/v1alpha1", Kind: "Tier"}, policies[PolicyTierWorkloads].Spec.ParamKind); diff != "" {
		t.Errorf("tier policy param kind (-want +got):\n%s", diff)
	}
	reserved := policies[PolicyReservedNamespaceLabels]
	if got := resources(reserved); !cmp.Equal(got, []string{"namespaces"}) ||
		!cmp.Equal(reserved.Spec.MatchConstraints.ResourceRules[0].Operations, createUpdate) {
		t.Errorf("reserved labels policy must check namespace creates and updates, got %v", reserved.Spec.MatchConstraints.ResourceRules)
	}
	if len(reserved.Spec.MatchConditions) != 2 || !strings.Contains(reserved.Spec.MatchConditions[0].Expression, "system:serviceaccount:naas-system:naas") {
		t.Error("reserved labels policy must exempt naas itself")
	}
}

func TestParamBindings_SelectTheirNamespacesAndParameter(t *testing.T) {
	tests := []struct {
		name       string
		binding    *admissionregistrationv1.ValidatingAdmissionPolicyBinding
		policy     string
		param      string
		owner      string
		matches    labels.Set
		notMatches []labels.Set
	}{
		{
			name:    "tenant",
			binding: TenantBinding(&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "payments", UID: "u1"}}),
			policy:  PolicyTenantWorkloads, param: "payments", owner: "Tenant",
			matches: labels.Set{naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelTenant: "payments"},
			notMatches: []labels.Set{
				{naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelTenant: "billing"},
				{naasv1alpha1.LabelTenant: "payments"},
			},
		},
		{
			name:    "tier",
			binding: TierBinding(&naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "prod", UID: "u2"}}),
			policy:  PolicyTierWorkloads, param: "prod", owner: "Tier",
			matches: labels.Set{naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelTier: "prod"},
			notMatches: []labels.Set{
				{naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelTier: "dev"},
				{naasv1alpha1.LabelTier: "prod"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.binding
			if b.Spec.PolicyName != tt.policy || b.Spec.ParamRef == nil || b.Spec.ParamRef.Name != tt.param {
				t.Errorf("binding %s: policy %q param %+v", b.Name, b.Spec.PolicyName, b.Spec.ParamRef)
			}
			if len(b.OwnerReferences) != 1 || b.OwnerReferences[0].Kind != tt.owner || b.OwnerReferences[0].Name != tt.param {
				t.Errorf("binding %s: owner references %+v", b.Name, b.OwnerReferences)
			}
			sel, err := metav1.LabelSelectorAsSelector(b.Spec.MatchResources.NamespaceSelector)
			if err != nil {
				t.Fatal(err)
			}
			if !sel.Matches(tt.matches) {
				t.Errorf("binding %s does not select %v", b.Name, tt.matches)
			}
			for _, l := range tt.notMatches {
				if sel.Matches(l) {
					t.Errorf("binding %s selects %v", b.Name, l)
				}
			}
			if !cmp.Equal(b.Spec.ValidationActions, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}) {
				t.Errorf("binding %s must deny", b.Name)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestTierPullAlways_MutatesPodMakersInTheTiersNamespacesOnly(t *testing.T) {
	p := TierPullAlwaysPolicy()
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.MatchConstraints.NamespaceSelector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labels.Set{naasv1alpha1.LabelManagedBy: "naas"}) || sel.Matches(labels.Set{"team": "legacy"}) {
		t.Error("the pull policy mutation must apply to naas namespaces only")
	}
	ops := map[string][]admissionregistrationv1.OperationType{}
	for _, r := range p.Spec.MatchConstraints.ResourceRules {
		for _, res := range r.Resources {
			ops[res] = r.Operations
		}
	}
	// A pod's containers are fixed once it exists: pods are mutated as they are created, and only new
	// ephemeral containers later.
	if diff := cmp.Diff(map[string][]admissionregistrationv1.OperationType{
		"pods": {admissionregistrationv1.Create}, "pods/ephemeralcontainers": {admissionregistrationv1.Update},
		"deployments": createUpdate, "replicasets": createUpdate, "statefulsets": createUpdate, "daemonsets": createUpdate,
		"jobs": createUpdate, "cronjobs": createUpdate, "replicationcontrollers": createUpdate,
	}, ops); diff != "" {
		t.Errorf("mutated resources (-want +got):\n%s", diff)
	}
	if p.Spec.ReinvocationPolicy != admissionregistrationv1.IfNeededReinvocationPolicy {
		t.Error("containers other admission steps add must be mutated too")
	}
	if !strings.Contains(p.Spec.Mutations[0].JSONPatch.Expression, "IfNotPresent") || strings.Contains(p.Spec.Mutations[0].JSONPatch.Expression, "Never") {
		t.Error("only unset and IfNotPresent pull policies are changed; Never is for naas-tier-workloads to refuse")
	}

	b := TierMutatingBinding(&naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "prod", UID: "u"}})
	bsel, err := metav1.LabelSelectorAsSelector(b.Spec.MatchResources.NamespaceSelector)
	if err != nil {
		t.Fatal(err)
	}
	if b.Spec.PolicyName != PolicyTierPullAlways || b.Spec.ParamRef.Name != "prod" || len(b.OwnerReferences) != 1 ||
		!bsel.Matches(labels.Set{naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelTier: "prod"}) ||
		bsel.Matches(labels.Set{naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelTier: "dev"}) {
		t.Errorf("binding of tier prod: %+v", b)
	}
}
