package namespaceclaim

import (
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/tenancy"
)

type claimBuilder struct{ c naasv1alpha1.NamespaceClaim }

func claim(name, tenant string) *claimBuilder {
	return &claimBuilder{c: naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Finalizers: []string{naasv1alpha1.FinalizerNamespace}},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: "web", Tier: "dev"},
	}}
}

func (b *claimBuilder) tier(t string) *claimBuilder { b.c.Spec.Tier = t; return b }
func (b *claimBuilder) protected() *claimBuilder    { b.c.Spec.DeletionProtection = true; return b }
func (b *claimBuilder) noFinalizer() *claimBuilder  { b.c.Finalizers = nil; return b }
func (b *claimBuilder) label(k, v string) *claimBuilder {
	b.c.Labels = map[string]string{k: v}
	return b
}
func (b *claimBuilder) obj() *naasv1alpha1.NamespaceClaim { return b.c.DeepCopy() }
func (b *claimBuilder) requester(u string) *claimBuilder {
	b.c.Spec.Requester = &naasv1alpha1.Requester{Username: u}
	return b
}

func payments() *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "payments"},
		Spec: naasv1alpha1.TenantSpec{
			Owners: []naasv1alpha1.Owner{
				{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
				{Kind: naasv1alpha1.SubjectUser, Name: "bob", Role: naasv1alpha1.RoleDeveloper},
				{Kind: naasv1alpha1.SubjectUser, Name: "carol", Role: naasv1alpha1.RoleViewer},
			},
			AllowedTiers:  []string{"dev", "staging"},
			Naming:        naasv1alpha1.NamingRules{Prefix: "pay-"},
			MaxNamespaces: ptr.To[int32](5),
		},
	}
}

// noPrefix is payments without a naming prefix of its own.
func noPrefix() *naasv1alpha1.Tenant {
	t := payments()
	t.Spec.Naming.Prefix = ""
	return t
}

func cordoned() *naasv1alpha1.Tenant {
	t := payments()
	t.Spec.Cordoned = true
	return t
}

func web() *naasv1alpha1.NamespaceTemplate {
	return &naasv1alpha1.NamespaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: naasv1alpha1.NamespaceTemplateSpec{DefaultTier: "dev"}}
}

func tier(name string) *naasv1alpha1.Tier {
	return &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

var (
	alice = tenancy.User{Name: "alice"}
	bob   = tenancy.User{Name: "bob"}
	carol = tenancy.User{Name: "carol"}
	eve   = tenancy.User{Name: "eve"}
	admin = tenancy.User{Name: "root", Groups: []string{naasv1alpha1.PlatformAdminGroupName}}
)

type want struct {
	reason   metav1.StatusReason // "" for allowed
	message  []string            // substrings of the denial, or of the warnings when allowed
	warnings int
}

func check(t *testing.T, got Result, w want) {
	t.Helper()
	if w.reason == "" {
		if got.Err != nil {
			t.Fatalf("denied, want allowed: %v", got.Err)
		}
		if len(got.Warnings) != w.warnings {
			t.Fatalf("warnings = %q, want %d", got.Warnings, w.warnings)
		}
		for _, m := range w.message {
			if !strings.Contains(strings.Join(got.Warnings, "\n"), m) {
				t.Errorf("warnings %q do not mention %q", got.Warnings, m)
			}
		}
		return
	}
	if got.Err == nil {
		t.Fatalf("allowed (warnings %q), want %s", got.Warnings, w.reason)
	}
	if r := apierrors.ReasonForError(got.Err); r != w.reason {
		t.Errorf("reason = %s, want %s (%v)", r, w.reason, got.Err)
	}
	for _, m := range w.message {
		if !strings.Contains(got.Err.Error(), m) {
			t.Errorf("denial %q does not mention %q", got.Err.Error(), m)
		}
	}
}

func TestValidate_Create(t *testing.T) {
	managed := func(tenant string) map[string]string {
		return map[string]string{naasv1alpha1.LabelManagedBy: "naas", naasv1alpha1.LabelTenant: tenant}
	}
	tests := []struct {
		name string
		r    Request
		want want
	}{
		{name: "developer creates", r: Request{User: bob, Claim: claim("pay-api", "payments").obj(), Tenant: payments(), Tier: tier("dev")}},
		{name: "admin creates the last namespace under the cap", r: Request{User: alice, Claim: claim("pay-api", "payments").obj(), Tenant: payments(), Tier: tier("dev"), Current: 4}},
		{
			name: "viewer is told which roles may create",
			r:    Request{User: carol, Claim: claim("pay-api", "payments").obj(), Tenant: payments(), Tier: tier("dev")},
			want: want{reason: metav1.StatusReasonForbidden, message: []string{`user "carol" has role viewer in tenant "payments"`, "takes the admin or developer role"}},
		},
		{
			name: "non-member is told they are not a member",
			r:    Request{User: eve, Claim: claim("pay-api", "payments").obj(), Tenant: payments(), Tier: tier("dev")},
			want: want{reason: metav1.StatusReasonForbidden, message: []string{`user "eve" is not a member of tenant "payments"`}},
		},
		{
			name: "unknown tenant names the tenants the user belongs to",
			r:    Request{User: bob, Claim: claim("pay-api", "paymnets").obj(), MemberOf: []string{"payments", "search"}},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{`tenant "paymnets" does not exist; you hold a role in: payments, search`}},
		},
		{
			name: "tier the tenant does not allow names the allowed tiers",
			r:    Request{User: bob, Claim: claim("pay-api", "payments").tier("prod").obj(), Tenant: payments(), Tier: tier("prod")},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{`tenant "payments" allows tiers dev, staging; got prod`}},
		},
		{
			name: "name without the tenant's prefix",
			r:    Request{User: bob, Claim: claim("api", "payments").obj(), Tenant: payments(), Tier: tier("dev")},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{`requires namespace names to start with "pay-"`}},
		},
		{
			name: "cordoned tenant takes no new namespaces",
			r:    Request{User: alice, Claim: claim("pay-api", "payments").obj(), Tenant: cordoned(), Tier: tier("dev")},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{"is cordoned", "uncordon"}},
		},
		{
			name: "namespace cap reached",
			r:    Request{User: alice, Claim: claim("pay-api", "payments").obj(), Tenant: payments(), Tier: tier("dev"), Current: 5},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{"already has 5 namespaces and allows at most 5 (spec.maxNamespaces)"}},
		},
		{
			name: "existing namespace naas does not manage is not taken over",
			r: Request{User: bob, Claim: claim("pay-legacy", "payments").obj(), Tenant: payments(), Tier: tier("dev"),
				Namespace: namespace("pay-legacy", map[string]string{"team": "legacy"})},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{`namespace "pay-legacy" already exists and is not managed by naas`}},
		},
		{
			name: "namespace of another tenant is not taken over",
			r: Request{User: bob, Claim: claim("pay-db", "payments").obj(), Tenant: payments(), Tier: tier("dev"),
				Namespace: namespace("pay-db", managed("billing"))},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{`namespace "pay-db" belongs to another tenant`}},
		},
		{
			name: "the tenant's own naas namespace may be claimed again",
			r: Request{User: bob, Claim: claim("pay-db", "payments").obj(), Tenant: payments(), Tier: tier("dev"),
				Namespace: namespace("pay-db", managed("payments"))},
		},
		{
			name: "unknown tier names the tiers that exist",
			r:    Request{User: bob, Claim: claim("pay-api", "payments").tier("gold").obj(), Tenant: payments(), Tiers: []string{"dev", "staging"}},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{`spec.tier: Invalid value: "gold": no such tier; existing tiers: dev, staging`}},
		},
		{
			name: "platform admin gets warnings instead of denials",
			r: Request{User: admin, Privileged: true, Claim: claim("api", "payments").tier("prod").obj(), Tenant: cordoned(), Tier: tier("prod"),
				Namespace: namespace("api", nil)},
			want: want{warnings: 4, message: []string{"naas will not provision namespace \"api\"", "allows tiers dev, staging; got prod", "cordoned", "not managed by naas"}},
		},
		{
			name: "a name another tenant's prefix reserves is refused without naming that tenant",
			r: Request{User: bob, Claim: claim("acme-prod", "payments").obj(), Tenant: noPrefix(), Tier: tier("dev"),
				Prefixes: []tenancy.TenantPrefix{{Tenant: "acme", Prefix: "acme-"}}},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{`names starting with "acme-" are reserved for another tenant`}},
		},
		{
			name: "a user in no tenant is refused for their role before the name is looked at",
			r: Request{User: eve, Claim: claim("acme-prod", "payments").obj(), Tenant: noPrefix(), Tier: tier("dev"),
				Prefixes: []tenancy.TenantPrefix{{Tenant: "acme", Prefix: "acme-"}}},
			want: want{reason: metav1.StatusReasonForbidden, message: []string{`user "eve" is not a member of tenant "payments"`}},
		},
		{
			name: "the tenant's own prefix reserves its names for it",
			r: Request{User: bob, Claim: claim("pay-api", "payments").obj(), Tenant: payments(), Tier: tier("dev"),
				Prefixes: []tenancy.TenantPrefix{{Tenant: "payments", Prefix: "pay-"}}},
		},
		{
			name: "platform admin is refused a reserved name too, and told whose it is",
			r: Request{User: admin, Privileged: true, Claim: claim("acme-prod", "payments").obj(), Tenant: noPrefix(), Tier: tier("dev"),
				Prefixes: []tenancy.TenantPrefix{{Tenant: "acme", Prefix: "acme-"}}},
			want: want{reason: metav1.StatusReasonInvalid, message: []string{`reserved for tenant "acme"`}},
		},
		{
			name: "platform admin may name a tenant that does not exist yet",
			r:    Request{User: admin, Privileged: true, Claim: claim("pay-api", "payments").obj(), Template: web(), Tier: tier("dev")},
			want: want{warnings: 1, message: []string{"spec.tenant: Not found"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.Operation = admissionv1.Create
			if tt.r.Template == nil {
				tt.r.Template = web()
			}
			check(t, Validate(tt.r), tt.want)
		})
	}
}

func TestValidate_Update(t *testing.T) {
	invalidNow := payments()
	invalidNow.Spec.AllowedTiers = []string{"staging"}
	naas := tenancy.User{Name: "system:serviceaccount:naas-system:naas"}
	tests := []struct {
		name     string
		user     tenancy.User
		priv     bool
		old, new *naasv1alpha1.NamespaceClaim
		tenant   *naasv1alpha1.Tenant
		want     want
	}{
		{name: "developer moves to an allowed tier", user: bob, old: claim("pay-api", "payments").obj(), new: claim("pay-api", "payments").tier("staging").obj()},
		{
			name: "developer may not move to a tier the tenant does not allow", user: bob,
			old: claim("pay-api", "payments").obj(), new: claim("pay-api", "payments").tier("prod").obj(),
			want: want{reason: metav1.StatusReasonInvalid, message: []string{"allows tiers dev, staging; got prod"}},
		},
		{
			name: "viewer may not even label a claim", user: carol,
			old: claim("pay-api", "payments").obj(), new: claim("pay-api", "payments").label("x", "y").obj(),
			want: want{reason: metav1.StatusReasonForbidden, message: []string{"updating namespaces takes the admin or developer role"}},
		},
		{
			name: "a claim the tenant no longer allows can still have its protection turned off", user: bob, tenant: invalidNow,
			old: claim("pay-api", "payments").protected().obj(), new: claim("pay-api", "payments").obj(),
		},
		{
			name: "requester cannot be forged", user: bob,
			old: claim("pay-api", "payments").obj(), new: claim("pay-api", "payments").requester("bob").obj(),
			want: want{reason: metav1.StatusReasonInvalid, message: []string{"spec.requester", "cannot be set or changed"}},
		},
		{
			name: "tenant users cannot remove naas's finalizer", user: alice,
			old: claim("pay-api", "payments").obj(), new: claim("pay-api", "payments").noFinalizer().obj(),
			want: want{reason: metav1.StatusReasonInvalid, message: []string{"naas.dev/namespace is removed by naas"}},
		},
		{name: "naas removes its finalizer", user: naas, priv: true, old: claim("pay-api", "payments").obj(), new: claim("pay-api", "payments").noFinalizer().obj()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant := tt.tenant
			if tenant == nil {
				tenant = payments()
			}
			r := Request{Operation: admissionv1.Update, User: tt.user, Privileged: tt.priv, Claim: tt.new, Old: tt.old,
				Tenant: tenant, Template: web(), Tier: tier(tt.new.Spec.Tier), OldTier: tier(tt.old.Spec.Tier)}
			check(t, Validate(r), tt.want)
		})
	}
}

func TestValidate_Delete(t *testing.T) {
	tests := []struct {
		name   string
		user   tenancy.User
		priv   bool
		claim  *naasv1alpha1.NamespaceClaim
		tenant *naasv1alpha1.Tenant
		want   want
	}{
		{name: "tenant admin deletes any claim", user: alice, claim: claim("pay-api", "payments").requester("bob").obj(), tenant: payments()},
		{name: "developer deletes a claim they requested", user: bob, claim: claim("pay-api", "payments").requester("bob").obj(), tenant: payments()},
		{
			name: "developer may not delete someone else's claim", user: bob, claim: claim("pay-api", "payments").requester("alice").obj(), tenant: payments(),
			want: want{reason: metav1.StatusReasonForbidden, message: []string{`did not request namespace "pay-api" (requested by "alice")`}},
		},
		{
			name: "viewer may not delete", user: carol, claim: claim("pay-api", "payments").requester("carol").obj(), tenant: payments(),
			want: want{reason: metav1.StatusReasonForbidden, message: []string{"deleting namespaces takes the admin role"}},
		},
		{
			name: "claims of a deleted tenant are left to platform admins", user: alice, claim: claim("pay-api", "payments").obj(),
			want: want{reason: metav1.StatusReasonForbidden, message: []string{`tenant "payments" of namespace "pay-api" no longer exists`}},
		},
		{name: "platform admin deletes a claim of a deleted tenant", user: admin, priv: true, claim: claim("pay-api", "payments").obj()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Operation: admissionv1.Delete, User: tt.user, Privileged: tt.priv, Old: tt.claim, Tenant: tt.tenant, Template: web()}
			check(t, Validate(r), tt.want)
		})
	}
}
