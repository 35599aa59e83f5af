package tenancy

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// tenantBuilder builds Tenants for tests: tenant("payments").user("alice", admin).obj().
type tenantBuilder struct{ t naasv1alpha1.Tenant }

func tenant(name string) *tenantBuilder {
	return &tenantBuilder{t: naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}}}
}

func (b *tenantBuilder) owner(kind naasv1alpha1.SubjectKind, name, namespace string, role naasv1alpha1.Role) *tenantBuilder {
	b.t.Spec.Owners = append(b.t.Spec.Owners, naasv1alpha1.Owner{Kind: kind, Name: name, Namespace: namespace, Role: role})
	return b
}

func (b *tenantBuilder) user(name string, role naasv1alpha1.Role) *tenantBuilder {
	return b.owner(naasv1alpha1.SubjectUser, name, "", role)
}

func (b *tenantBuilder) group(name string, role naasv1alpha1.Role) *tenantBuilder {
	return b.owner(naasv1alpha1.SubjectGroup, name, "", role)
}

func (b *tenantBuilder) serviceAccount(namespace, name string, role naasv1alpha1.Role) *tenantBuilder {
	return b.owner(naasv1alpha1.SubjectServiceAccount, name, namespace, role)
}

func (b *tenantBuilder) templates(names ...string) *tenantBuilder {
	b.t.Spec.AllowedTemplates = names
	return b
}

func (b *tenantBuilder) tiers(names ...string) *tenantBuilder {
	b.t.Spec.AllowedTiers = names
	return b
}

func (b *tenantBuilder) prefix(p string) *tenantBuilder {
	b.t.Spec.Naming.Prefix = p
	return b
}

func (b *tenantBuilder) forbid(patterns ...string) *tenantBuilder {
	b.t.Spec.Naming.ForbiddenPatterns = patterns
	return b
}

func (b *tenantBuilder) cordoned() *tenantBuilder {
	b.t.Spec.Cordoned = true
	return b
}

func (b *tenantBuilder) maxNamespaces(n int32) *tenantBuilder {
	b.t.Spec.MaxNamespaces = ptr.To(n)
	return b
}

func (b *tenantBuilder) obj() *naasv1alpha1.Tenant { return b.t.DeepCopy() }

// templateBuilder builds NamespaceTemplates for tests.
type templateBuilder struct {
	t naasv1alpha1.NamespaceTemplate
}

func template(name string) *templateBuilder {
	return &templateBuilder{t: naasv1alpha1.NamespaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceTemplateSpec{DisplayName: name},
	}}
}

func (b *templateBuilder) defaultTier(tier string) *templateBuilder {
	b.t.Spec.DefaultTier = tier
	return b
}

func (b *templateBuilder) param(p naasv1alpha1.Parameter) *templateBuilder {
	b.t.Spec.Parameters = append(b.t.Spec.Parameters, p)
	return b
}

func (b *templateBuilder) obj() *naasv1alpha1.NamespaceTemplate { return b.t.DeepCopy() }

// claimBuilder builds NamespaceClaims for tests.
type claimBuilder struct{ c naasv1alpha1.NamespaceClaim }

func claim(name, tenant, template string) *claimBuilder {
	return &claimBuilder{c: naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: template},
	}}
}

func (b *claimBuilder) tier(t string) *claimBuilder {
	b.c.Spec.Tier = t
	return b
}

func (b *claimBuilder) param(name, value string) *claimBuilder {
	if b.c.Spec.Parameters == nil {
		b.c.Spec.Parameters = map[string]string{}
	}
	b.c.Spec.Parameters[name] = value
	return b
}

func (b *claimBuilder) requester(username string) *claimBuilder {
	b.c.Spec.Requester = &naasv1alpha1.Requester{Username: username}
	return b
}

func (b *claimBuilder) obj() *naasv1alpha1.NamespaceClaim { return b.c.DeepCopy() }

func tier(name string) *naasv1alpha1.Tier {
	return &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// fieldErr is the part of a field.Error the tests compare: which field, what kind of error, which rule.
type fieldErr struct {
	Type   field.ErrorType
	Field  string
	Origin string
}

func summarize(errs field.ErrorList) []fieldErr {
	var out []fieldErr
	for _, e := range errs {
		out = append(out, fieldErr{Type: e.Type, Field: e.Field, Origin: e.Origin})
	}
	return out
}
