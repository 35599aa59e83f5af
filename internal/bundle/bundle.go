package bundle

import (
	"errors"
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Names of the objects Build creates in every namespace. They are fixed so that the controller finds its
// objects again without listing, and template manifests may not use them.
const (
	// QuotaName is the ResourceQuota holding the tier's quota.
	QuotaName = "naas-quota"
	// LimitRangeName is the LimitRange holding the tier's container defaults and bounds.
	LimitRangeName = "naas-limits"

	// AdminBindingName binds the tenant's admins to ClusterRoleAdmin.
	AdminBindingName = "naas-admin"
	// DeveloperBindingName binds the tenant's developers to ClusterRoleDeveloper.
	DeveloperBindingName = "naas-developer"
	// ViewerBindingName binds the tenant's viewers to ClusterRoleViewer.
	ViewerBindingName = "naas-viewer"

	// ClusterRoleAdmin is the ClusterRole a tenant admin gets in each namespace of the tenant.
	ClusterRoleAdmin = "naas:tenant-admin"
	// ClusterRoleDeveloper is the ClusterRole a tenant developer gets in each namespace of the tenant.
	ClusterRoleDeveloper = "naas:tenant-developer"
	// ClusterRoleViewer is the ClusterRole a tenant viewer gets in each namespace of the tenant.
	ClusterRoleViewer = "naas:tenant-viewer"

	// PolicyDefaultDeny denies all ingress and egress not allowed by another policy.
	PolicyDefaultDeny = "naas-default-deny"
	// PolicySameTenant allows traffic to and from the tenant's other namespaces.
	PolicySameTenant = "naas-allow-same-tenant"
	// PolicySharedServices allows ingress on TCP 443 from shared-services namespaces and, unless the template's
	// network profile is restricted, egress to them.
	PolicySharedServices = "naas-allow-shared-services"
	// PolicyDNS allows DNS egress to the cluster DNS namespace.
	PolicyDNS = "naas-allow-dns"
	// PolicyHTTPSEgress allows egress on TCP 443 anywhere, for templates that ask for it.
	PolicyHTTPSEgress = "naas-allow-https-egress"
)

// LabelDeletionProtection on a namespace mirrors its claim's spec.deletionProtection ("true"): an admission
// policy refuses to delete a namespace that carries it, whether naas runs or not.
const LabelDeletionProtection = "naas.dev/deletion-protection"

// Pod Security Admission labels set on every namespace.
const (
	LabelPodSecurityEnforce        = "pod-security.kubernetes.io/enforce"
	LabelPodSecurityEnforceVersion = "pod-security.kubernetes.io/enforce-version"
	LabelPodSecurityWarn           = "pod-security.kubernetes.io/warn"
	LabelPodSecurityAudit          = "pod-security.kubernetes.io/audit"
)

// DefaultDNSNamespace is where the cluster DNS runs unless Config says otherwise.
const DefaultDNSNamespace = "kube-system"

// Config holds the cluster facts the bundle depends on. The zero value uses the defaults.
type Config struct {
	// SharedServicesLabel marks namespaces allowed to reach every tenant on port 443 (label value "true").
	// Default: naasv1alpha1.LabelSharedServices.
	SharedServicesLabel string
	// DNSNamespace is the namespace of the cluster DNS. Default: DefaultDNSNamespace.
	DNSNamespace string
	// PortalURL is the base URL of the naas portal, e.g. https://naas.example.com: every alert links to its
	// template's runbook there. Required for templates that turn monitoring on.
	PortalURL string
	// GrafanaURL is the base URL of the Grafana that loads the namespaces' dashboards; empty when there is
	// none, and then claims link no dashboard.
	GrafanaURL string
	// MonitoringLabels are added to the labels of the monitoring objects, for the selectors of the cluster's
	// Prometheus and Alertmanager, e.g. release: kube-prometheus-stack. naas's own labels win over these.
	MonitoringLabels map[string]string

	// BaseDomain is the platform's base domain, such as apps.example.com: a tenant that declares no spec.domains
	// owns <tenant>.<BaseDomain>. Empty means such tenants own no domain, and their namespaces get no default
	// hostname.
	BaseDomain string
	// GatewayClassName is the GatewayClass of the namespaces' Gateways. Default: DefaultGatewayClassName.
	GatewayClassName string
	// ClusterIssuer is the cert-manager ClusterIssuer that issues the certificates of the Gateways' HTTPS
	// listeners. Default: DefaultClusterIssuer.
	ClusterIssuer string
	// MeshMode is how a namespace joins the Istio mesh: sidecar injection or ambient. Default: MeshSidecar.
	MeshMode MeshMode
	// MeshTrustDomain is the Istio trust domain of workload identities, used for the gateway's principal.
	// Default: DefaultMeshTrustDomain.
	MeshTrustDomain string
}

func (c Config) withDefaults() Config {
	if c.SharedServicesLabel == "" {
		c.SharedServicesLabel = naasv1alpha1.LabelSharedServices
	}
	if c.DNSNamespace == "" {
		c.DNSNamespace = DefaultDNSNamespace
	}
	if c.GatewayClassName == "" {
		c.GatewayClassName = DefaultGatewayClassName
	}
	if c.ClusterIssuer == "" {
		c.ClusterIssuer = DefaultClusterIssuer
	}
	if c.MeshMode == "" {
		c.MeshMode = MeshSidecar
	}
	if c.MeshTrustDomain == "" {
		c.MeshTrustDomain = DefaultMeshTrustDomain
	}
	return c
}

// Input is everything Build needs. Claim, Tenant, Template and Tier are required; Tier must be the claim's
// effective tier (tenancy.EffectiveTier). The caller validates the claim (tenancy.ValidateClaim) first.
type Input struct {
	Claim    *naasv1alpha1.NamespaceClaim
	Tenant   *naasv1alpha1.Tenant
	Template *naasv1alpha1.NamespaceTemplate
	Tier     *naasv1alpha1.Tier
	// Parameters are the effective template parameters, defaults applied (tenancy.ResolveParameters).
	Parameters map[string]string
	Config     Config
	// Collaborators are the tenants the claim's spec.collaborators name, by name. A tenant that does not exist is
	// absent, and gets no access.
	Collaborators map[string]*naasv1alpha1.Tenant
	// PeerNamespaces are the namespaces whose workloads the mesh lets call this namespace's, by tenant: the
	// claim's own tenant's, and those of the collaborators allowed ingress. Istio's AuthorizationPolicy matches
	// peers by namespace (from their mTLS identity), not by label, so the controller lists them. The namespace
	// itself is always allowed.
	PeerNamespaces map[string][]string
}

// Step is one provisioning step: a set of objects applied together and reported as one claim condition.
type Step struct {
	// Name is the condition type the step reports, e.g. naasv1alpha1.ConditionQuota.
	Name string
	// DependsOn names the steps that must be ready before this one is applied.
	DependsOn []string
	// Requires are the API kinds of the step's objects that a cluster may not serve: the kinds of an add-on's
	// CustomResourceDefinitions, such as the prometheus-operator's. On a cluster that lacks one of them the step
	// is not applicable: the controller applies none of its objects, reports reason NotApplicable naming the
	// missing kinds, does not hold Ready back for it, and completes the step once the kinds appear.
	Requires []schema.GroupVersionKind
	// Objects are the desired objects of the step, in a stable order. An empty list means the step wants no
	// objects: any the controller made for it before should be removed.
	Objects []*unstructured.Unstructured
	// Remove are objects the step makes only for some inputs (a feature turned on, a list that is not empty)
	// and that must not exist otherwise. The controller deletes those that exist and carry the claim's labels;
	// objects of a kind the cluster does not serve cannot exist and are skipped.
	Remove []ObjectRef
	// Off marks the step of a feature the template does not turn on: it wants no objects, the controller
	// deletes those in Remove, and the claim shows no condition for it.
	Off bool
	// Err, when set, says why the step cannot be done for this claim as it stands (e.g. a gateway without
	// hostnames): the controller applies none of its objects, deletes those in Remove, and reports Err with
	// reason Failed, while the other steps go on.
	Err error
	// Message is what the step's condition says once it is done; empty lists the step's objects.
	Message string
	// Install says what provides the kinds in Requires, for the condition of a step not applicable, e.g. "the
	// Gateway API CRDs".
	Install string
}

// ObjectRef identifies one object of the bundle.
type ObjectRef struct {
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
}

// String returns kind/name, as condition messages name objects.
func (r ObjectRef) String() string {
	return r.GVK.Kind + "/" + r.Name
}

// Build computes the objects of the claim's namespace, grouped in steps. The Namespace step comes first and
// every other step depends on it; the manifests step also depends on the quota, limit range, RBAC and network
// policy steps, so that a template's workloads never start before the namespace's guardrails are in place.
// Errors in the template's manifests are *TemplateError; other errors mean the input was incomplete.
func Build(in Input) ([]Step, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	b := &builder{
		in:        in,
		cfg:       in.Config.withDefaults(),
		namespace: in.Claim.Name,
		tenant:    in.Tenant.Name,
	}
	b.hostnames, b.notOwned = in.Config.Hostnames(in.Claim, in.Tenant)

	namespace, err := b.namespaceObject()
	if err != nil {
		return nil, err
	}
	quota, err := b.quota()
	if err != nil {
		return nil, err
	}
	limits, err := b.limitRange()
	if err != nil {
		return nil, err
	}
	bindings, err := b.roleBindings()
	if err != nil {
		return nil, err
	}
	policies, err := b.networkPolicies()
	if err != nil {
		return nil, err
	}
	manifests, err := b.manifests()
	if err != nil {
		return nil, err
	}
	monitoring, err := b.monitoring()
	if err != nil {
		return nil, err
	}
	gateway, tls := b.gateway()

	afterNamespace := []string{naasv1alpha1.ConditionNamespace}
	return []Step{
		{Name: naasv1alpha1.ConditionNamespace, Objects: namespace},
		{Name: naasv1alpha1.ConditionQuota, DependsOn: afterNamespace, Objects: quota},
		{Name: naasv1alpha1.ConditionLimitRange, DependsOn: afterNamespace, Objects: limits},
		{Name: naasv1alpha1.ConditionRBAC, DependsOn: afterNamespace, Objects: bindings},
		{Name: naasv1alpha1.ConditionNetworkPolicies, DependsOn: afterNamespace, Objects: policies},
		{
			Name: naasv1alpha1.ConditionManifests,
			DependsOn: []string{
				naasv1alpha1.ConditionNamespace, naasv1alpha1.ConditionQuota, naasv1alpha1.ConditionLimitRange,
				naasv1alpha1.ConditionRBAC, naasv1alpha1.ConditionNetworkPolicies,
			},
			Objects: manifests,
		},
		monitoring,
		gateway,
		tls,
		b.mesh(),
	}, nil
}

func (in Input) check() error {
	var errs []error
	if in.Claim == nil {
		errs = append(errs, errors.New("no namespace claim"))
	} else if in.Claim.Name == "" {
		errs = append(errs, errors.New("the namespace claim has no name"))
	}
	if in.Tenant == nil {
		errs = append(errs, errors.New("no tenant"))
	}
	if in.Template == nil {
		errs = append(errs, errors.New("no namespace template"))
	}
	if in.Tier == nil {
		errs = append(errs, errors.New("no tier"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("build namespace bundle: %w", errors.Join(errs...))
	}
	if in.Tenant.Name != in.Claim.Spec.Tenant {
		return fmt.Errorf("build namespace bundle for %q: got tenant %q but the claim names tenant %q",
			in.Claim.Name, in.Tenant.Name, in.Claim.Spec.Tenant)
	}
	if in.Template.Name != in.Claim.Spec.Template {
		return fmt.Errorf("build namespace bundle for %q: got template %q but the claim names template %q",
			in.Claim.Name, in.Template.Name, in.Claim.Spec.Template)
	}
	if tier := tenancy.EffectiveTier(in.Claim, in.Template); in.Tier.Name != tier {
		return fmt.Errorf("build namespace bundle for %q: got tier %q but the claim's effective tier is %q",
			in.Claim.Name, in.Tier.Name, tier)
	}
	return nil
}

// builder holds what every object of one bundle shares.
type builder struct {
	in        Input
	cfg       Config
	namespace string
	tenant    string
	// hostnames are the claim's hostnames its tenant owns; notOwned those it asks for that the tenant no longer
	// owns.
	hostnames, notOwned []string
}

// labels are the labels every object of the bundle carries. Each call returns a new map.
func (b *builder) labels() map[string]string {
	return map[string]string{
		naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue,
		naasv1alpha1.LabelClaim:     b.namespace,
		naasv1alpha1.LabelTenant:    b.tenant,
	}
}

// withLabels returns the bundle's labels over extra: on a conflict, ours win.
func (b *builder) withLabels(extra map[string]string) map[string]string {
	out := make(map[string]string, len(extra)+3)
	maps.Copy(out, extra)
	maps.Copy(out, b.labels())
	return out
}

// toUnstructured converts a typed object whose TypeMeta is set. It drops the empty spec and status and the
// zero creationTimestamp the conversion leaves, so that a server-side apply claims only the fields we set.
func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("convert %T to unstructured: %w", obj, err)
	}
	delete(content, "status")
	if spec, ok := content["spec"].(map[string]any); ok && len(spec) == 0 {
		delete(content, "spec")
	}
	if meta, ok := content["metadata"].(map[string]any); ok && meta["creationTimestamp"] == nil {
		delete(meta, "creationTimestamp")
	}
	return &unstructured.Unstructured{Object: content}, nil
}
