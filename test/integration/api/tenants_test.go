package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// tenantView is the part of the API's Tenant the tests read.
type tenantView struct {
	Name         string
	DisplayName  string
	AllowedTiers []string
	YourRole     string
	Members      []struct{ Kind, Name, Namespace, Role string }
}

func (v tenantView) roleOf(kind, name string) string {
	for _, m := range v.Members {
		if m.Kind == kind && m.Name == name {
			return m.Role
		}
	}
	return ""
}

func TestAPI_PlatformAdminsManageTenantsAndTenantAdminsTheirMembers(t *testing.T) {
	ctx := context.Background()
	p := startPlatform(t, platformConfig{})
	admin := as("platform-admin")
	body := map[string]any{
		"name": "mem", "displayName": "Members", "costCenter": "CC-7",
		"members": []map[string]string{{"kind": "User", "name": "alice", "role": "admin"}},
		"quota":   map[string]string{"limits.cpu": "20"},
	}

	// Only platform admins create tenants; the tenant is written as them.
	r := p.call(t, as("alice"), http.MethodPost, "/api/v1/tenants", body)
	expect(t, r, http.StatusForbidden, "alice creates a tenant")
	r.problem(t)
	r = p.call(t, admin, http.MethodPost, "/api/v1/tenants", body)
	expect(t, r, http.StatusCreated, "platform admin creates tenant mem")
	if loc := r.header.Get("Location"); loc != "/api/v1/tenants/mem" {
		t.Errorf("Location = %q", loc)
	}
	expect(t, p.call(t, admin, http.MethodPost, "/api/v1/tenants", body), http.StatusConflict, "creating it again")
	tn := &naasv1alpha1.Tenant{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "mem"}, tn); err != nil {
		t.Fatal(err)
	}
	if q := tn.Spec.Quota["limits.cpu"]; tn.Spec.CostCenter != "CC-7" || q.String() != "20" || len(tn.Spec.Owners) != 1 {
		t.Errorf("tenant spec = %+v", tn.Spec)
	}
	r = p.call(t, admin, http.MethodPost, "/api/v1/tenants", map[string]any{"name": "Bad Name", "members": []map[string]string{{"kind": "Robot"}}})
	expect(t, r, http.StatusUnprocessableEntity, "a bad tenant")
	var fields []string
	for _, e := range r.problem(t).Errors {
		fields = append(fields, e.Field)
	}
	if want := []string{"name", "members[0].kind", "members[0].name", "members[0].role"}; !slices.Equal(want, fields) {
		t.Errorf("fields = %v, want %v", fields, want)
	}

	// alice, the tenant's admin, manages its members.
	r = p.call(t, as("alice"), http.MethodPost, "/api/v1/tenants/mem/members", map[string]string{"kind": "User", "name": "bob", "role": "developer"})
	expect(t, r, http.StatusCreated, "alice adds bob")
	expect(t, p.call(t, as("alice"), http.MethodPost, "/api/v1/tenants/mem/members",
		map[string]string{"kind": "User", "name": "bob", "role": "developer"}), http.StatusOK, "adding bob again")
	var view tenantView
	r = p.call(t, as("bob"), http.MethodGet, "/api/v1/tenants/mem", nil)
	expect(t, r, http.StatusOK, "bob reads his tenant")
	if r.decode(t, &view); view.YourRole != "developer" || view.roleOf("User", "bob") != "developer" {
		t.Errorf("bob's view = %+v, want his role developer", view)
	}
	expect(t, p.call(t, as("bob"), http.MethodPost, "/api/v1/tenants/mem/members",
		map[string]string{"kind": "User", "name": "carol", "role": "admin"}), http.StatusForbidden, "bob (developer) adds a member")
	expect(t, p.call(t, as("alice"), http.MethodPost, "/api/v1/tenants/mem/members",
		map[string]string{"kind": "Group", "name": "system:authenticated", "role": "viewer"}), http.StatusUnprocessableEntity, "alice adds everyone")
	r = p.call(t, as("alice"), http.MethodDelete, "/api/v1/tenants/mem/members/User/alice", nil)
	expect(t, r, http.StatusConflict, "alice removes herself, the last admin")
	r.problem(t)
	expect(t, p.call(t, as("alice"), http.MethodDelete, "/api/v1/tenants/mem/members/User/bob", nil), http.StatusOK, "alice removes bob")
	expect(t, p.call(t, as("alice"), http.MethodDelete, "/api/v1/tenants/mem/members/User/bob", nil), http.StatusNotFound, "removing bob again")
	expect(t, p.call(t, as("bob"), http.MethodGet, "/api/v1/tenants/mem", nil), http.StatusNotFound, "bob, no longer a member")

	// Listing: members see their tenants, platform admins all.
	r = p.call(t, as("alice"), http.MethodGet, "/api/v1/tenants", nil)
	expect(t, r, http.StatusOK, "alice lists tenants")
	var list struct{ Items []tenantView }
	r.decode(t, &list)
	if !slices.ContainsFunc(list.Items, func(v tenantView) bool { return v.Name == "mem" && v.YourRole == "admin" }) {
		t.Errorf("alice's tenants = %+v, want mem as admin", list.Items)
	}

	// A platform admin replaces the tenant; fields left out are cleared.
	r = p.call(t, admin, http.MethodPut, "/api/v1/tenants/mem", map[string]any{
		"members": []map[string]string{{"kind": "User", "name": "alice", "role": "admin"}}, "allowedTiers": []string{"dev"},
	})
	expect(t, r, http.StatusOK, "platform admin replaces mem")
	view = tenantView{}
	if r.decode(t, &view); view.DisplayName != "" || !slices.Equal(view.AllowedTiers, []string{"dev"}) {
		t.Errorf("replaced tenant = %+v, want no display name and tiers [dev]", view)
	}
	expect(t, p.call(t, as("alice"), http.MethodPut, "/api/v1/tenants/mem", map[string]any{"name": "mem"}), http.StatusForbidden, "alice replaces")
	expect(t, p.call(t, admin, http.MethodPut, "/api/v1/tenants/mem", map[string]any{"name": "other"}), http.StatusUnprocessableEntity, "renaming")

	// A tenant with namespaces cannot be deleted; an empty one can.
	expect(t, p.call(t, as("alice"), http.MethodPost, "/api/v1/namespaces/request",
		map[string]any{"name": "mem-app", "tenant": "mem", "template": "standard"}), http.StatusAccepted, "alice requests mem-app")
	r = p.call(t, admin, http.MethodDelete, "/api/v1/tenants/mem", nil)
	expect(t, r, http.StatusConflict, "deleting a tenant with a namespace")
	if prob := r.problem(t); !strings.Contains(prob.Detail, "mem-app") {
		t.Errorf("detail %q does not name the namespace", prob.Detail)
	}
	expect(t, p.call(t, as("alice"), http.MethodDelete, "/api/v1/tenants/mem", nil), http.StatusForbidden, "alice deletes her tenant")
	expect(t, p.call(t, admin, http.MethodPost, "/api/v1/tenants", map[string]any{"name": "empty"}), http.StatusCreated, "tenant empty")
	r = p.call(t, admin, http.MethodDelete, "/api/v1/tenants/empty", nil)
	expect(t, r, http.StatusNoContent, "deleting tenant empty")
	// The API reads from naas's cache, which sees the deletion a moment after kube-apiserver made it.
	testenv.Eventually(t, 10*time.Second, "tenant empty is gone from the API", func() error {
		if r := p.call(t, admin, http.MethodGet, "/api/v1/tenants/empty", nil); r.status != http.StatusNotFound {
			return fmt.Errorf("got %d %s, want 404", r.status, r.body)
		}
		return nil
	})
}

func TestAPI_DocumentCatalogAndOperations(t *testing.T) {
	p := startPlatform(t, platformConfig{})

	// The API document, without credentials, with the seed's paths.
	r := p.call(t, "", http.MethodGet, "/api/v1/openapi.json", nil)
	expect(t, r, http.StatusOK, "openapi.json")
	var doc struct {
		OpenAPI string
		Paths   map[string]map[string]any
	}
	if err := json.Unmarshal(r.body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v, version %q", err, doc.OpenAPI)
	}
	for path, method := range map[string]string{
		"/api/v1/namespaces/request": "post", "/api/v1/namespaces/{namespace}/status": "get",
		"/api/v1/namespaces/{namespace}/quotas": "put", "/api/v1/namespaces/{namespace}": "delete",
		"/api/v1/catalog/templates": "get", "/api/v1/catalog/templates/{id}": "get",
		"/api/v1/analytics/usage": "get", "/api/v1/analytics/costs": "get",
		"/api/v1/namespaces": "get", "/api/v1/tenants": "post", "/api/v1/tenants/{name}": "put",
		"/api/v1/tiers": "get", "/api/v1/me": "get", "/api/v1/audit": "get", "/api/v1/approvals": "get",
	} {
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("the document has no %s %s", method, path)
		}
	}

	// Catalog and tiers, from the cluster.
	r = p.call(t, as("bob"), http.MethodGet, "/api/v1/catalog/templates", nil)
	expect(t, r, http.StatusOK, "catalog")
	var templates struct {
		Items []struct{ ID, DisplayName string }
	}
	r.decode(t, &templates)
	if !slices.ContainsFunc(templates.Items, func(x struct{ ID, DisplayName string }) bool {
		return x.ID == "standard" && x.DisplayName == "Standard"
	}) {
		t.Errorf("catalog %s has no standard template", r)
	}
	r = p.call(t, as("bob"), http.MethodGet, "/api/v1/catalog/templates/microservice", nil)
	expect(t, r, http.StatusOK, "template microservice")
	var tpl struct {
		Parameters []struct {
			Name     string
			Required bool
		}
	}
	if r.decode(t, &tpl); !slices.ContainsFunc(tpl.Parameters, func(x struct {
		Name     string
		Required bool
	}) bool {
		return x.Name == "service_name" && x.Required
	}) {
		t.Errorf("microservice parameters %+v, want service_name required", tpl.Parameters)
	}
	expect(t, p.call(t, as("bob"), http.MethodGet, "/api/v1/catalog/templates/nope", nil), http.StatusNotFound, "unknown template")
	r = p.call(t, as("bob"), http.MethodGet, "/api/v1/tiers", nil)
	expect(t, r, http.StatusOK, "tiers")
	var tiers struct {
		Items []struct {
			Name          string
			Quota         map[string]string
			MonthlyBudget *struct{ Amount, Currency string }
		}
	}
	r.decode(t, &tiers)
	for _, tr := range tiers.Items {
		if tr.Name == "dev" && (tr.Quota["limits.cpu"] != "2" || tr.MonthlyBudget == nil || tr.MonthlyBudget.Amount != "100") {
			t.Errorf("tier dev = %+v, want limits.cpu 2 and a budget of 100", tr)
		}
	}

	// Unknown routes and methods are problems too; request ids are kept.
	r = p.callWith(t, as("bob"), http.MethodGet, "/api/v1/nothing-here", nil, http.Header{"X-Request-Id": {"trace-123"}})
	expect(t, r, http.StatusNotFound, "unknown route")
	if prob := r.problem(t); prob.RequestID != "trace-123" || r.header.Get("X-Request-Id") != "trace-123" {
		t.Errorf("request id: problem %q, header %q, want trace-123", prob.RequestID, r.header.Get("X-Request-Id"))
	}
	r = p.call(t, as("bob"), http.MethodPatch, "/api/v1/namespaces/x/quotas", nil)
	expect(t, r, http.StatusMethodNotAllowed, "PATCH quotas")
	if r.header.Get("Allow") != "PUT" {
		t.Errorf("Allow = %q, want PUT", r.header.Get("Allow"))
	}
	r.problem(t)

	// Health and metrics sit beside the API, and count its requests.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		expect(t, p.call(t, "", http.MethodGet, path, nil), http.StatusOK, path)
	}
	resp, err := http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(metrics), `naas_api_requests_total{code="200",method="GET",route="/api/v1/tiers"}`) {
		t.Error("/metrics does not count the API's requests by route")
	}
}
