package platform

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// What naas itself may do: the rights of the identity naas runs as (its ServiceAccount under the Helm chart). This
// file is the one place they are written down: the chart renders them (charts/naas/files, written by `make
// generate`), and the integration tests run naas with exactly these rights (testenv.Options.AsServiceAccount), so
// a call naas starts making without a rule here fails the tests.

// Names of the objects naas installs by name, which its rights name too.
const (
	// WebhookConfigurationName names naas's MutatingWebhookConfiguration and ValidatingWebhookConfiguration.
	WebhookConfigurationName = "naas"
	// WebhookCertSecretName is the Secret, in the system namespace, with the webhook server's CA and serving
	// certificate.
	WebhookCertSecretName = "naas-webhook-certs"
	// PortalSessionKeySecretName is the Secret, in the system namespace, with the key every replica seals the
	// portal's session cookies with.
	PortalSessionKeySecretName = "naas-portal-session-key"
)

var (
	readVerbs     = []string{"get", "list", "watch"}
	manageVerbs   = []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	readAndCreate = []string{"get", "list", "watch", "create"}
)

// InstalledClusterRoleNames are the ClusterRoles naas installs (Objects).
func InstalledClusterRoleNames() []string {
	var names []string
	for _, obj := range Objects(Config{MutatingPolicies: true}) {
		if cr, ok := obj.(*rbacv1.ClusterRole); ok {
			names = append(names, cr.Name)
		}
	}
	return names
}

// boundClusterRoleNames are the ClusterRoles naas binds: the tenant roles in namespaces' RoleBindings, and the
// roles of the ClusterRoleBindings it installs.
func boundClusterRoleNames() []string {
	names := []string{ClusterRoleTenantAdmin, ClusterRoleTenantDeveloper, ClusterRoleTenantViewer}
	for _, obj := range Objects(Config{MutatingPolicies: true}) {
		if crb, ok := obj.(*rbacv1.ClusterRoleBinding); ok && !slices.Contains(names, crb.RoleRef.Name) {
			names = append(names, crb.RoleRef.Name)
		}
	}
	return names
}

// crdNames are naas's own CustomResourceDefinitions, which it installs and upgrades with --install-crds.
func crdNames() []string {
	g := naasv1alpha1.GroupVersion.Group
	return []string{"tenants." + g, "namespacetemplates." + g, "tiers." + g, "namespaceclaims." + g, "pricebooks." + g, "costpolicies." + g, "clusters." + g}
}

// OperatorRules are the cluster-wide rights naas needs, rule by rule with the reason. They name every resource
// and verb; there is no wildcard. Objects a NamespaceTemplate's manifests create need rights of their own
// (TemplateManifestRules), as do platform-specific additions.
func OperatorRules() []rbacv1.PolicyRule {
	g := naasv1alpha1.GroupVersion.Group
	return slices.Concat([]rbacv1.PolicyRule{
		// Its own kinds: cached and watched, the defaults seeded, claims' finalizers and status written.
		// The default PriceBook and CostPolicy are seeded with them; cost allocation reads them and writes the
		// CostPolicy's status. The Clusters of the fleet: "local" created at start, members' status kept,
		// finalizers for their removal.
		{APIGroups: []string{g}, Resources: []string{"tenants", "namespacetemplates", "tiers", "namespaceclaims", "pricebooks", "costpolicies", "clusters"}, Verbs: manageVerbs},
		{APIGroups: []string{g}, Resources: []string{"tenants/status", "namespacetemplates/status", "tiers/status", "namespaceclaims/status", "costpolicies/status", "clusters/status"},
			Verbs: []string{"get", "update", "patch"}},
		// Admission policy bindings are owned by their Tenant or Tier (garbage collected with it).
		{APIGroups: []string{g}, Resources: []string{"tenants/finalizers", "tiers/finalizers", "namespaceclaims/finalizers", "clusters/finalizers"}, Verbs: []string{"update"}},
	},
		bundleRules(),
		[]rbacv1.PolicyRule{
			tenantQuotaRule(),
			// Cost allocation prices what the nodes hold with the price books and the cost policy.
			{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: readVerbs},
			// Right-sizing reads the workloads' replicas and their pod templates' requests.
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets"}, Verbs: readVerbs},
			{APIGroups: []string{g}, Resources: []string{"pricebooks", "costpolicies"}, Verbs: readVerbs},
		},
		roleAndPolicyRules(),
		webhookConfigurationRules("validatingwebhookconfigurations", "mutatingwebhookconfigurations"),
		[]rbacv1.PolicyRule{
			// CRDs: watched as metadata for the add-ons a step needs; naas's own installed and upgraded at start.
			{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: readAndCreate},
			{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: []string{"update", "patch"}, ResourceNames: crdNames()},
		},
		addOnRules(),
		[]rbacv1.PolicyRule{
			// API Priority and Fairness: a priority level per tier and flow schemas per tenant (package fairness).
			// Per-tenant names again; PolicyControllerScope keeps naas to its own.
			{APIGroups: []string{"flowcontrol.apiserver.k8s.io"}, Resources: []string{"prioritylevelconfigurations", "flowschemas"}, Verbs: manageVerbs},
			// Events on claims, for kubectl describe (package namespaceclaim, events.k8s.io/v1 with its series patches).
			{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
			// The REST API and the portal act as their caller: every write they make is decided by RBAC and
			// admission for the caller's user and groups, not naas's. This is the one powerful right naas holds.
			{APIGroups: []string{""}, Resources: []string{"users", "groups"}, Verbs: []string{"impersonate"}},
		})
}

// bundleRules are the rights on namespaces and the objects of their bundles, on every cluster naas provisions on.
func bundleRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		// Namespaces: the inventory watches all of them (admission knows from memory whether one exists); the
		// claim controller creates, labels and deletes the ones it owns, and the system namespace.
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: manageVerbs},
		// The bundle of every namespace; config maps are also the namespaces' dashboards and, in the system
		// namespace, the tenants' admission ledgers.
		{APIGroups: []string{""}, Resources: []string{"resourcequotas", "limitranges", "configmaps"}, Verbs: manageVerbs},
		{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"rolebindings"}, Verbs: manageVerbs},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: manageVerbs},
	}
}

// roleAndPolicyRules are the rights on naas's ClusterRoles, their bindings and naas's admission policies, on every
// cluster naas provisions on.
func roleAndPolicyRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		// RoleBindings and ClusterRoleBindings to naas's roles (RBAC asks for bind on the role bound, unless the
		// binder holds all of its rights), and the roles themselves: escalate, because the tenant roles aggregate
		// admin, edit and view, and the platform admin role holds every verb on naas's kinds. Only on naas's own
		// roles.
		{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}, ResourceNames: boundClusterRoleNames()},
		{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, Verbs: []string{"escalate"}, ResourceNames: InstalledClusterRoleNames()},
		// Each tenant has a ClusterRole and ClusterRoleBinding of its own (TenantAccess), so the names are not
		// known in advance: RBAC cannot limit these verbs to naas's objects, and without escalate naas can only
		// write rules it holds itself. The admission policy PolicyControllerScope keeps naas to the ones labelled
		// as naas's.
		{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles", "clusterrolebindings"}, Verbs: manageVerbs},
		// Admission: naas's policies (per tenant and tier bindings, written by controllers), its webhook
		// configurations (patched with the CA bundle at every certificate check).
		{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{
			"validatingadmissionpolicies", "validatingadmissionpolicybindings",
			"mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
		}, Verbs: manageVerbs},
	}
}

// tenantQuotaRule lets naas count what tenants' namespaces hold, for the tenant-wide quota, on every cluster.
func tenantQuotaRule() rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods", "persistentvolumeclaims", "services"}, Verbs: readVerbs}
}

// webhookConfigurationRules are the rights on naas's webhook configurations of the resources given (named
// WebhookConfigurationName; create cannot be limited by name): patched with the CA bundle at every certificate
// check; on a member, the tenant quota's, deleted when no tenant has a tenant-wide quota.
func webhookConfigurationRules(resources ...string) []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: resources, Verbs: readAndCreate},
		{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: resources, Verbs: []string{"update", "patch", "delete"},
			ResourceNames: []string{WebhookConfigurationName}},
	}
}

// addOnRules are the rights on the add-on objects of templates' features (monitoring, gateway, TLS, mesh).
func addOnRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{"monitoring.coreos.com"}, Resources: []string{"prometheusrules", "alertmanagerconfigs"}, Verbs: manageVerbs},
		{APIGroups: []string{"gateway.networking.k8s.io"}, Resources: []string{"gateways"}, Verbs: manageVerbs},
		{APIGroups: []string{"cert-manager.io"}, Resources: []string{"certificates"}, Verbs: manageVerbs},
		{APIGroups: []string{"security.istio.io"}, Resources: []string{"peerauthentications", "authorizationpolicies"}, Verbs: manageVerbs},
	}
}

// TemplateManifestRules are the rights for the objects the default catalog's manifests create (config/samples).
// A platform whose templates create other kinds grants naas those as well (the chart's rbac.templateRules).
func TemplateManifestRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: manageVerbs},
	}
}

// ServiceAccountImpersonationRules let naas impersonate service accounts, which the REST API needs only for callers
// that authenticate as one (their user name is system:serviceaccount:<namespace>:<name>). Off by default: it lets
// naas act as any service account of the cluster, kube-system's too (the chart's rbac.impersonateServiceAccounts).
func ServiceAccountImpersonationRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}}}
}

// LeaderElectionLeaseName is the Lease in naas's namespace that the replica running the controllers holds.
const LeaderElectionLeaseName = "naas-controllers"

// SystemNamespaceRules are the rights naas needs in its own namespace only: the Secrets of the webhook certificates
// and of the portal's session key, the member clusters' kubeconfig Secrets (read by name, see below), the
// leader-election Lease and the Events leader election records. Secrets elsewhere are never read.
func SystemNamespaceRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		// create cannot be limited by name.
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "update", "patch"}, ResourceNames: []string{WebhookCertSecretName, PortalSessionKeySecretName}},
		// Clusters' kubeconfig Secrets: their names are the platform admin's choice (spec.kubeconfigSecretRef),
		// so get cannot be limited by name; only get, never list or watch, and only in this namespace.
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "update", "patch"}, ResourceNames: []string{LeaderElectionLeaseName}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	}
}

// KubeconfigReaderRoleName is the Role, in naas's namespace, that lets naas watch the kubeconfig Secrets of the
// member clusters, each by name, so that new credentials are used within seconds. Registration (cluster.Register)
// adds each Secret's name to it; the chart binds it to naas's ServiceAccount and leaves its rules to registration.
const KubeconfigReaderRoleName = "naas-cluster-kubeconfigs"

// KubeconfigReaderRules are the rules of KubeconfigReaderRoleName for the Secrets named: get, list and watch of
// those Secrets only. The API server authorizes a list or watch with the field selector metadata.name=<name> as a
// request for that name, so naas watches each Secret alone and never lists its namespace's Secrets. No names, no
// rule: a rule without resourceNames would grant every Secret.
func KubeconfigReaderRules(secrets []string) []rbacv1.PolicyRule {
	if len(secrets) == 0 {
		return nil
	}
	names := slices.Clone(secrets)
	slices.Sort(names)
	return []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: readVerbs, ResourceNames: slices.Compact(names)}}
}

// OperatorClusterRole is the ClusterRole named name with OperatorRules, TemplateManifestRules and extra.
func OperatorClusterRole(name string, extra ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	rules := append(append(OperatorRules(), TemplateManifestRules()...), extra...)
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules:      rules,
	}
}

// SystemNamespaceRole is the Role named name, in namespace, with SystemNamespaceRules.
func SystemNamespaceRole(namespace, name string) *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Rules:      SystemNamespaceRules(),
	}
}
