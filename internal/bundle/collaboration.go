package bundle

import (
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Names of the collaboration objects.
const (
	// CollaboratorBindingPrefix starts the RoleBindings of collaborating tenants:
	// naas-collaborator-<tenant>-viewer and naas-collaborator-<tenant>-developer.
	CollaboratorBindingPrefix = "naas-collaborator-"
	// PolicyIngressFromTenantPrefix starts the NetworkPolicy letting in the namespaces of a collaborating tenant:
	// naas-allow-from-tenant-<tenant>.
	PolicyIngressFromTenantPrefix = "naas-allow-from-tenant-"
	// PolicyEgressToCollaborations allows egress to the namespaces of the other tenants whose collaboration the
	// namespace accepts (AcceptedCollaborations) that let this tenant in (those labelled naas.dev/tenant=<other>
	// and ingress.naas.dev/<tenant>=allowed). It exists only in namespaces that accept some collaboration; which
	// namespaces of the other tenant it reaches is decided by their labels, which only that tenant's grants set.
	PolicyEgressToCollaborations = "naas-allow-egress-to-collaborations"
)

// CollaboratorBindingName is the name of the RoleBinding giving collaborating tenant's members ClusterRole role
// ("viewer" or "developer").
func CollaboratorBindingName(tenant, role string) string {
	return CollaboratorBindingPrefix + tenant + "-" + role
}

// collaborators are the claim's collaborators other than its own tenant, by tenant name.
func (b *builder) collaborators() []naasv1alpha1.Collaborator {
	var out []naasv1alpha1.Collaborator
	for _, c := range b.in.Claim.Spec.Collaborators {
		if c.Tenant != b.tenant {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b naasv1alpha1.Collaborator) int { return strings.Compare(a.Tenant, b.Tenant) })
	return out
}

// collaboratorBindings give collaborating tenants their access: with viewer access every member of the tenant
// reads the namespace; with developer access its admins and developers work in it as developers (never as
// admins: a collaborator never manages the namespace), and its viewers read it. A tenant that does not exist
// gets nothing.
func (b *builder) collaboratorBindings() ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, c := range b.collaborators() {
		t := b.in.Collaborators[c.Tenant]
		if t == nil {
			continue
		}
		type grant struct {
			role        string
			clusterRole string
			subjects    []rbacv1.Subject
		}
		var grants []grant
		if c.Access == naasv1alpha1.CollaboratorDeveloper {
			grants = []grant{
				{"developer", ClusterRoleDeveloper, subjectsOf(t, naasv1alpha1.RoleAdmin, naasv1alpha1.RoleDeveloper)},
				{"viewer", ClusterRoleViewer, subjectsOf(t, naasv1alpha1.RoleViewer)},
			}
		} else {
			grants = []grant{{"viewer", ClusterRoleViewer, subjectsOf(t, naasv1alpha1.RoleAdmin, naasv1alpha1.RoleDeveloper, naasv1alpha1.RoleViewer)}}
		}
		for _, g := range grants {
			if len(g.subjects) == 0 {
				continue
			}
			meta := b.objectMeta(CollaboratorBindingName(c.Tenant, g.role))
			meta.Labels[LabelCollaborator] = c.Tenant
			u, err := toUnstructured(&rbacv1.RoleBinding{
				TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
				ObjectMeta: meta,
				Subjects:   g.subjects,
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: g.clusterRole},
			})
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// LabelCollaborator names the collaborating tenant on the objects that give it access.
const LabelCollaborator = "naas.dev/collaborator"

// AcceptedCollaborations are the tenants whose offers of collaboration the claim's namespace accepts: those its
// tenant accepts for all its namespaces (the Tenant's spec.acceptedCollaborations) and those accepted for this
// namespace (the claim's spec.acceptedCollaborations), sorted, without the tenant itself. A template with the
// restricted network profile promises no egress beyond the tenant, so its namespaces accept none, whatever the
// tenant or the claim say.
func AcceptedCollaborations(t *naasv1alpha1.Tenant, c *naasv1alpha1.NamespaceClaim, tpl *naasv1alpha1.NamespaceTemplate) []string {
	if tpl == nil || tpl.Spec.Features.NetworkProfile == naasv1alpha1.NetworkRestricted {
		return nil
	}
	var out []string
	if t != nil {
		out = append(out, t.Spec.AcceptedCollaborations...)
	}
	if c != nil {
		out = append(out, c.Spec.AcceptedCollaborations...)
	}
	out = slices.DeleteFunc(out, func(name string) bool { return name == "" || (t != nil && name == t.Name) })
	slices.Sort(out)
	return slices.Compact(out)
}

// collaborationPolicies let in the namespaces of each collaborator allowed ingress, and let this namespace reach
// the namespaces that other tenants let its tenant in, when its tenant accepted their collaboration (for every
// namespace or for this one). A grant alone opens only the granting side: egress from this namespace to another
// tenant needs both that tenant's grant (the label it puts on its namespace) and this side's acceptance.
func (b *builder) collaborationPolicies() []*networkingv1.NetworkPolicy {
	var policies []*networkingv1.NetworkPolicy
	if accepted := AcceptedCollaborations(b.in.Tenant, b.in.Claim, b.in.Template); len(accepted) > 0 {
		to := make([]networkingv1.NetworkPolicyPeer, 0, len(accepted))
		for _, other := range accepted {
			to = append(to, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
				naasv1alpha1.LabelTenant:                       other,
				naasv1alpha1.LabelIngressFromPrefix + b.tenant: naasv1alpha1.LabelIngressAllowed,
			}}})
		}
		policies = append(policies, b.networkPolicy(PolicyEgressToCollaborations, networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{To: to}},
		}))
	}
	for _, c := range b.collaborators() {
		if !c.AllowIngress {
			continue
		}
		p := b.networkPolicy(PolicyIngressFromTenantPrefix+c.Tenant, networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{namespacesLabelled(naasv1alpha1.LabelTenant, c.Tenant)},
			}},
		})
		p.Labels[LabelCollaborator] = c.Tenant
		policies = append(policies, p)
	}
	return policies
}
