package platform

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Per-tenant access. kube-apiserver's RBAC cannot say "the claims of a tenant the user belongs to", so naas keeps,
// for each tenant, a ClusterRole naming the tenant and its claims (resourceNames) bound to the tenant's members:
// with it a member reads, updates and deletes the tenant's claims with kubectl (admission still decides per role),
// and reads the tenant; nobody else does. And for each tenant an admission policy on RoleBindings in its
// namespaces, which takes the Tenant as parameter (its members, as they are now) and knows the tenant's namespaces
// (whose service accounts may be bound): see TenantAccess.

// tenantAccessPrefix starts the names of a tenant's ClusterRole and ClusterRoleBinding: naas:tenant:<tenant>.
const tenantAccessPrefix = "naas:tenant:"

// tenantRoleBindingsPrefix starts the names of a tenant's RoleBinding policy and its binding.
const tenantRoleBindingsPrefix = "naas-tenant-rolebindings-"

// LabelAccessFor names the tenant on the objects of its access (ClusterRole, ClusterRoleBinding, RoleBinding
// policy and its binding).
const LabelAccessFor = "naas.dev/access-for"

// TenantAccessName is the name of tenant's ClusterRole and ClusterRoleBinding.
func TenantAccessName(tenant string) string { return tenantAccessPrefix + tenant }

// TenantRoleBindingsPolicyName is the name of the RoleBinding admission policy of tenant, and of its binding.
func TenantRoleBindingsPolicyName(tenant string) string { return tenantRoleBindingsPrefix + tenant }

// claimVerbs are what a member may ask of the tenant's claims through RBAC. Admission decides what the member's
// role allows (tenancy.Authorize): a viewer's update is refused there, with a message saying which role would do.
var claimVerbs = []string{"get", "list", "watch", "update", "patch", "delete"}

// TenantAccess returns the objects that give tenant t's members their access to naas's cluster-scoped objects
// and hold RoleBindings in its namespaces to its members, in this order: the ClusterRole, the
// ClusterRoleBinding, the RoleBinding policy and its binding. claims are the names of the tenant's claims
// (and so of its namespaces). Each object is owned by the Tenant, so that the garbage collector removes them
// with it.
func TenantAccess(cfg Config, t *naasv1alpha1.Tenant, claims []string) []runtime.Object {
	claims = slices.Clone(claims)
	slices.Sort(claims)
	claims = slices.Compact(claims)
	labels := merge(managedLabels, map[string]string{LabelAccessFor: t.Name})
	owner := []metav1.OwnerReference{ownerRef(t, "Tenant")}

	rules := []rbacv1.PolicyRule{{
		APIGroups: []string{naasv1alpha1.GroupVersion.Group}, Resources: []string{"tenants"},
		ResourceNames: []string{t.Name}, Verbs: []string{"get", "list", "watch"},
	}}
	// A rule without resourceNames would name every claim: a tenant without claims gets no claim rule.
	if len(claims) > 0 {
		rules = append(rules, rbacv1.PolicyRule{
			APIGroups: []string{naasv1alpha1.GroupVersion.Group}, Resources: []string{"namespaceclaims"},
			ResourceNames: claims, Verbs: claimVerbs,
		})
	}
	role := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: TenantAccessName(t.Name), Labels: labels, OwnerReferences: owner},
		Rules:      rules,
	}
	members := &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: TenantAccessName(t.Name), Labels: merge(labels, nil), OwnerReferences: owner},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   bundle.OwnerSubjects(t, naasv1alpha1.RoleAdmin, naasv1alpha1.RoleDeveloper, naasv1alpha1.RoleViewer),
	}

	policy := tenantRoleBindingsPolicy(cfg, t.Name, claims)
	policy.Labels = merge(labels, nil)
	policy.OwnerReferences = owner
	b := paramBinding(policy.Name, policy.Name, "rolebindings."+t.Name, t.Name, map[string]string{naasv1alpha1.LabelTenant: t.Name})
	b.Labels[LabelAccessFor] = t.Name
	b.OwnerReferences = owner
	return []runtime.Object{role, members, policy, b}
}

// celList is a CEL list literal of strings.
func celList(items []string) string {
	quoted := make([]string, 0, len(items))
	for _, s := range items {
		quoted = append(quoted, fmt.Sprintf("%q", s))
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// tenantRoleBindingsPolicy holds the RoleBindings in tenant's namespaces to what tenancy.AuthorizeRoleBinding
// allows, inside the API server: its parameter is the Tenant (so that a member a platform admin removes can no
// longer be bound, whether naas runs or not), and its namespaces are written into the policy (they change only
// when naas makes or deletes a namespace). The policy is per tenant because a policy takes one parameter.
func tenantRoleBindingsPolicy(cfg Config, tenant string, namespaces []string) *admissionregistrationv1.ValidatingAdmissionPolicy {
	// s is a subject; its namespace is the RoleBinding's when it gives none. Policies see the field namespace of
	// built-in and custom objects alike as "namespace" (unlike a CRD's own validation rules, which escape it).
	saNamespace := "(has(s.namespace) && s.namespace != '' ? s.namespace : request.namespace)"
	tenantNamespace := func(n string) string { return "(" + n + " == request.namespace || " + n + " in variables.namespaces)" }
	saGroupOfTenant := "(s.kind == 'Group' && s.name.startsWith('" + tenancy.ServiceAccountGroupPrefix + "') && " +
		tenantNamespace("s.name.substring("+fmt.Sprint(len(tenancy.ServiceAccountGroupPrefix))+")") + ")"
	systemGroup := "(s.kind == 'Group' && s.name.startsWith('system:'))"
	owner := "(has(params.spec.owners) && params.spec.owners.exists(o, o.kind == s.kind && o.name == s.name && " +
		"(s.kind != 'ServiceAccount' || (has(o.namespace) && o.namespace == " + saNamespace + "))))"
	tenantSA := "(s.kind == 'ServiceAccount' && " + tenantNamespace(saNamespace) + ")"
	tenantSAUser := "(s.kind == 'User' && (s.name.startsWith('system:serviceaccount:' + request.namespace + ':') || " +
		"variables.namespaces.exists(n, s.name.startsWith('system:serviceaccount:' + n + ':'))))"
	allowed := saGroupOfTenant + " || (!" + systemGroup + " && (" + owner + " || " + tenantSA + " || " + tenantSAUser + "))"
	isAdmin := "has(params.spec.owners) && params.spec.owners.exists(o, o.role == 'admin' && (" +
		"(o.kind == 'User' && o.name == request.userInfo.username) || " +
		"(o.kind == 'Group' && o.name in request.userInfo.groups) || " +
		"(o.kind == 'ServiceAccount' && has(o.namespace) && request.userInfo.username == 'system:serviceaccount:' + o.namespace + ':' + o.name)))"
	describe := "(s.kind == 'ServiceAccount' ? 'ServiceAccount ' + " + saNamespace + " + '/' + s.name : s.kind + ' ' + s.name)"

	p := vap(TenantRoleBindingsPolicyName(tenant), &admissionregistrationv1.MatchResources{
		NamespaceSelector: managedNamespaceSelector(map[string]string{naasv1alpha1.LabelTenant: tenant}),
		ResourceRules:     []admissionregistrationv1.NamedRuleWithOperations{rule(rbacv1.GroupName, createUpdate, "rolebindings")},
	}, []admissionregistrationv1.MatchCondition{{Name: "not-exempt", Expression: exemptExpression(cfg)}}, []admissionregistrationv1.Validation{
		{
			Expression: "size(variables.refused) == 0",
			MessageExpression: "'RoleBinding ' + object.metadata.name + ' in namespace ' + request.namespace + ' names ' + " +
				"variables.refused.map(s, " + describe + ").join(', ') + " +
				"': RoleBindings in the namespaces of tenant ' + params.metadata.name + ' may name only its members and the service accounts of its namespaces " +
				"(and their groups " + tenancy.ServiceAccountGroupPrefix + "<namespace>); other system: groups are refused, and other tenants get access through collaborations'",
			Reason: forbidden(),
		},
		{
			Expression: "object.roleRef.kind != 'ClusterRole' || !(object.roleRef.name in " + celList(tenancy.AdminLevelClusterRoles) + ") || variables.isAdmin",
			MessageExpression: "'RoleBinding ' + object.metadata.name + ' in namespace ' + request.namespace + ' binds ClusterRole ' + object.roleRef.name + " +
				"', an admin-level role: only admins of tenant ' + params.metadata.name + ' may bind it; bind naas:tenant-developer or naas:tenant-viewer instead, or ask a tenant admin'",
			Reason: forbidden(),
		},
	})
	p.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: naasv1alpha1.GroupVersion.String(), Kind: "Tenant"}
	p.Spec.Variables = append(namespaceVariables(namespaces), []admissionregistrationv1.Variable{
		{Name: "subjects", Expression: "has(object.subjects) ? object.subjects : []"},
		{Name: "refused", Expression: "variables.subjects.filter(s, !(" + allowed + "))"},
		{Name: "isAdmin", Expression: isAdmin},
	}...)
	return p
}

// maxListExpression bounds the length of one CEL list literal of namespaces. The API server's CEL parser refuses
// expressions over 100,000 code points, which one list would pass at a few thousand namespaces.
const maxListExpression = 60000

// namespaceVariables declare variables.namespaces, the tenant's namespaces: one list literal, or, for a tenant with
// thousands of namespaces, the concatenation of several (namespaces0, namespaces1, ...), each within the
// parser's limit.
func namespaceVariables(namespaces []string) []admissionregistrationv1.Variable {
	var chunks [][]string
	size := 0
	for _, n := range namespaces {
		if len(chunks) == 0 || size+len(n)+4 > maxListExpression {
			chunks = append(chunks, nil)
			size = 2
		}
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], n)
		size += len(n) + 4
	}
	if len(chunks) <= 1 {
		var only []string
		if len(chunks) == 1 {
			only = chunks[0]
		}
		return []admissionregistrationv1.Variable{{Name: "namespaces", Expression: celList(only)}}
	}
	vars := make([]admissionregistrationv1.Variable, 0, len(chunks)+1)
	parts := make([]string, 0, len(chunks))
	for i, c := range chunks {
		name := fmt.Sprintf("namespaces%d", i)
		vars = append(vars, admissionregistrationv1.Variable{Name: name, Expression: celList(c)})
		parts = append(parts, "variables."+name)
	}
	return append(vars, admissionregistrationv1.Variable{Name: "namespaces", Expression: strings.Join(parts, " + ")})
}
