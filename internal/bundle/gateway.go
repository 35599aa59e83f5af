package bundle

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
)

// Defaults of the gateway settings of Config.
const (
	// DefaultGatewayClassName is the GatewayClass of the namespaces' Gateways unless Config says otherwise.
	DefaultGatewayClassName = "naas"
	// DefaultClusterIssuer is the cert-manager ClusterIssuer of the Gateways' certificates unless Config says
	// otherwise.
	DefaultClusterIssuer = "naas-ca"
)

// Names of the gateway objects.
const (
	// GatewayName is the Gateway of every namespace whose template turns the gateway on. Istio deploys it as
	// Deployment, Service and ServiceAccount <GatewayName>-<gateway class>.
	GatewayName = "naas"
	// GatewayTLSSecretName is the Secret every HTTPS listener of the Gateway serves its certificate from:
	// cert-manager's gateway-shim issues one Certificate into it, for all the listeners' hostnames.
	GatewayTLSSecretName = "naas-gateway-tls"
	// AnnotationClusterIssuer asks cert-manager's gateway-shim for the certificates of a Gateway's listeners.
	AnnotationClusterIssuer = "cert-manager.io/cluster-issuer"
)

// The kinds of the gateway steps. A cluster without the Gateway API (or cert-manager) CRDs does not serve them,
// and the step is then not applicable.
var (
	GatewayGVK     = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "Gateway"}
	CertificateGVK = schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "Certificate"}
)

// Hostnames returns the hostnames of a claim: those its tenant owns, which the namespace holds (the claim's
// status.hostnames), and those the claim asks for that the tenant no longer owns. See domains.Effective.
func (c Config) Hostnames(claim *naasv1alpha1.NamespaceClaim, tenant *naasv1alpha1.Tenant) (owned, notOwned []string) {
	return domains.Effective(claim, tenant, c.BaseDomain)
}

// gateway returns the step of the namespace's Gateway and the step that reports whether cert-manager is there to
// give its HTTPS listeners certificates. Both are off when the template does not turn the gateway on.
func (b *builder) gateway() (gateway, tls Step) {
	ref := ObjectRef{GVK: GatewayGVK, Namespace: b.namespace, Name: GatewayName}
	afterNamespace := []string{naasv1alpha1.ConditionNamespace}
	gateway = Step{Name: naasv1alpha1.ConditionGateway, DependsOn: afterNamespace, Remove: []ObjectRef{ref}}
	tls = Step{Name: naasv1alpha1.ConditionTLS, DependsOn: afterNamespace}
	if !b.in.Template.Spec.Features.Gateway {
		gateway.Off, tls.Off = true, true
		return gateway, tls
	}
	gateway.Requires = []schema.GroupVersionKind{GatewayGVK}
	gateway.Install = "the CustomResourceDefinitions of the Gateway API (https://gateway-api.sigs.k8s.io)"
	tls.Requires = []schema.GroupVersionKind{GatewayGVK, CertificateGVK}
	tls.Install = "the CustomResourceDefinitions of the Gateway API and cert-manager (https://cert-manager.io), with its Gateway API support turned on"
	tls.Message = fmt.Sprintf("cert-manager issues the certificate of the HTTPS listeners of Gateway/%s from ClusterIssuer %s into Secret %s",
		GatewayName, b.cfg.ClusterIssuer, GatewayTLSSecretName)

	if len(b.hostnames) == 0 {
		gateway.Err = fmt.Errorf("template %q turns the gateway on, but namespace %q has no hostnames%s: set the claim's "+
			"spec.hostnames to names under the tenant's domains, or ask a platform admin to give tenant %q a domain "+
			"(spec.domains) or to start naas with --base-domain", b.in.Template.Name, b.namespace, b.notOwnedNote(), b.tenant)
		tls.Err = fmt.Errorf("no Gateway to give certificates to: %w", gateway.Err)
		return gateway, tls
	}
	gateway.Remove = nil
	gateway.Objects = []*unstructured.Unstructured{b.gatewayObject()}
	gateway.Message = fmt.Sprintf("Gateway/%s (class %s) in place for %s, accepting routes from this namespace only%s",
		GatewayName, b.cfg.GatewayClassName, strings.Join(b.hostnames, ", "), b.notOwnedNote())
	return gateway, tls
}

// notOwnedNote names the hostnames the claim asks for that its tenant no longer owns.
func (b *builder) notOwnedNote() string {
	if len(b.notOwned) == 0 {
		return ""
	}
	return fmt.Sprintf("; not served, because tenant %q no longer owns them: %s (remove them from spec.hostnames, or ask a platform admin to add their domain to the tenant)",
		b.tenant, strings.Join(b.notOwned, ", "))
}

// gatewayObject is a Gateway with an HTTP and an HTTPS listener per hostname, each accepting routes from the
// namespace alone. The HTTPS listeners terminate TLS with one certificate for all the hostnames, which
// cert-manager's gateway-shim issues from the configured ClusterIssuer.
func (b *builder) gatewayObject() *unstructured.Unstructured {
	sameNamespace := map[string]any{"namespaces": map[string]any{"from": "Same"}}
	listeners := make([]any, 0, 2*len(b.hostnames))
	for _, h := range b.hostnames {
		listeners = append(listeners,
			map[string]any{
				"name": ListenerName("http", h), "hostname": h, "protocol": "HTTP", "port": int64(80),
				"allowedRoutes": sameNamespace,
			},
			map[string]any{
				"name": ListenerName("https", h), "hostname": h, "protocol": "HTTPS", "port": int64(443),
				"allowedRoutes": sameNamespace,
				"tls": map[string]any{
					"mode":            "Terminate",
					"certificateRefs": []any{map[string]any{"group": "", "kind": "Secret", "name": GatewayTLSSecretName}},
				},
			},
		)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"gatewayClassName": b.cfg.GatewayClassName, "listeners": listeners},
	}}
	u.SetGroupVersionKind(GatewayGVK)
	u.SetName(GatewayName)
	u.SetNamespace(b.namespace)
	u.SetLabels(b.labels())
	u.SetAnnotations(map[string]string{AnnotationClusterIssuer: b.cfg.ClusterIssuer})
	return u
}

// ListenerName is the name of the listener of protocol ("http" or "https") for hostname h: <protocol>-<h>, and
// <protocol>--<suffix> for a wildcard *.<suffix>. No hostname starts with "-", so names never collide.
func ListenerName(protocol, h string) string {
	if domains.IsWildcard(h) {
		return protocol + "--" + strings.TrimPrefix(h, "*.")
	}
	return protocol + "-" + h
}

// validateNetworking checks the domain, gateway and mesh settings.
func (c Config) validateNetworking() []error {
	var errs []error
	if c.BaseDomain != "" {
		for _, msg := range validation.IsDNS1123Subdomain(c.BaseDomain) {
			errs = append(errs, fmt.Errorf("base domain %q is not a lowercase DNS name such as apps.example.com: %s", c.BaseDomain, msg))
		}
	}
	for name, v := range map[string]string{"gateway class": c.GatewayClassName, "cluster issuer": c.ClusterIssuer, "mesh trust domain": c.MeshTrustDomain} {
		if v == "" {
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(v) {
			errs = append(errs, fmt.Errorf("%s %q is not a valid name: %s", name, v, msg))
		}
	}
	switch c.MeshMode {
	case "", MeshSidecar, MeshAmbient:
	default:
		errs = append(errs, fmt.Errorf("mesh mode %q is not %s or %s", c.MeshMode, MeshSidecar, MeshAmbient))
	}
	return errs
}
