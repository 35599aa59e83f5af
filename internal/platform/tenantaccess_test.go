package platform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func accessTenant(owners ...naasv1alpha1.Owner) *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "uid-acme"}, Spec: naasv1alpha1.TenantSpec{Owners: owners}}
}

func TestTenantAccess_NamesOnlyTheTenantAndItsClaims(t *testing.T) {
	tn := accessTenant(
		naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
		naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectGroup, Name: "auditors", Role: naasv1alpha1.RoleViewer},
		naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectServiceAccount, Namespace: "ci", Name: "deployer", Role: naasv1alpha1.RoleDeveloper},
	)
	objs := TenantAccess(Config{Controllers: []string{"naas"}}, tn, []string{"acme-web", "acme-api", "acme-web"})
	if len(objs) != 4 {
		t.Fatalf("%d objects, want 4", len(objs))
	}
	role := objs[0].(*rbacv1.ClusterRole)
	wantRules := []rbacv1.PolicyRule{
		{APIGroups: []string{"naas.dev"}, Resources: []string{"tenants"}, ResourceNames: []string{"acme"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"naas.dev"}, Resources: []string{"namespaceclaims"}, ResourceNames: []string{"acme-api", "acme-web"},
			Verbs: []string{"get", "list", "watch", "update", "patch", "delete"}},
	}
	if diff := cmp.Diff(wantRules, role.Rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	binding := objs[1].(*rbacv1.ClusterRoleBinding)
	wantSubjects := []rbacv1.Subject{
		{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"},
		{Kind: "Group", APIGroup: rbacv1.GroupName, Name: "auditors"},
		{Kind: "ServiceAccount", Namespace: "ci", Name: "deployer"},
	}
	if diff := cmp.Diff(wantSubjects, binding.Subjects); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}
	if binding.RoleRef.Name != role.Name || role.Name != "naas:tenant:acme" {
		t.Errorf("binding %s binds %s, role is %s", binding.Name, binding.RoleRef.Name, role.Name)
	}
	policy := objs[2].(*admissionregistrationv1.ValidatingAdmissionPolicy)
	vb := objs[3].(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
	if vb.Spec.PolicyName != policy.Name || vb.Spec.ParamRef.Name != "acme" ||
		vb.Spec.MatchResources.NamespaceSelector.MatchLabels[naasv1alpha1.LabelTenant] != "acme" {
		t.Errorf("policy binding %+v does not bind %s to acme's namespaces with acme as parameter", vb.Spec, policy.Name)
	}
	if got := policy.Spec.Variables[0].Expression; got != `["acme-api", "acme-web"]` {
		t.Errorf("the policy's namespaces are %s", got)
	}
	for _, o := range objs {
		m := o.(metav1.Object)
		if refs := m.GetOwnerReferences(); len(refs) != 1 || refs[0].UID != "uid-acme" {
			t.Errorf("%s: owner references %v, want the tenant", m.GetName(), refs)
		}
	}
}

// A rule with no resourceNames names every object: a tenant without claims must not get one.
func TestTenantAccess_TenantWithoutClaimsReadsNoClaim(t *testing.T) {
	objs := TenantAccess(Config{}, accessTenant(), nil)
	role := objs[0].(*rbacv1.ClusterRole)
	for _, r := range role.Rules {
		if len(r.ResourceNames) == 0 {
			t.Errorf("rule %+v names no resource, so it grants every one", r)
		}
		for _, res := range r.Resources {
			if res == "namespaceclaims" {
				t.Errorf("a tenant without claims has a claim rule: %+v", r)
			}
		}
	}
	if got := objs[2].(*admissionregistrationv1.ValidatingAdmissionPolicy).Spec.Variables[0].Expression; got != "[]" {
		t.Errorf("namespaces of a tenant without claims: %s", got)
	}
}

// A tenant with thousands of namespaces gets them in several lists, each one short enough for the API server's
// CEL parser (100,000 code points), together naming every namespace once.
func TestTenantAccess_ThousandsOfNamespacesFitThePolicy(t *testing.T) {
	var claims []string
	for i := range 12000 {
		claims = append(claims, fmt.Sprintf("a-rather-long-namespace-name-for-a-big-tenant-%05d", i))
	}
	policy := TenantAccess(Config{}, accessTenant(), claims)[2].(*admissionregistrationv1.ValidatingAdmissionPolicy)
	var lists []string
	combined := ""
	for _, v := range policy.Spec.Variables {
		if len(v.Expression) > 100000 {
			t.Errorf("variable %s is %d characters long, over the parser's limit", v.Name, len(v.Expression))
		}
		switch {
		case v.Name == "namespaces":
			combined = v.Expression
		case strings.HasPrefix(v.Name, "namespaces"):
			lists = append(lists, v.Name)
		}
	}
	if len(lists) < 2 {
		t.Fatalf("%d lists for 12,000 namespaces", len(lists))
	}
	want := make([]string, 0, len(lists))
	for _, l := range lists {
		want = append(want, "variables."+l)
	}
	if combined != strings.Join(want, " + ") {
		t.Errorf("namespaces = %s, want the concatenation of %v", combined, lists)
	}
	seen := map[string]int{}
	for _, v := range policy.Spec.Variables {
		if v.Name == "namespaces" || !strings.HasPrefix(v.Name, "namespaces") {
			continue
		}
		for _, q := range strings.Split(strings.Trim(v.Expression, "[]"), ", ") {
			seen[strings.Trim(q, `"`)]++
		}
	}
	for _, c := range claims {
		if seen[c] != 1 {
			t.Fatalf("namespace %s is in the lists %d times", c, seen[c])
		}
	}
	// Variables are declared before they are used.
	if policy.Spec.Variables[len(lists)].Name != "namespaces" {
		t.Errorf("variables.namespaces is declared at %d, after its parts", len(lists))
	}
}
