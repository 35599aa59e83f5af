package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// TestAPI_NamingPrefixIsReservedForItsTenant: through the API as through kubectl, a tenant's prefix is its own. A
// user of another tenant gets the same answer whether the name is taken yet or not, so it tells nothing about the
// other tenant's namespaces.
func TestAPI_NamingPrefixIsReservedForItsTenant(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	createTenant(t, "pacme", func(s *naasv1alpha1.TenantSpec) { s.Naming.Prefix = "pacme-" },
		user("alice", naasv1alpha1.RoleAdmin), user("bob", naasv1alpha1.RoleDeveloper))
	createTenant(t, "pglobex", nil, user("carol", naasv1alpha1.RoleAdmin))
	request := func(name, tenant string) map[string]any {
		return map[string]any{"name": name, "tenant": tenant, "template": "standard"}
	}
	expect(t, p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", request("pacme-prod", "pacme")), http.StatusAccepted,
		"acme's developer asks for a name with acme's prefix")

	for _, name := range []string{"pacme-prod", "pacme-next"} { // taken, and not (yet)
		poll(t, 20*time.Second, "carol's request for "+name+" refused", func() error {
			r := p.call(t, as("carol"), http.MethodPost, "/api/v1/namespaces/request", request(name, "pglobex"))
			if r.status != http.StatusUnprocessableEntity {
				return fmt.Errorf("carol asks for %s: %s", name, r)
			}
			prob := r.problem(t)
			if len(prob.Errors) != 1 || prob.Errors[0].Field != "name" || prob.Errors[0].Rule != "reservedPrefix" ||
				!strings.Contains(prob.Detail, `names starting with "pacme-" are reserved for another tenant`) {
				return fmt.Errorf("carol asks for %s: problem %+v", name, prob)
			}
			if strings.Contains(string(r.body), `"pacme"`) {
				t.Errorf("the problem names the tenant holding the prefix to a user of another tenant: %s", r)
			}
			return nil
		})
	}

	r := p.call(t, as("dave"), http.MethodPost, "/api/v1/namespaces/request", request("pacme-dave", "pglobex"))
	// Answered as for a tenant that does not exist (see problems_test.go), before any name is looked at.
	expect(t, r, http.StatusUnprocessableEntity, "a user in no tenant")
	if strings.Contains(string(r.body), "reserved") {
		t.Errorf("a user in no tenant is told about reserved names: %s", r)
	}

	r = p.call(t, as("platform-admin"), http.MethodPost, "/api/v1/namespaces/request", request("pacme-ops", "pglobex"))
	expect(t, r, http.StatusUnprocessableEntity, "a platform admin")
	if prob := r.problem(t); !strings.Contains(prob.Detail, `reserved for tenant "pacme"`) {
		t.Errorf("a platform admin is not told whose prefix it is: %+v", prob)
	}
	for _, name := range []string{"pacme-next", "pacme-dave", "pacme-ops"} {
		if env.ClaimExists(t, name) {
			t.Errorf("refused claim %s exists", name)
		}
	}
}

// TestAPI_TenantPrefixesDoNotOverlap: a platform admin creating a tenant through the API gets tenant admission's
// refusal as a problem naming the field.
func TestAPI_TenantPrefixesDoNotOverlap(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	admin := as("platform-admin")
	expect(t, p.call(t, admin, http.MethodPost, "/api/v1/tenants", map[string]any{
		"name": "pfirst", "members": []map[string]string{{"kind": "User", "name": "alice", "role": "admin"}}, "naming": map[string]any{"prefix": "pfirst-"},
	}), http.StatusCreated, "a tenant with a prefix")
	r := p.call(t, admin, http.MethodPost, "/api/v1/tenants", map[string]any{
		"name": "psecond", "members": []map[string]string{{"kind": "User", "name": "carol", "role": "admin"}}, "naming": map[string]any{"prefix": "pfirst-x-"},
	})
	expect(t, r, http.StatusUnprocessableEntity, "a second tenant whose prefix starts with the first's")
	prob := r.problem(t)
	if len(prob.Errors) != 1 || !strings.HasSuffix(prob.Errors[0].Field, "naming.prefix") ||
		!strings.Contains(prob.Errors[0].Message, `overlaps the naming prefix "pfirst-" of tenant "pfirst"`) {
		t.Errorf("problem %+v does not name the overlapping prefix", prob)
	}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "psecond"}, &naasv1alpha1.Tenant{}); !apierrors.IsNotFound(err) {
		t.Errorf("refused tenant psecond: %v, want not found", err)
	}
}
