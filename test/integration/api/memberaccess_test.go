package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// A namespace the API has just answered for is the caller's at once: its tenant's members read and change the
// claim through kube-apiserver (and through this API, which writes as them) the moment the request returns,
// although naas names a new claim in the tenant's access role only a moment after creating it.
func TestAPI_ARequestedNamespaceIsTheCallersAsSoonAsTheRequestReturns(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	createTenant(t, "prompt", func(s *naasv1alpha1.TenantSpec) { s.Naming.Prefix = "prompt-" },
		user("alice", naasv1alpha1.RoleAdmin), group("team-bob", naasv1alpha1.RoleDeveloper))
	bob := env.UserClient("bob")
	for i := range 5 {
		name := fmt.Sprintf("prompt-%d", i)
		r := p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", map[string]any{
			"name": name, "tenant": "prompt", "template": "standard",
			"parameters": map[string]string{"owner_email": "bob@example.com"},
		})
		expect(t, r, http.StatusAccepted, "bob requests "+name)
		// No polling: the answer itself must mean the claim is readable by its requester.
		if err := bob.Get(context.Background(), client.ObjectKey{Name: name}, &naasv1alpha1.NamespaceClaim{}); err != nil {
			t.Errorf("bob reads %s right after the API accepted it: %v", name, err)
		}
		if err := env.UserClient("alice").Get(context.Background(), client.ObjectKey{Name: name}, &naasv1alpha1.NamespaceClaim{}); err != nil {
			t.Errorf("alice (tenant admin) reads %s right after the API accepted it: %v", name, err)
		}
	}
}
