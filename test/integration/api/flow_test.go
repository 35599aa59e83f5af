package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// usageOf reads the quota of one namespace from GET /api/v1/analytics/usage.
func (p *platform) usageOf(t *testing.T, token, namespace string) map[string]struct{ Hard, Used string } {
	t.Helper()
	r := p.call(t, token, http.MethodGet, "/api/v1/analytics/usage", nil)
	expect(t, r, http.StatusOK, "usage")
	var report struct {
		Namespaces []struct {
			Namespace string
			Resources map[string]struct{ Hard, Used string }
		}
	}
	r.decode(t, &report)
	for _, n := range report.Namespaces {
		if n.Namespace == namespace {
			return n.Resources
		}
	}
	return nil
}

func TestAPI_TenantDeveloperRequestsFollowsResizesAndDeletesANamespace(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	createTenant(t, "flow", func(s *naasv1alpha1.TenantSpec) {
		s.AllowedTiers = []string{"dev", "staging"}
		s.Naming.Prefix = "flow-"
	}, user("alice", naasv1alpha1.RoleAdmin), group("team-bob", naasv1alpha1.RoleDeveloper), user("carol", naasv1alpha1.RoleViewer))
	request := map[string]any{
		"name": "flow-web", "tenant": "flow", "template": "standard",
		"parameters": map[string]string{"owner_email": "bob@example.com"},
	}

	// Request: 202, with where to follow it.
	r := p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", request)
	expect(t, r, http.StatusAccepted, "bob requests flow-web")
	if loc := r.header.Get("Location"); loc != "/api/v1/namespaces/flow-web/status" {
		t.Errorf("Location = %q", loc)
	}
	var accepted namespaceStatus
	r.decode(t, &accepted)
	if accepted.Name != "flow-web" || accepted.Tenant != "flow" || accepted.Requester == nil || accepted.Requester.Username != "bob" {
		t.Errorf("accepted = %+v, want flow-web of tenant flow requested by bob", accepted)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the response")
	}

	// The claim was written as bob: the API server saw him, not naas.
	claim := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "flow-web"}, claim); err != nil {
		t.Fatal(err)
	}
	if claim.Spec.Requester == nil || claim.Spec.Requester.Username != "bob" {
		t.Errorf("claim requester = %+v, want bob", claim.Spec.Requester)
	}

	// Status until Ready, with every step.
	ns := p.waitPhase(t, as("bob"), "flow-web", naasv1alpha1.PhaseReady)
	for _, step := range []string{naasv1alpha1.ConditionValid, naasv1alpha1.ConditionNamespace, naasv1alpha1.ConditionQuota, naasv1alpha1.ConditionReady} {
		if status, _ := ns.condition(step); status != "True" {
			t.Errorf("condition %s = %q, want True; conditions %+v", step, status, ns.Conditions)
		}
	}
	if !ns.Ready || ns.Tier != "dev" {
		t.Errorf("status = %+v, want ready in tier dev", ns)
	}

	// The same request again is answered, not refused: clients may retry.
	r = p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", request)
	expect(t, r, http.StatusOK, "bob repeats his request")

	// Listing shows it to members only.
	var list struct{ Items []namespaceStatus }
	r = p.call(t, as("carol"), http.MethodGet, "/api/v1/namespaces", nil)
	expect(t, r, http.StatusOK, "carol lists")
	r.decode(t, &list)
	if !slices.ContainsFunc(list.Items, func(n namespaceStatus) bool { return n.Name == "flow-web" }) {
		t.Errorf("carol (viewer) does not see flow-web: %s", r)
	}

	// Analytics show the quota the cluster holds, with usage counted by kube-controller-manager.
	poll(t, 60*time.Second, "usage of flow-web", func() error {
		u := p.usageOf(t, as("bob"), "flow-web")
		if u["limits.cpu"].Hard != "2" || u["configmaps"].Used == "" || u["configmaps"].Used == "0" {
			return fmt.Errorf("usage %v: want limits.cpu hard 2 and configmaps used (kube-root-ca.crt)", u)
		}
		return nil
	})

	// Quota update: moving to staging resizes the namespace's quota in place.
	r = p.call(t, as("bob"), http.MethodPut, "/api/v1/namespaces/flow-web/quotas", map[string]string{"tier": "staging"})
	expect(t, r, http.StatusAccepted, "bob moves flow-web to staging")
	poll(t, 60*time.Second, "staging quota", func() error {
		if hard := p.usageOf(t, as("bob"), "flow-web")["limits.cpu"].Hard; hard != "4" {
			return fmt.Errorf("limits.cpu hard = %q, want 4", hard)
		}
		return nil
	})
	r = p.call(t, as("bob"), http.MethodPut, "/api/v1/namespaces/flow-web/quotas", map[string]string{"tier": "prod"})
	expect(t, r, http.StatusUnprocessableEntity, "prod is not allowed to tenant flow")
	if prob := r.problem(t); len(prob.Errors) != 1 || prob.Errors[0].Field != "tier" || prob.Errors[0].Rule != "allowedTiers" {
		t.Errorf("problem errors = %+v, want tier/allowedTiers", prob.Errors)
	}

	// A viewer may look but not delete.
	r = p.call(t, as("carol"), http.MethodDelete, "/api/v1/namespaces/flow-web", nil)
	expect(t, r, http.StatusForbidden, "carol (viewer) deletes")
	r.problem(t)

	// A member of another tenant gets nothing of it.
	createTenant(t, "rival", nil, user("mallory", naasv1alpha1.RoleAdmin))
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{http.MethodGet, "/api/v1/namespaces/flow-web/status", nil, http.StatusNotFound},
		{http.MethodPut, "/api/v1/namespaces/flow-web/quotas", map[string]string{"tier": "dev"}, http.StatusNotFound},
		{http.MethodDelete, "/api/v1/namespaces/flow-web", nil, http.StatusNotFound},
		// As for a tenant that does not exist: the answer does not tell mallory that flow exists.
		{http.MethodPost, "/api/v1/namespaces/request", map[string]any{"name": "flow-evil", "tenant": "flow", "template": "standard"}, http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/tenants/flow", nil, http.StatusNotFound},
		{http.MethodPost, "/api/v1/approvals/flow-web/approve", nil, http.StatusNotFound},
	} {
		r := p.call(t, as("mallory"), c.method, c.path, c.body)
		expect(t, r, c.want, "mallory: "+c.method+" "+c.path)
		r.problem(t)
	}
	for _, path := range []string{"/api/v1/namespaces", "/api/v1/analytics/usage", "/api/v1/analytics/costs", "/api/v1/approvals"} {
		r := p.call(t, as("mallory"), http.MethodGet, path, nil)
		expect(t, r, http.StatusOK, "mallory: GET "+path)
		if strings.Contains(string(r.body), `"flow-web"`) {
			t.Errorf("mallory sees flow-web in %s: %s", path, r)
		}
	}
	if env.ClaimExists(t, "flow-evil") {
		t.Error("mallory's request in tenant flow created a claim")
	}

	// Unauthenticated: 401 on all of it, with a challenge.
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, "/api/v1/namespaces/request"}, {http.MethodGet, "/api/v1/namespaces/flow-web/status"},
		{http.MethodPut, "/api/v1/namespaces/flow-web/quotas"}, {http.MethodDelete, "/api/v1/namespaces/flow-web"},
	} {
		r := p.call(t, "", c.method, c.path, nil)
		expect(t, r, http.StatusUnauthorized, "anonymous "+c.method+" "+c.path)
		if r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: no WWW-Authenticate challenge", c.method, c.path)
		}
		r.problem(t)
	}

	// Delete: 202, then the namespace and its claim go.
	r = p.call(t, as("bob"), http.MethodDelete, "/api/v1/namespaces/flow-web", nil)
	expect(t, r, http.StatusAccepted, "bob deletes flow-web")
	poll(t, 90*time.Second, "flow-web gone", func() error {
		r := p.call(t, as("bob"), http.MethodGet, "/api/v1/namespaces/flow-web/status", nil)
		if r.status != http.StatusNotFound {
			return fmt.Errorf("status: %s", r)
		}
		err := env.Client.Get(context.Background(), client.ObjectKey{Name: "flow-web"}, &corev1.Namespace{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("namespace still there: %w", err)
		}
		return nil
	})
}

func TestAPI_Authentication(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	createTenant(t, "authn", nil, group("oidc-devs", naasv1alpha1.RoleDeveloper))
	iss := p.issuer
	valid := iss.Token(map[string]any{"sub": "u-42", "email": "dana@example.com", "email_verified": true, "groups": []string{"oidc-devs"}}, time.Hour)

	var me struct {
		Username      string
		Groups        []string
		PlatformAdmin bool
		Tenants       []struct{ Tenant, Role string }
	}
	// The tenant was created a moment ago: naas answers from its cache, which may lag by a moment.
	poll(t, 10*time.Second, "the OIDC user's view of themselves", func() error {
		r := p.call(t, valid, http.MethodGet, "/api/v1/me", nil)
		expect(t, r, http.StatusOK, "OIDC token")
		r.decode(t, &me)
		if me.Username != "dana@example.com" || !slices.Contains(me.Groups, "oidc-devs") || me.PlatformAdmin ||
			!slices.ContainsFunc(me.Tenants, func(m struct{ Tenant, Role string }) bool { return m.Tenant == "authn" && m.Role == "developer" }) {
			return fmt.Errorf("me = %+v, want dana@example.com (from the email claim), developer of tenant authn", me)
		}
		return nil
	})

	// An OIDC user acts through the whole stack: the claim is written as them.
	r := p.call(t, valid, http.MethodPost, "/api/v1/namespaces/request", map[string]any{"name": "authn-oidc", "tenant": "authn", "template": "standard"})
	expect(t, r, http.StatusAccepted, "OIDC user requests a namespace")
	claim := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "authn-oidc"}, claim); err != nil {
		t.Fatal(err)
	}
	if claim.Spec.Requester == nil || claim.Spec.Requester.Username != "dana@example.com" {
		t.Errorf("requester = %+v, want dana@example.com", claim.Spec.Requester)
	}

	r = p.call(t, as("platform-admin"), http.MethodGet, "/api/v1/me", nil)
	expect(t, r, http.StatusOK, "static token")
	r.decode(t, &me)
	if me.Username != "platform-admin" || !me.PlatformAdmin {
		t.Errorf("me = %+v, want platform-admin, a platform admin", me)
	}

	for name, token := range map[string]string{
		"expired":          iss.Token(map[string]any{"email": "dana@example.com"}, -time.Minute),
		"wrong audience":   iss.Token(map[string]any{"email": "dana@example.com", "aud": "someone-else"}, time.Hour),
		"unknown key":      iss.TokenSignedByUnknownKey(map[string]any{"email": "dana@example.com"}, time.Hour),
		"unverified email": iss.Token(map[string]any{"email": "dana@example.com", "email_verified": false}, time.Hour),
		"unknown token":    "not-a-token",
	} {
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/api/v1/me"}, {http.MethodPost, "/api/v1/namespaces/request"},
		} {
			r := p.call(t, token, c.method, c.path, nil)
			expect(t, r, http.StatusUnauthorized, name+": "+c.method+" "+c.path)
			r.problem(t)
		}
	}
	r = p.callWith(t, "", http.MethodGet, "/api/v1/me", nil, http.Header{"Authorization": {"Basic YWxpY2U6cHc="}})
	expect(t, r, http.StatusUnauthorized, "basic credentials")

	// The API document needs no credentials.
	expect(t, p.call(t, "", http.MethodGet, "/api/v1/openapi.json", nil), http.StatusOK, "anonymous openapi.json")
}
