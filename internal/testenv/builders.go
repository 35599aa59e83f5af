package testenv

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// builder holds the object a builder builds, and what every builder does with it.
type builder[T client.Object] struct{ obj T }

// Obj returns the object built so far.
func (b builder[T]) Obj() T { return b.obj }

// Create creates the object as the cluster admin, failing the test on an error, and deletes it when the test
// ends (see Environment.Create).
func (b builder[T]) Create(t testing.TB, e *Environment) T {
	t.Helper()
	e.Create(t, b.obj)
	return b.obj
}

// CreateAs creates the object as the static token user (through the API server's admission, as kubectl with
// that user's kubeconfig), or as the cluster admin when user is empty, and deletes it when the test ends.
func (b builder[T]) CreateAs(t testing.TB, e *Environment, user string) T {
	t.Helper()
	e.CreateAs(t, user, b.obj)
	return b.obj
}

// TenantBuilder builds a Tenant for a test: testenv.Tenant("shop").Admin("alice").Developer("bob").Create(t, env).
type TenantBuilder struct{ builder[*naasv1alpha1.Tenant] }

// Tenant starts a Tenant named name, with no owners.
func Tenant(name string) *TenantBuilder {
	return &TenantBuilder{builder[*naasv1alpha1.Tenant]{&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}}}}
}

// Owner adds an owner of any kind; a ServiceAccount's namespace is set with ServiceAccount.
func (b *TenantBuilder) Owner(kind naasv1alpha1.SubjectKind, name string, role naasv1alpha1.Role) *TenantBuilder {
	b.obj.Spec.Owners = append(b.obj.Spec.Owners, naasv1alpha1.Owner{Kind: kind, Name: name, Role: role})
	return b
}

// User adds the user as an owner with the role.
func (b *TenantBuilder) User(name string, role naasv1alpha1.Role) *TenantBuilder {
	return b.Owner(naasv1alpha1.SubjectUser, name, role)
}

// Admin adds the user as an admin.
func (b *TenantBuilder) Admin(user string) *TenantBuilder {
	return b.User(user, naasv1alpha1.RoleAdmin)
}

// Developer adds the user as a developer.
func (b *TenantBuilder) Developer(user string) *TenantBuilder {
	return b.User(user, naasv1alpha1.RoleDeveloper)
}

// Viewer adds the user as a viewer.
func (b *TenantBuilder) Viewer(user string) *TenantBuilder {
	return b.User(user, naasv1alpha1.RoleViewer)
}

// Group adds the group as an owner with the role.
func (b *TenantBuilder) Group(name string, role naasv1alpha1.Role) *TenantBuilder {
	return b.Owner(naasv1alpha1.SubjectGroup, name, role)
}

// ServiceAccount adds the service account namespace/name as an owner with the role.
func (b *TenantBuilder) ServiceAccount(namespace, name string, role naasv1alpha1.Role) *TenantBuilder {
	b.obj.Spec.Owners = append(b.obj.Spec.Owners, naasv1alpha1.Owner{
		Kind: naasv1alpha1.SubjectServiceAccount, Namespace: namespace, Name: name, Role: role})
	return b
}

// Domains sets the tenant's domains.
func (b *TenantBuilder) Domains(domains ...string) *TenantBuilder {
	b.obj.Spec.Domains = domains
	return b
}

// Receivers sets the tenant's alert receivers.
func (b *TenantBuilder) Receivers(receivers ...naasv1alpha1.AlertReceiver) *TenantBuilder {
	b.obj.Spec.Alerting = &naasv1alpha1.Alerting{Receivers: receivers}
	return b
}

// With changes the spec in any other way.
func (b *TenantBuilder) With(change func(*naasv1alpha1.TenantSpec)) *TenantBuilder {
	change(&b.obj.Spec)
	return b
}

// ClaimBuilder builds a NamespaceClaim for a test: testenv.Claim("shop-app", "shop").Template("standard").Tier("dev").
type ClaimBuilder struct {
	builder[*naasv1alpha1.NamespaceClaim]
}

// Claim starts a claim of the namespace name for the tenant, of template "standard" with its default tier.
func Claim(name, tenant string) *ClaimBuilder {
	return &ClaimBuilder{builder[*naasv1alpha1.NamespaceClaim]{&naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: "standard"},
	}}}
}

// Template sets the template.
func (b *ClaimBuilder) Template(name string) *ClaimBuilder {
	b.obj.Spec.Template = name
	return b
}

// Tier sets the tier.
func (b *ClaimBuilder) Tier(name string) *ClaimBuilder {
	b.obj.Spec.Tier = name
	return b
}

// Param sets a template parameter.
func (b *ClaimBuilder) Param(name, value string) *ClaimBuilder {
	if b.obj.Spec.Parameters == nil {
		b.obj.Spec.Parameters = map[string]string{}
	}
	b.obj.Spec.Parameters[name] = value
	return b
}

// Hostnames sets the hostnames.
func (b *ClaimBuilder) Hostnames(names ...string) *ClaimBuilder {
	b.obj.Spec.Hostnames = names
	return b
}

// Protected turns deletion protection on.
func (b *ClaimBuilder) Protected() *ClaimBuilder {
	b.obj.Spec.DeletionProtection = true
	return b
}

// With changes the spec in any other way.
func (b *ClaimBuilder) With(change func(*naasv1alpha1.NamespaceClaimSpec)) *ClaimBuilder {
	change(&b.obj.Spec)
	return b
}
