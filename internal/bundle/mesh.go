package bundle

import (
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// MeshMode is how a namespace joins the Istio mesh.
type MeshMode string

// Mesh modes.
const (
	// MeshSidecar injects a sidecar into the namespace's pods (label istio-injection=enabled).
	MeshSidecar MeshMode = "sidecar"
	// MeshAmbient enrols the namespace in ambient mode (label istio.io/dataplane-mode=ambient).
	MeshAmbient MeshMode = "ambient"
)

// DefaultMeshTrustDomain is Istio's default trust domain.
const DefaultMeshTrustDomain = "cluster.local"

// Names of the mesh objects.
const (
	// PeerAuthenticationName requires mutual TLS for every workload of the namespace.
	PeerAuthenticationName = "naas-mtls"
	// AuthorizationPolicyName allows calls from the tenant's namespaces, its collaborators let in, and the
	// namespace's gateway; the mesh denies every other call.
	AuthorizationPolicyName = "naas-allow-tenant"
)

// The Istio kinds of the mesh step. A cluster without Istio's CRDs does not serve them, and the step is then not
// applicable.
var (
	PeerAuthenticationGVK  = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "PeerAuthentication"}
	AuthorizationPolicyGVK = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "AuthorizationPolicy"}
)

// namespaceLabel is the label that enrols a namespace in the mesh in this mode.
func (m MeshMode) namespaceLabel() (key, value string) {
	if m == MeshAmbient {
		return "istio.io/dataplane-mode", "ambient"
	}
	return "istio-injection", "enabled"
}

// GatewayPrincipal is the mesh identity of the namespace's Gateway: Istio deploys a Gateway with its own service
// account, named <gateway>-<gateway class>.
func (c Config) GatewayPrincipal(namespace string) string {
	c = c.withDefaults()
	return fmt.Sprintf("%s/ns/%s/sa/%s-%s", c.MeshTrustDomain, namespace, GatewayName, c.GatewayClassName)
}

// mesh is the step of the namespace's mesh policies: mutual TLS required (PeerAuthentication STRICT), and calls
// allowed only from the tenant's own namespaces, those of collaborators let in, and the namespace's gateway. The
// namespace's enrolment label is on the Namespace. Off when the template does not turn the mesh on.
func (b *builder) mesh() Step {
	step := Step{Name: naasv1alpha1.ConditionMesh, DependsOn: []string{naasv1alpha1.ConditionNamespace}}
	pa := ObjectRef{GVK: PeerAuthenticationGVK, Namespace: b.namespace, Name: PeerAuthenticationName}
	ap := ObjectRef{GVK: AuthorizationPolicyGVK, Namespace: b.namespace, Name: AuthorizationPolicyName}
	if !b.in.Template.Spec.Features.Mesh {
		step.Off = true
		step.Remove = []ObjectRef{pa, ap}
		return step
	}
	step.Requires = []schema.GroupVersionKind{PeerAuthenticationGVK, AuthorizationPolicyGVK}
	step.Install = "the CustomResourceDefinitions of Istio (https://istio.io)"

	peers := []string{b.namespace}
	for _, tenant := range slices.Sorted(maps.Keys(b.in.PeerNamespaces)) {
		if tenant == b.tenant || b.ingressAllowed(tenant) {
			peers = append(peers, b.in.PeerNamespaces[tenant]...)
		}
	}
	slices.Sort(peers)
	peers = slices.Compact(peers)
	from := []any{map[string]any{"source": map[string]any{"namespaces": toAny(peers)}}}
	if b.in.Template.Spec.Features.Gateway {
		from = append(from, map[string]any{"source": map[string]any{"principals": []any{b.cfg.GatewayPrincipal(b.namespace)}}})
	}

	step.Objects = []*unstructured.Unstructured{
		b.object(PeerAuthenticationGVK, PeerAuthenticationName, map[string]any{"mtls": map[string]any{"mode": "STRICT"}}),
		b.object(AuthorizationPolicyGVK, AuthorizationPolicyName, map[string]any{
			"action": "ALLOW",
			"rules":  []any{map[string]any{"from": from}},
		}),
	}
	step.Message = fmt.Sprintf("mutual TLS required (PeerAuthentication/%s STRICT); AuthorizationPolicy/%s allows calls from %d namespaces of the tenant and its collaborators",
		PeerAuthenticationName, AuthorizationPolicyName, len(peers))
	if b.in.Template.Spec.Features.Gateway {
		step.Message += " and from the gateway"
	}
	return step
}

// ingressAllowed reports whether the claim lets tenant's namespaces in.
func (b *builder) ingressAllowed(tenant string) bool {
	for _, c := range b.in.Claim.Spec.Collaborators {
		if c.Tenant == tenant && c.AllowIngress {
			return true
		}
	}
	return false
}

// object is a namespaced object of the bundle, of a kind naas has no Go types for.
func (b *builder) object(gvk schema.GroupVersionKind, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(gvk)
	u.SetName(name)
	u.SetNamespace(b.namespace)
	u.SetLabels(b.labels())
	return u
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
