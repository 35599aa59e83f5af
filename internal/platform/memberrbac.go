package platform

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// MemberRules are the cluster-wide rights naas needs on a member cluster, rule by rule: what the Cluster
// controller keeps there (MemberObjects), what the claim controller provisions there (the namespaces and their
// bundles), and what status and the tenant-wide quota's count read. Less than OperatorRules: on a member naas
// keeps only the tenant quota's webhook configuration, impersonates no one (the REST API runs on the management
// cluster), records no Events and keeps no claims, templates or Clusters.
func MemberRules() []rbacv1.PolicyRule {
	g := naasv1alpha1.GroupVersion.Group
	return slices.Concat([]rbacv1.PolicyRule{
		// The Tenants and Tiers mirrored there, the parameters of the member's admission policies.
		{APIGroups: []string{g}, Resources: []string{"tenants", "tiers"}, Verbs: manageVerbs},
		// Their CRDs, installed and upgraded when the member is registered (MemberCRDNames).
		{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: readAndCreate},
		{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: []string{"update", "patch"}, ResourceNames: MemberCRDNames()},
	},
		// The namespaces and their bundles, naas's roles, their bindings and admission policies, as on the
		// management cluster; PolicyControllerScope, installed there too, keeps naas's identity to its own.
		bundleRules(), roleAndPolicyRules(),
		[]rbacv1.PolicyRule{
			{APIGroups: []string{"flowcontrol.apiserver.k8s.io"}, Resources: []string{"prioritylevelconfigurations", "flowschemas"}, Verbs: manageVerbs},
		},
		// The add-on objects of templates' features, where the member serves them.
		addOnRules(),
		[]rbacv1.PolicyRule{
			// The Cluster's status.allocatable sums its nodes'.
			{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: readVerbs},
			// The tenant-wide quota counts what tenants' namespaces there hold.
			tenantQuotaRule(),
		},
		// The members' API servers call naas's tenant quota webhook (MemberObjects).
		webhookConfigurationRules("validatingwebhookconfigurations"),
		TemplateManifestRules())
}

// MemberRBAC are the objects that give naas's identity on a member its rights (`naas member-rbac`): the namespace
// and the ServiceAccount named name, a ClusterRole named name with MemberRules and extra, and its binding. The
// platform admin registers the member with a token of that ServiceAccount.
func MemberRBAC(namespace, name string, extra ...rbacv1.PolicyRule) []runtime.Object {
	typed := func(apiVersion, kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
	}
	labels := map[string]string{"app.kubernetes.io/name": "naas", "app.kubernetes.io/component": "member"}
	rbacVersion := rbacv1.SchemeGroupVersion.String()
	return []runtime.Object{
		&corev1.Namespace{TypeMeta: typed("v1", "Namespace"), ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: labels}},
		&corev1.ServiceAccount{TypeMeta: typed("v1", "ServiceAccount"), ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels}},
		&rbacv1.ClusterRole{TypeMeta: typed(rbacVersion, "ClusterRole"), ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Rules: append(MemberRules(), extra...)},
		&rbacv1.ClusterRoleBinding{TypeMeta: typed(rbacVersion, "ClusterRoleBinding"), ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}}},
	}
}
