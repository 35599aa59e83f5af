package platform

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
)

// ClusterRole names that tenant RoleBindings refer to.
const (
	ClusterRoleTenantAdmin     = bundle.ClusterRoleAdmin
	ClusterRoleTenantDeveloper = bundle.ClusterRoleDeveloper
	ClusterRoleTenantViewer    = bundle.ClusterRoleViewer
	// ClusterRoleRequester lets every authenticated user read the catalog and ask for
	// namespaces; naas admission decides per tenant who may actually do what. It gives no
	// read of tenants or claims: members read their own through TenantAccess.
	ClusterRoleRequester = "naas:requester"
	// ClusterRolePlatformAdmin gives the platform admin group full rights on naas's own
	// objects (tenants, catalog, tiers, claims) and read access to namespaces.
	ClusterRolePlatformAdmin = "naas:platform-admin"

	aggregateLabelPrefix = "naas.dev/aggregate-to-tenant-"
)

var managedLabels = map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}

func clusterRole(name string, rules []rbacv1.PolicyRule, aggregate map[string]string, labels map[string]string) *rbacv1.ClusterRole {
	cr := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: merge(managedLabels, labels)},
		Rules:      rules,
	}
	if aggregate != nil {
		var selectors []metav1.LabelSelector
		for k, v := range aggregate {
			selectors = append(selectors, metav1.LabelSelector{MatchLabels: map[string]string{k: v}})
		}
		sortSelectors(selectors)
		cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: selectors}
		cr.Rules = nil
	}
	return cr
}

// ClusterRoles returns the tenant roles. Each aggregates a built-in role (admin,
// edit, view, so that CRDs which extend those extend ours too) and naas's own
// additions: developers also manage Roles and RoleBindings in their namespaces
// (RBAC escalation rules still hold). ResourceQuotas and LimitRanges stay
// read-only for everyone, and admission policies protect naas's NetworkPolicies and
// RoleBindings.
func ClusterRoles() []*rbacv1.ClusterRole {
	return []*rbacv1.ClusterRole{
		clusterRole(ClusterRoleTenantAdmin, nil, map[string]string{
			"rbac.authorization.k8s.io/aggregate-to-admin": "true",
			aggregateLabelPrefix + "admin":                 "true",
		}, nil),
		clusterRole(ClusterRoleTenantDeveloper, nil, map[string]string{
			"rbac.authorization.k8s.io/aggregate-to-edit": "true",
			aggregateLabelPrefix + "developer":            "true",
		}, nil),
		clusterRole(ClusterRoleTenantViewer, nil, map[string]string{
			"rbac.authorization.k8s.io/aggregate-to-view": "true",
			aggregateLabelPrefix + "viewer":               "true",
		}, nil),
		clusterRole("naas:tenant-developer-extras", []rbacv1.PolicyRule{{
			APIGroups: []string{rbacv1.GroupName},
			Resources: []string{"roles", "rolebindings"},
			Verbs:     []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"},
		}}, nil, map[string]string{aggregateLabelPrefix + "developer": "true"}),
		// Creating a claim needs no name in advance; admission decides whether the tenant it names lets the user.
		// Reading, changing and deleting claims, and reading tenants, is per tenant: see TenantAccess.
		clusterRole(ClusterRoleRequester, []rbacv1.PolicyRule{
			{
				APIGroups: []string{naasv1alpha1.GroupVersion.Group},
				Resources: []string{"namespaceclaims"},
				Verbs:     []string{"create"},
			},
			{
				APIGroups: []string{naasv1alpha1.GroupVersion.Group},
				Resources: []string{"namespacetemplates", "tiers"},
				Verbs:     []string{"get", "list", "watch"},
			},
		}, nil, nil),
	}
}

// AdminRole is ClusterRolePlatformAdmin.
func AdminRole() *rbacv1.ClusterRole {
	return clusterRole(ClusterRolePlatformAdmin, []rbacv1.PolicyRule{
		{APIGroups: []string{naasv1alpha1.GroupVersion.Group}, Resources: []string{"*"}, Verbs: []string{"*"}},
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}},
	}, nil, nil)
}

// AdminBinding grants ClusterRolePlatformAdmin to the platform admin group.
func AdminBinding() *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: ClusterRolePlatformAdmin, Labels: merge(managedLabels, nil)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ClusterRolePlatformAdmin},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: naasv1alpha1.PlatformAdminGroupName}},
	}
}

// RequesterBinding grants ClusterRoleRequester to every authenticated user.
func RequesterBinding() *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: ClusterRoleRequester, Labels: merge(managedLabels, nil)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ClusterRoleRequester},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:authenticated"}},
	}
}

func merge(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func sortSelectors(s []metav1.LabelSelector) {
	key := func(sel metav1.LabelSelector) string {
		for k := range sel.MatchLabels {
			return k
		}
		return ""
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && key(s[j]) < key(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
