package bundle

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// billing is a collaborating tenant with one member of each role.
func billing() *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "billing"},
		Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{
			{Kind: naasv1alpha1.SubjectUser, Name: "bob", Role: naasv1alpha1.RoleAdmin},
			{Kind: naasv1alpha1.SubjectGroup, Name: "billing-devs", Role: naasv1alpha1.RoleDeveloper},
			{Kind: naasv1alpha1.SubjectUser, Name: "vic", Role: naasv1alpha1.RoleViewer},
		}},
	}
}

func withCollaborators(cs ...naasv1alpha1.Collaborator) func(*Input) {
	return func(in *Input) {
		in.Claim.Spec.Collaborators = cs
		in.Collaborators = map[string]*naasv1alpha1.Tenant{"billing": billing()}
	}
}

func collaboratorBindings(t *testing.T, in Input) []rbacv1.RoleBinding {
	t.Helper()
	var out []rbacv1.RoleBinding
	for _, rb := range typedAll[rbacv1.RoleBinding](t, step(t, mustBuild(t, in), naasv1alpha1.ConditionRBAC).Objects) {
		if rb.Labels[LabelCollaborator] != "" {
			out = append(out, rb)
		}
	}
	return out
}

func TestBuild_CollaboratorAccess(t *testing.T) {
	user := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: n}
	}
	group := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: n}
	}
	binding := func(name, clusterRole string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
		m := meta(name)
		m.Labels[LabelCollaborator] = "billing"
		return rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: m,
			Subjects:   subjects,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		}
	}
	tests := []struct {
		name   string
		access naasv1alpha1.CollaboratorAccess
		want   []rbacv1.RoleBinding
	}{
		{
			name:   "viewer: every member reads",
			access: naasv1alpha1.CollaboratorViewer,
			want:   []rbacv1.RoleBinding{binding("naas-collaborator-billing-viewer", ClusterRoleViewer, user("bob"), group("billing-devs"), user("vic"))},
		},
		{
			name:   "developer: admins and developers develop, viewers read, nobody administers",
			access: naasv1alpha1.CollaboratorDeveloper,
			want: []rbacv1.RoleBinding{
				binding("naas-collaborator-billing-developer", ClusterRoleDeveloper, user("bob"), group("billing-devs")),
				binding("naas-collaborator-billing-viewer", ClusterRoleViewer, user("vic")),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(withCollaborators(naasv1alpha1.Collaborator{Tenant: "billing", Access: tt.access}))
			if diff := cmp.Diff(tt.want, collaboratorBindings(t, in)); diff != "" {
				t.Errorf("collaborator bindings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuild_CollaboratorsThatDoNotExistOrAreTheTenantGetNothing(t *testing.T) {
	in := testInput(withCollaborators(
		naasv1alpha1.Collaborator{Tenant: "ghost", Access: naasv1alpha1.CollaboratorDeveloper, AllowIngress: true},
		naasv1alpha1.Collaborator{Tenant: testTenant, Access: naasv1alpha1.CollaboratorDeveloper},
	))
	if got := collaboratorBindings(t, in); len(got) != 0 {
		t.Errorf("bindings for tenants that do not exist or own the namespace: %v", got)
	}
}

func TestBuild_CollaboratorIngressLetsTheTenantsNamespacesIn(t *testing.T) {
	in := testInput(withCollaborators(
		naasv1alpha1.Collaborator{Tenant: "billing", Access: naasv1alpha1.CollaboratorViewer, AllowIngress: true},
		naasv1alpha1.Collaborator{Tenant: "audit", Access: naasv1alpha1.CollaboratorViewer},
	))
	steps := mustBuild(t, in)
	var got []networkingv1.NetworkPolicy
	for _, np := range typedAll[networkingv1.NetworkPolicy](t, step(t, steps, naasv1alpha1.ConditionNetworkPolicies).Objects) {
		if np.Labels[LabelCollaborator] != "" {
			got = append(got, np)
		}
	}
	m := meta("naas-allow-from-tenant-billing")
	m.Labels[LabelCollaborator] = "billing"
	want := []networkingv1.NetworkPolicy{{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: m,
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"naas.dev/tenant": "billing"}},
			}}}},
		},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("collaborator policies (-want +got):\n%s", diff)
	}
	ns := typed[corev1.Namespace](t, step(t, steps, naasv1alpha1.ConditionNamespace).Objects[0])
	if ns.Labels["ingress.naas.dev/billing"] != "allowed" {
		t.Errorf("namespace labels %v: want ingress.naas.dev/billing=allowed, so billing's egress policy reaches it", ns.Labels)
	}
	if _, ok := ns.Labels["ingress.naas.dev/audit"]; ok {
		t.Errorf("namespace lets in audit, which was not allowed ingress")
	}
}

func TestBuild_CollaborationLabelsAndTheHostnamesAnnotationAreNaas(t *testing.T) {
	in := testInput(withGateway, withHostnames("api.pay.example.com"), func(in *Input) {
		in.Tenant.Spec.NamespaceLabels = map[string]string{"ingress.naas.dev/evil": "allowed", "team": "payments"}
		in.Tenant.Spec.NamespaceAnnotations = map[string]string{naasv1alpha1.AnnotationHostnames: "*.example.com", "note": "x"}
	})
	ns := typed[corev1.Namespace](t, step(t, mustBuild(t, in), naasv1alpha1.ConditionNamespace).Objects[0])
	if _, ok := ns.Labels["ingress.naas.dev/evil"]; ok || ns.Labels["team"] != "payments" {
		t.Errorf("labels %v: a tenant's namespaceLabels may not let tenants in, and its other labels stay", ns.Labels)
	}
	want := map[string]string{naasv1alpha1.AnnotationHostnames: "api.pay.example.com", "note": "x"}
	if diff := cmp.Diff(want, ns.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}
