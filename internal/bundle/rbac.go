package bundle

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// roleBinding ties a tenant role to its binding and ClusterRole names.
type roleBinding struct {
	role        naasv1alpha1.Role
	name        string
	clusterRole string
}

// roleBindingsByRole lists the tenant roles in the order their bindings are emitted.
func roleBindingsByRole() []roleBinding {
	return []roleBinding{
		{role: naasv1alpha1.RoleAdmin, name: AdminBindingName, clusterRole: ClusterRoleAdmin},
		{role: naasv1alpha1.RoleDeveloper, name: DeveloperBindingName, clusterRole: ClusterRoleDeveloper},
		{role: naasv1alpha1.RoleViewer, name: ViewerBindingName, clusterRole: ClusterRoleViewer},
	}
}

// roleBindings binds each role's owners to the role's ClusterRole, in owner order. A role without owners
// gets no binding.
func (b *builder) roleBindings() ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, rb := range roleBindingsByRole() {
		subjects := b.subjects(rb.role)
		if len(subjects) == 0 {
			continue
		}
		obj := &rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
			ObjectMeta: b.objectMeta(rb.name),
			Subjects:   subjects,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: rb.clusterRole},
		}
		u, err := toUnstructured(obj)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	collaborators, err := b.collaboratorBindings()
	if err != nil {
		return nil, err
	}
	return append(out, collaborators...), nil
}

// subjects are the RBAC subjects of the tenant's owners with role, in owner order, without duplicates.
func (b *builder) subjects(role naasv1alpha1.Role) []rbacv1.Subject {
	return subjectsOf(b.in.Tenant, role)
}

// OwnerSubjects are the RBAC subjects of tenant t's owners with one of roles, in owner order, without duplicates.
func OwnerSubjects(t *naasv1alpha1.Tenant, roles ...naasv1alpha1.Role) []rbacv1.Subject {
	return subjectsOf(t, roles...)
}

// subjectsOf are the RBAC subjects of tenant t's owners with one of roles, in owner order, without duplicates.
func subjectsOf(t *naasv1alpha1.Tenant, roles ...naasv1alpha1.Role) []rbacv1.Subject {
	var out []rbacv1.Subject
	seen := map[rbacv1.Subject]bool{}
	for _, o := range t.Spec.Owners {
		if !slices.Contains(roles, o.Role) {
			continue
		}
		var s rbacv1.Subject
		switch o.Kind {
		case naasv1alpha1.SubjectUser:
			s = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: o.Name}
		case naasv1alpha1.SubjectGroup:
			s = rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: o.Name}
		case naasv1alpha1.SubjectServiceAccount:
			s = rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: o.Name, Namespace: o.Namespace}
		default:
			continue
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
