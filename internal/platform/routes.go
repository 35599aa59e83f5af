package platform

import (
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Admission policies of hostnames, gateways and the mesh.
const (
	// PolicyRouteHostnames admits a Gateway API route in a naas namespace only when every hostname it names is
	// one of the namespace's (the naas.dev/hostnames annotation), so that no tenant takes another's traffic.
	PolicyRouteHostnames = "naas-route-hostnames"
	// PolicyGatewayHostnames holds the listeners of Gateways and ListenerSets in naas namespaces to the same rule.
	PolicyGatewayHostnames = "naas-gateway-hostnames"
	// PolicyProtectNetworkingObjects keeps tenant users from changing the Gateway and mesh policies naas made.
	PolicyProtectNetworkingObjects = "naas-protect-networking-objects"
	// PolicyProtectNamespaceNetworking keeps tenant users from changing a naas namespace's hostnames and the
	// tenants it lets in.
	PolicyProtectNamespaceNetworking = "naas-protect-namespace-networking"
)

// Tenant ClusterRoles of the Gateway API and the mesh, aggregated into the tenant roles.
const (
	ClusterRoleTenantRoutes         = "naas:tenant-routes"
	ClusterRoleTenantNetworkingView = "naas:tenant-networking-view"
)

// routeResources are every Gateway API route kind. TCP and UDP routes name no hostnames, so in a naas namespace
// they are always refused: nothing would stop them from taking another namespace's port.
var routeResources = []string{"httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"}

const gatewayGroup = "gateway.networking.k8s.io"

// hostnameVariables are the namespace's hostnames and whether a hostname is one of them: equal to one, or under a
// wildcard one (domains.Covers in CEL).
var hostnameVariables = []admissionregistrationv1.Variable{
	{Name: "hostnames", Expression: "has(namespaceObject.metadata.annotations) && " +
		"'" + naasv1alpha1.AnnotationHostnames + "' in namespaceObject.metadata.annotations && " +
		"namespaceObject.metadata.annotations['" + naasv1alpha1.AnnotationHostnames + "'] != '' ? " +
		"namespaceObject.metadata.annotations['" + naasv1alpha1.AnnotationHostnames + "'].split(',') : []"},
	{Name: "held", Expression: "variables.hostnames.size() == 0 ? 'none' : variables.hostnames.join(', ')"},
	{Name: "kind", Expression: "object.kind + ' ' + object.metadata.name"},
}

// covered is the CEL test of hostname h against the namespace's hostnames.
func covered(h string) string {
	return fmt.Sprintf("variables.hostnames.exists(n, n == %[1]s || (n.startsWith('*.') && %[1]s.endsWith(n.substring(1))))", h)
}

// RoutePolicies returns the admission policies of routes, gateways and mesh objects, with their bindings. They
// match kinds of CRDs a cluster may not have; the API server applies them once the CRDs are installed.
func RoutePolicies(cfg Config) []runtime.Object {
	managedNamespaces := managedNamespaceSelector(nil)
	createUpdate := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}

	routes := vap(PolicyRouteHostnames, &admissionregistrationv1.MatchResources{
		NamespaceSelector: managedNamespaces,
		ResourceRules:     []admissionregistrationv1.NamedRuleWithOperations{rule(gatewayGroup, createUpdate, routeResources...)},
	}, nil, []admissionregistrationv1.Validation{
		{
			Expression: "has(object.spec.hostnames) && size(object.spec.hostnames) > 0",
			Message: "routes in naas namespaces must name their hostnames (spec.hostnames), among the namespace's: " +
				"set spec.hostnames (TCP and UDP routes, which cannot, are not allowed)",
			MessageExpression: "variables.kind + ' names no hostnames; a route in naas namespace ' + request.namespace + " +
				"' must name some of the namespace\\'s hostnames (' + variables.held + ') in spec.hostnames, so that it takes no other namespace\\'s traffic' + " +
				"(object.kind == 'TCPRoute' || object.kind == 'UDPRoute' ? ': ' + object.kind + 's have no hostnames and are not allowed in naas namespaces' : '')",
			Reason: forbidden(),
		},
		{
			Expression: "!has(object.spec.hostnames) || object.spec.hostnames.all(h, " + covered("h") + ")",
			Message: "a route names a hostname its namespace does not hold: use the namespace's hostnames (its claim's " +
				"status.hostnames), or ask a tenant admin to add the hostname to the claim's spec.hostnames",
			MessageExpression: "variables.kind + ' names ' + object.spec.hostnames.filter(h, !" + covered("h") + ").join(', ') + " +
				"', which namespace ' + request.namespace + ' does not hold; its hostnames are: ' + variables.held + " +
				"'. Use those, or ask a tenant admin to add the hostname to the NamespaceClaim\\'s spec.hostnames'",
			Reason: forbidden(),
		},
	})
	routes.Spec.Variables = hostnameVariables

	gateways := vap(PolicyGatewayHostnames, &admissionregistrationv1.MatchResources{
		NamespaceSelector: managedNamespaces,
		ResourceRules:     []admissionregistrationv1.NamedRuleWithOperations{rule(gatewayGroup, createUpdate, "gateways", "listenersets")},
	}, nil, []admissionregistrationv1.Validation{{
		Expression: "!has(object.spec.listeners) || object.spec.listeners.all(l, has(l.hostname) && " + covered("l.hostname") + ")",
		Message: "every listener of a gateway in a naas namespace must name a hostname of the namespace: set listeners[].hostname " +
			"to one of the namespace's hostnames (its claim's status.hostnames)",
		MessageExpression: "variables.kind + ': listener ' + object.spec.listeners.filter(l, !has(l.hostname) || !" + covered("l.hostname") + ")[0].name + " +
			"' must name a hostname of namespace ' + request.namespace + ' (' + variables.held + '), so that it takes no other namespace\\'s traffic'",
		Reason: forbidden(),
	}})
	gateways.Spec.Variables = hostnameVariables

	exempt := []admissionregistrationv1.MatchCondition{{Name: "not-exempt", Expression: exemptExpression(cfg)}}
	protectObjects := vap(PolicyProtectNetworkingObjects, &admissionregistrationv1.MatchResources{
		NamespaceSelector: managedNamespaces,
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule(gatewayGroup, allWrites, "gateways"),
			rule("security.istio.io", allWrites, "peerauthentications", "authorizationpolicies"),
		},
	}, exempt, []admissionregistrationv1.Validation{
		{
			Expression: "request.operation == 'CREATE' || !(" + fmt.Sprintf(managedByNaas, "oldObject") + ")",
			Message:    "the gateway and mesh policies naas made are managed by naas: ask a platform admin to change the template instead",
			MessageExpression: "request.resource.resource + ' ' + request.name + ' in namespace ' + request.namespace + " +
				"' is managed by naas and cannot be changed or deleted by tenant users: ask a platform admin to change the template instead'",
			Reason: forbidden(),
		},
		{
			Expression: "request.operation == 'DELETE' || !(" + fmt.Sprintf(managedByNaas, "object") + ")",
			Message:    "the label app.kubernetes.io/managed-by=naas is reserved for naas: remove it",
			MessageExpression: "'the label app.kubernetes.io/managed-by=naas is reserved for naas; remove it from ' + " +
				"request.resource.resource + ' ' + request.name",
			Reason: forbidden(),
		},
	})

	ingressLabel := "k.startsWith('" + naasv1alpha1.LabelIngressFromPrefix + "')"
	annotations := func(o string) string {
		return fmt.Sprintf("(has(%[1]s.metadata.annotations) && '%[2]s' in %[1]s.metadata.annotations ? %[1]s.metadata.annotations['%[2]s'] : '')",
			o, naasv1alpha1.AnnotationHostnames)
	}
	labelsOf := func(o string) string {
		return fmt.Sprintf("(has(%[1]s.metadata.labels) ? %[1]s.metadata.labels : {})", o)
	}
	protectNamespaces := vap(PolicyProtectNamespaceNetworking, &admissionregistrationv1.MatchResources{
		ObjectSelector: managedNamespaces,
		ResourceRules:  []admissionregistrationv1.NamedRuleWithOperations{rule("", []admissionregistrationv1.OperationType{admissionregistrationv1.Update}, "namespaces")},
	}, exempt, []admissionregistrationv1.Validation{
		{
			Expression: annotations("object") + " == " + annotations("oldObject"),
			Message:    "the hostnames of a naas namespace (annotation " + naasv1alpha1.AnnotationHostnames + ") are set by naas: change the NamespaceClaim's spec.hostnames instead",
			Reason:     forbidden(),
		},
		{
			Expression: labelsOf("oldObject") + ".all(k, !" + ingressLabel + " || (k in " + labelsOf("object") + " && " + labelsOf("object") + "[k] == " + labelsOf("oldObject") + "[k])) && " +
				labelsOf("object") + ".all(k, !" + ingressLabel + " || k in " + labelsOf("oldObject") + ")",
			Message: "the tenants a naas namespace lets in (labels " + naasv1alpha1.LabelIngressFromPrefix + "<tenant>) are set by naas: " +
				"change the NamespaceClaim's spec.collaborators instead",
			Reason: forbidden(),
		},
	})

	return []runtime.Object{
		routes, binding(PolicyRouteHostnames),
		gateways, binding(PolicyGatewayHostnames),
		protectObjects, binding(PolicyProtectNetworkingObjects),
		protectNamespaces, binding(PolicyProtectNamespaceNetworking),
	}
}

// NetworkingRoles are the tenant ClusterRoles of the Gateway API and the mesh: developers and admins manage routes
// (the Gateway itself is naas's), and every member reads gateways, routes, listener sets, reference grants and
// the mesh policies. Each is aggregated into the tenant roles by their naas.dev/aggregate-to-tenant-* labels.
func NetworkingRoles() []*rbacv1.ClusterRole {
	read := []string{"get", "list", "watch"}
	write := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	aggregate := func(roles ...string) map[string]string {
		out := map[string]string{}
		for _, r := range roles {
			out[aggregateLabelPrefix+r] = "true"
		}
		return out
	}
	return []*rbacv1.ClusterRole{
		clusterRole(ClusterRoleTenantRoutes, []rbacv1.PolicyRule{
			{APIGroups: []string{gatewayGroup}, Resources: routeResources, Verbs: write},
		}, nil, aggregate("admin", "developer")),
		clusterRole(ClusterRoleTenantNetworkingView, []rbacv1.PolicyRule{
			{APIGroups: []string{gatewayGroup}, Resources: append([]string{"gateways", "listenersets", "referencegrants"}, routeResources...), Verbs: read},
			{APIGroups: []string{"security.istio.io"}, Resources: []string{"peerauthentications", "authorizationpolicies"}, Verbs: read},
			{APIGroups: []string{"cert-manager.io"}, Resources: []string{"certificates"}, Verbs: read},
		}, nil, aggregate("admin", "developer", "viewer")),
	}
}

// networkingObjects are the cluster-wide objects of hostnames, gateways and the mesh.
func networkingObjects(cfg Config) []runtime.Object {
	var objs []runtime.Object
	for _, cr := range NetworkingRoles() {
		objs = append(objs, cr)
	}
	return append(objs, RoutePolicies(cfg)...)
}
