package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// TestAPI_ListingShowsTheCallersTenantsSortedByName checks what GET /api/v1/namespaces returns, now that a tenant
// member's listing reads only the claims of their tenants (through the claim indexes) instead of every claim of the
// cluster: exactly the namespaces tenancy.Authorize lets the caller view, sorted by name, for a member of several
// tenants, with and without ?tenant=, and for a platform admin.
func TestAPI_ListingShowsTheCallersTenantsSortedByName(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	ctx := context.Background()
	createTenant(t, "lst-pay", nil, user("dave", naasv1alpha1.RoleAdmin))
	createTenant(t, "lst-web", nil, group("team-dave", naasv1alpha1.RoleViewer))
	createTenant(t, "lst-ops", nil, user("erin", naasv1alpha1.RoleAdmin))
	claims := []struct {
		name, tenant  string
		collaborators []string
	}{
		{"lst-pay-b", "lst-pay", nil}, {"lst-pay-a", "lst-pay", nil}, {"lst-web-a", "lst-web", nil},
		// Naming dave's tenant as a collaborator gives dave Kubernetes RBAC in the namespace, not a view through the
		// API (tenancy.Authorize).
		{"lst-ops-a", "lst-ops", []string{"lst-pay"}}, {"lst-ops-b", "lst-ops", nil},
	}
	for _, c := range claims {
		claim := &naasv1alpha1.NamespaceClaim{
			ObjectMeta: metav1.ObjectMeta{Name: c.name},
			Spec: naasv1alpha1.NamespaceClaimSpec{
				Tenant: c.tenant, Template: "standard", Parameters: map[string]string{"owner_email": "a@example.com"},
			},
		}
		for _, col := range c.collaborators {
			claim.Spec.Collaborators = append(claim.Spec.Collaborators, naasv1alpha1.Collaborator{Tenant: col, Access: naasv1alpha1.CollaboratorViewer})
		}
		if err := env.Client.Create(ctx, claim); err != nil {
			t.Fatalf("create claim %s: %v", c.name, err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), claim) })
	}

	// listed returns the names the caller's listing shows, of this test's namespaces.
	listed := func(token, query string) ([]string, error) {
		r := p.call(t, token, http.MethodGet, "/api/v1/namespaces"+query, nil)
		if r.status != http.StatusOK {
			return nil, fmt.Errorf("list: %s", r)
		}
		var list struct{ Items []namespaceStatus }
		r.decode(t, &list)
		out := []string{}
		for _, n := range list.Items {
			if strings.HasPrefix(n.Name, "lst-") {
				out = append(out, n.Name)
			}
		}
		if !slices.IsSorted(out) {
			return out, fmt.Errorf("not sorted by name: %v", out)
		}
		return out, nil
	}
	for _, c := range []struct {
		who, query string
		want       []string
	}{
		{"dave", "", []string{"lst-pay-a", "lst-pay-b", "lst-web-a"}},
		{"dave", "?tenant=lst-web", []string{"lst-web-a"}},
		{"dave", "?tenant=lst-ops", []string{}},
		{"erin", "", []string{"lst-ops-a", "lst-ops-b"}},
		{"mallory", "", []string{}},
		{"platform-admin", "", []string{"lst-ops-a", "lst-ops-b", "lst-pay-a", "lst-pay-b", "lst-web-a"}},
		{"platform-admin", "?tenant=lst-pay", []string{"lst-pay-a", "lst-pay-b"}},
	} {
		// The cache shows the claims a moment after they were written.
		poll(t, 30*time.Second, c.who+" lists "+c.query, func() error {
			got, err := listed(as(c.who), c.query)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				return fmt.Errorf("namespaces (-want +got):\n%s", diff)
			}
			return nil
		})
	}
}
