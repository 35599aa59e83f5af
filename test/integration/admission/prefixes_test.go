package admission

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// TestClaims_NamingPrefixIsReservedForItsTenant: acme's names start with "acme-"; globex (no prefix of its own)
// must not take one, whoever asks, and a user of globex learns only that the prefix is reserved.
func TestClaims_NamingPrefixIsReservedForItsTenant(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("acme").Admin("alice").Developer("bob").
		With(func(s *naasv1alpha1.TenantSpec) { s.Naming.Prefix = "acme-" }).Create(t, env)
	testenv.Tenant("globex").Admin("carol").Create(t, env)

	// naas's cache learns of acme's prefix moments after it is written.
	var err error
	testenv.Eventually(t, 20*time.Second, "globex's claim on acme-prod refused", func() error {
		c := claim("acme-prod", "globex", "dev")
		if err = as("carol").Create(ctx, c); err == nil {
			env.DeleteClaim(c.Name)
			return testenv.Errorf("carol's claim acme-prod for globex was admitted")
		}
		return nil
	})
	denied(t, "admin of another tenant claims a name with acme's prefix", err, metav1.StatusReasonInvalid,
		`namespace names starting with "acme-" are reserved for another tenant`, `choose a name that does not start with "acme-"`)
	if strings.Contains(err.Error(), `"acme"`) {
		t.Errorf("the denial names the tenant that holds the prefix to a user of another tenant: %v", err)
	}

	// A user in no tenant is refused for that, and learns nothing about names.
	for _, tn := range []string{"globex", "acme"} {
		err := as("dave").Create(ctx, claim("acme-dave", tn, "dev"))
		denied(t, "user in no tenant claims acme-dave for "+tn, err, metav1.StatusReasonForbidden, `user "dave" is not a member of tenant "`+tn+`"`)
		if strings.Contains(err.Error(), "reserved") {
			t.Errorf("the denial tells a user in no tenant about reserved names: %v", err)
		}
	}

	// Platform admins are refused too, and told whose prefix it is.
	denied(t, "platform admin claims acme-ops for globex", as("platform-admin").Create(ctx, claim("acme-ops", "globex", "dev")),
		metav1.StatusReasonInvalid, `reserved for tenant "acme"`)

	env.CreateAs(t, "bob", claim("acme-prod", "acme", "dev"))
	env.CreateAs(t, "carol", claim("globex-web", "globex", "dev"))
	for _, name := range []string{"acme-dave", "acme-ops"} {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, &naasv1alpha1.NamespaceClaim{}); err == nil {
			t.Errorf("refused claim %s exists", name)
		}
	}
}

// TestTenants_NamingPrefixesDoNotOverlap: a second tenant cannot be given a prefix that reserves names the first
// one's does.
func TestTenants_NamingPrefixesDoNotOverlap(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("initech").With(func(s *naasv1alpha1.TenantSpec) { s.Naming.Prefix = "ini-" }).Create(t, env)
	withPrefix := func(name, prefix string) *naasv1alpha1.Tenant {
		return &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.TenantSpec{Naming: naasv1alpha1.NamingRules{Prefix: prefix}}}
	}
	for _, prefix := range []string{"ini-", "ini-tr-", "in"} {
		err := as("platform-admin").Create(ctx, withPrefix("initrode", prefix))
		if err == nil {
			_ = env.Client.Delete(ctx, withPrefix("initrode", prefix))
		}
		denied(t, "second tenant with prefix "+prefix, err, metav1.StatusReasonInvalid,
			`spec.naming.prefix`, `overlaps the naming prefix "ini-" of tenant "initech"`)
	}

	other := withPrefix("initrode", "inr-")
	if err := as("platform-admin").Create(ctx, other); err != nil {
		t.Fatalf("tenant with a prefix of its own: %v", err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, other) })
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error { // naas writes the tenant's status meanwhile
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(other), other); err != nil {
			return err
		}
		other.Spec.Naming.Prefix = "ini-x-"
		return as("platform-admin").Update(ctx, other)
	})
	denied(t, "changing a tenant's prefix to overlap another's", err, metav1.StatusReasonInvalid,
		`overlaps the naming prefix "ini-" of tenant "initech"`)
}
