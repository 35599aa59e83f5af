package platform

import (
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Workload policy names. The guardrails hold in every naas namespace; the tenant and tier policies take their
// Tenant or Tier as parameter and are bound once per tenant and per tier (see TenantBinding and TierBinding),
// each binding selecting the namespaces of its tenant or tier by label.
const (
	PolicyWorkloadGuardrails      = "naas-workload-guardrails"
	PolicyReservedNamespaceLabels = "naas-reserved-namespace-labels"
	PolicyTenantWorkloads         = "naas-tenant-workloads"
	PolicyTierWorkloads           = "naas-tier-workloads"
)

// LabelPolicyFor is set on the per-tenant and per-tier bindings: "tenant.<name>" or "tier.<name>".
const LabelPolicyFor = "naas.dev/policy-for"

// Binding name prefixes.
const (
	tenantBindingPrefix = "naas-tenant-"
	tierBindingPrefix   = "naas-tier-"
)

// workloadResources are the pod-making resources whose pod templates the workload policies check, so that a
// bad Deployment is refused when it is applied rather than failing to make pods later.
var workloadResources = []struct{ group, resource string }{
	{"apps", "deployments"}, {"apps", "replicasets"}, {"apps", "statefulsets"}, {"apps", "daemonsets"},
	{"batch", "jobs"}, {"batch", "cronjobs"}, {"", "replicationcontrollers"},
}

var createUpdate = []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}

func podRules() []admissionregistrationv1.NamedRuleWithOperations {
	rules := []admissionregistrationv1.NamedRuleWithOperations{
		rule("", createUpdate, "pods"),
		rule("", []admissionregistrationv1.OperationType{admissionregistrationv1.Update}, "pods/ephemeralcontainers"),
	}
	for _, w := range workloadResources {
		rules = append(rules, rule(w.group, createUpdate, w.resource))
	}
	return rules
}

// podSpecExpression is the pod spec of a pod or of a pod-making object's pod template.
const podSpecExpression = "request.resource.resource == 'pods' ? object.spec : " +
	"request.resource.resource == 'cronjobs' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec"

// podVariables give every pod-making object's pod spec and containers (init and ephemeral included) the same
// names, so one expression covers pods, Deployments, CronJobs and the rest.
var podVariables = []admissionregistrationv1.Variable{
	{Name: "isPodMaker", Expression: "request.resource.resource != 'services'"},
	// Only read through the variables below, which look at it for pod makers alone.
	{Name: "podSpec", Expression: podSpecExpression},
	{Name: "containers", Expression: "!variables.isPodMaker ? [] : variables.podSpec.containers + " +
		"(has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : [])"},
	{Name: "allContainers", Expression: "!variables.isPodMaker ? [] : variables.containers + " +
		"(has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])"},
	{Name: "what", Expression: "request.resource.resource.substring(0, size(request.resource.resource) - 1) + ' ' + " +
		"(has(object.metadata.name) && object.metadata.name != '' ? object.metadata.name : object.metadata.generateName + '*')"},
}

func managedNamespaceSelector(extra map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: merge(map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}, extra)}
}

func forbidden() *metav1.StatusReason { return ptr.To(metav1.StatusReasonForbidden) }

// WorkloadPolicies returns the workload admission policies and the bindings of the guardrails. The bindings
// of the tenant and tier policies are made per tenant and per tier.
func WorkloadPolicies(cfg Config) []runtime.Object {
	guardrails := vap(PolicyWorkloadGuardrails, &admissionregistrationv1.MatchResources{
		NamespaceSelector: managedNamespaceSelector(nil),
		ResourceRules:     append(podRules(), rule("", createUpdate, "services")),
	}, nil, []admissionregistrationv1.Validation{
		{
			Expression: "request.resource.resource != 'services' || !has(object.spec.type) || object.spec.type != 'NodePort'",
			Message:    "NodePort services are not allowed in naas namespaces: use a ClusterIP service behind the platform gateway, or a LoadBalancer where the tier allows one",
			MessageExpression: "'service ' + object.metadata.name + ' has type NodePort, which naas namespaces do not allow (it opens a port on every node for every tenant): " +
				"use type ClusterIP behind the platform gateway, or type LoadBalancer where the tier allows one'",
			Reason: forbidden(),
		},
		{
			// CVE-2020-8554: kube-proxy sends traffic for a service's external IPs to the service's pods, from
			// every pod and node of the cluster, whoever owns the address. An update may keep the addresses a
			// service already has (as kube-apiserver's DenyServiceExternalIPs does), so that services made
			// before the rule can still be changed.
			Expression: "request.resource.resource != 'services' || !has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0 || " +
				"(request.operation == 'UPDATE' && has(oldObject.spec.externalIPs) && object.spec.externalIPs.all(ip, ip in oldObject.spec.externalIPs))",
			Message: "services with spec.externalIPs are not allowed in naas namespaces: remove spec.externalIPs and use a ClusterIP service behind the platform gateway, " +
				"or a LoadBalancer where the tier allows one",
			MessageExpression: "'service ' + object.metadata.name + ' sets spec.externalIPs (' + object.spec.externalIPs.join(', ') + '), which naas namespaces do not allow: " +
				"an external IP makes kube-proxy send traffic for that address, from every pod and node of the cluster, to this service (CVE-2020-8554); " +
				"remove spec.externalIPs and use type ClusterIP behind the platform gateway, or type LoadBalancer where the tier allows one'",
			Reason: forbidden(),
		},
		{
			Expression: "variables.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))",
			Message:    "host ports are not allowed in naas namespaces: remove hostPort from the container ports and expose the pod with a Service",
			MessageExpression: "variables.what + ': container ' + variables.containers.filter(c, has(c.ports) && c.ports.exists(p, has(p.hostPort) && p.hostPort != 0))[0].name + " +
				"' asks for a host port, which naas namespaces do not allow (it binds a port of the node): remove hostPort and expose the pod with a Service'",
			Reason: forbidden(),
		},
	})
	guardrails.Spec.Variables = podVariables

	// A naas label is new when the namespace is created with it, or an update adds or changes it. Labels the
	// namespace already had may stay (naas's own namespaces are guarded by naas-protect-namespace-labels).
	newNaasLabel := "(k.startsWith('naas.dev/') || (k == 'app.kubernetes.io/managed-by' && object.metadata.labels[k] == 'naas')) && " +
		"!(request.operation == 'UPDATE' && has(oldObject.metadata.labels) && k in oldObject.metadata.labels && oldObject.metadata.labels[k] == object.metadata.labels[k])"
	reservedLabels := vap(PolicyReservedNamespaceLabels, &admissionregistrationv1.MatchResources{
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{rule("", createUpdate, "namespaces")},
	}, []admissionregistrationv1.MatchCondition{
		{Name: "not-exempt", Expression: exemptExpression(cfg)},
		// Updates of naas's own namespaces are for naas-protect-namespace-labels, which says more.
		{Name: "not-a-naas-namespace", Expression: "request.operation == 'CREATE' || !(" + fmt.Sprintf(managedByNaas, "oldObject") + ")"},
	}, []admissionregistrationv1.Validation{{
		Expression: "!has(object.metadata.labels) || !object.metadata.labels.exists(k, " + newNaasLabel + ")",
		Message:    "the labels naas.dev/* and app.kubernetes.io/managed-by=naas are reserved for naas and platform admins: ask for a namespace with a NamespaceClaim",
		MessageExpression: "'namespace ' + object.metadata.name + ' would carry ' + object.metadata.labels.filter(k, " + newNaasLabel + ").join(', ') + " +
			"', reserved for naas and platform admins (they mark naas namespaces and shared services): remove them, or ask for a namespace with a NamespaceClaim'",
		Reason: forbidden(),
	}})

	return []runtime.Object{
		guardrails, binding(PolicyWorkloadGuardrails),
		reservedLabels, binding(PolicyReservedNamespaceLabels),
		tenantWorkloadPolicy(cfg),
		tierWorkloadPolicy(),
	}
}

// tenantWorkloadPolicy takes the Tenant as parameter: a cordoned tenant starts no new workloads (the cluster's
// controllers may still replace the pods of running ones), and its pods pull only from its allowed registries.
func tenantWorkloadPolicy(cfg Config) *admissionregistrationv1.ValidatingAdmissionPolicy {
	p := vap(PolicyTenantWorkloads, &admissionregistrationv1.MatchResources{
		NamespaceSelector: managedNamespaceSelector(nil),
		ResourceRules:     podRules(),
	}, nil, []admissionregistrationv1.Validation{
		{
			Expression: "request.operation != 'CREATE' || !has(params.spec.cordoned) || !params.spec.cordoned || !(" + exemptExpression(cfg) + ")",
			Message:    "the tenant is cordoned and starts no new workloads; what runs keeps running: ask a platform admin to uncordon it",
			MessageExpression: "'tenant ' + params.metadata.name + ' is cordoned (spec.cordoned): it starts no new workloads, and what runs keeps running; " +
				"' + variables.what + ' was not created: ask a platform admin to uncordon the tenant'",
			Reason: forbidden(),
		},
		{
			Expression: "!has(params.spec.allowedRegistries) || size(params.spec.allowedRegistries) == 0 || " +
				"variables.allContainers.all(c, params.spec.allowedRegistries.exists(r, c.image.startsWith(r)))",
			Message: "an image is not from a registry the tenant allows (spec.allowedRegistries): use an image from one of them",
			MessageExpression: "variables.what + ': image ' + variables.allContainers.filter(c, !params.spec.allowedRegistries.exists(r, c.image.startsWith(r)))[0].image + " +
				"' is not from a registry tenant ' + params.metadata.name + ' allows; images must start with one of: ' + params.spec.allowedRegistries.join(', ')",
			Reason: forbidden(),
		},
	})
	p.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: naasv1alpha1.GroupVersion.String(), Kind: "Tenant"}
	p.Spec.Variables = podVariables
	return p
}

// tierWorkloadPolicy takes the Tier as parameter: image pull policy Always unless the tier turns it off (set by
// PolicyTierPullAlways or naas's webhook before this runs, so what it refuses is Never),
// resource requests where the tier requires them (LimitRange defaults count: they are applied first), and no
// LoadBalancer services in tiers whose quota allows none. Tiers that allow some are held to their count by the
// namespace's ResourceQuota (services.loadbalancers), which counts exactly.
func tierWorkloadPolicy() *admissionregistrationv1.ValidatingAdmissionPolicy {
	p := vap(PolicyTierWorkloads, &admissionregistrationv1.MatchResources{
		NamespaceSelector: managedNamespaceSelector(nil),
		ResourceRules:     append(podRules(), rule("", createUpdate, "services")),
	}, nil, []admissionregistrationv1.Validation{
		{
			Expression: "!variables.pullAlways || variables.allContainers.all(c, has(c.imagePullPolicy) && c.imagePullPolicy == 'Always')",
			Message: "the tier requires imagePullPolicy Always on every container (spec.workloadPolicy.imagePullPolicyAlways); naas sets it where " +
				"imagePullPolicy is unset or IfNotPresent, and refuses Never: set imagePullPolicy: Always, or leave it out",
			MessageExpression: "variables.what + ': container ' + variables.allContainers.filter(c, !has(c.imagePullPolicy) || c.imagePullPolicy != 'Always')[0].name + " +
				"' has imagePullPolicy ' + (has(variables.allContainers.filter(c, !has(c.imagePullPolicy) || c.imagePullPolicy != 'Always')[0].imagePullPolicy) ? " +
				"variables.allContainers.filter(c, !has(c.imagePullPolicy) || c.imagePullPolicy != 'Always')[0].imagePullPolicy : 'unset') + " +
				"'; tier ' + params.metadata.name + ' requires imagePullPolicy: Always, so that no pod runs an image another tenant pulled onto the node " +
				"(naas sets Always where imagePullPolicy is unset or IfNotPresent, never over Never): set imagePullPolicy: Always, or leave it out'",
			Reason: forbidden(),
		},
		{
			Expression: "!variables.requireRequests || variables.containers.all(c, " +
				"['cpu', 'memory'].all(r, (has(c.resources) && has(c.resources.requests) && r in c.resources.requests) || r in variables.defaultRequests))",
			Message: "the tier requires cpu and memory requests on every container (spec.workloadPolicy.requireResourceRequests): set resources.requests.cpu and resources.requests.memory",
			MessageExpression: "variables.what + ': container ' + variables.containers.filter(c, !['cpu', 'memory'].all(r, " +
				"(has(c.resources) && has(c.resources.requests) && r in c.resources.requests) || r in variables.defaultRequests))[0].name + " +
				"' sets no cpu or memory request; tier ' + params.metadata.name + ' requires both: set resources.requests.cpu and resources.requests.memory'",
			Reason: forbidden(),
		},
		{
			Expression: "request.resource.resource != 'services' || !has(object.spec.type) || object.spec.type != 'LoadBalancer' || !variables.noLoadBalancers",
			Message:    "the tier allows no LoadBalancer services (spec.quota services.loadbalancers is 0): use type ClusterIP behind the platform gateway",
			MessageExpression: "'service ' + object.metadata.name + ' has type LoadBalancer, but tier ' + params.metadata.name + " +
				"' allows no load balancers (spec.quota services.loadbalancers: 0): use type ClusterIP behind the platform gateway, or ask for a tier that allows load balancers'",
			Reason: forbidden(),
		},
	})
	p.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: naasv1alpha1.GroupVersion.String(), Kind: "Tier"}
	p.Spec.Variables = append(append([]admissionregistrationv1.Variable{}, podVariables...),
		admissionregistrationv1.Variable{Name: "pullAlways", Expression: "variables.isPodMaker && (!has(params.spec.workloadPolicy) || " +
			"!has(params.spec.workloadPolicy.imagePullPolicyAlways) || params.spec.workloadPolicy.imagePullPolicyAlways)"},
		admissionregistrationv1.Variable{Name: "requireRequests", Expression: "variables.isPodMaker && has(params.spec.workloadPolicy) && " +
			"has(params.spec.workloadPolicy.requireResourceRequests) && params.spec.workloadPolicy.requireResourceRequests"},
		admissionregistrationv1.Variable{Name: "defaultRequests", Expression: "has(params.spec.limitRange) && has(params.spec.limitRange.defaultRequest) ? " +
			"params.spec.limitRange.defaultRequest : {}"},
		admissionregistrationv1.Variable{Name: "noLoadBalancers", Expression: "has(params.spec.quota) && 'services.loadbalancers' in params.spec.quota && " +
			"!quantity(string(params.spec.quota['services.loadbalancers'])).isGreaterThan(quantity('0'))"},
	)
	return p
}

// TenantBindingName is the name of the binding of the tenant workload policy for a tenant.
func TenantBindingName(tenant string) string { return tenantBindingPrefix + tenant }

// TierBindingName is the name of the binding of the tier workload policy for a tier.
func TierBindingName(tier string) string { return tierBindingPrefix + tier }

// TenantBinding binds the tenant workload policy to the namespaces of tenant t, with t as parameter.
func TenantBinding(t *naasv1alpha1.Tenant) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	b := paramBinding(TenantBindingName(t.Name), PolicyTenantWorkloads, "tenant."+t.Name, t.Name,
		map[string]string{naasv1alpha1.LabelTenant: t.Name})
	b.OwnerReferences = []metav1.OwnerReference{ownerRef(t, "Tenant")}
	return b
}

// TierBinding binds the tier workload policy to the namespaces of tier t, with t as parameter.
func TierBinding(t *naasv1alpha1.Tier) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	b := paramBinding(TierBindingName(t.Name), PolicyTierWorkloads, "tier."+t.Name, t.Name,
		map[string]string{naasv1alpha1.LabelTier: t.Name})
	b.OwnerReferences = []metav1.OwnerReference{ownerRef(t, "Tier")}
	return b
}

// ownerRef lets the garbage collector delete a binding with its Tenant or Tier (both cluster-scoped).
func ownerRef(o metav1.Object, kind string) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: naasv1alpha1.GroupVersion.String(), Kind: kind, Name: o.GetName(), UID: o.GetUID(), Controller: ptr.To(true),
	}
}

func paramBinding(name, policy, policyFor, param string, selector map[string]string) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	b := binding(policy)
	b.Name = name
	b.Labels[LabelPolicyFor] = policyFor
	b.Spec.ParamRef = &admissionregistrationv1.ParamRef{
		Name: param,
		// A binding outliving its parameter for a moment (the garbage collector removes it) fails closed.
		ParameterNotFoundAction: ptr.To(admissionregistrationv1.DenyAction),
	}
	b.Spec.MatchResources = &admissionregistrationv1.MatchResources{NamespaceSelector: managedNamespaceSelector(selector)}
	return b
}
