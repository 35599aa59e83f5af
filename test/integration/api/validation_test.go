package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestAPI_BadRequestsAreProblemsNamingTheFieldAndCreateNothing(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	createTenant(t, "bad", func(s *naasv1alpha1.TenantSpec) {
		s.Naming.Prefix = "bad-"
		s.AllowedTiers = []string{"dev"}
		s.AllowedTemplates = []string{"standard", "microservice"}
	}, user("bob", naasv1alpha1.RoleDeveloper))
	ok := map[string]any{"name": "bad-ok", "tenant": "bad", "template": "standard"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for key, val := range ok {
			m[key] = val
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name      string
		body      any
		wantCode  int
		wantField string
		wantRule  string
	}{
		{"missing name", with("name", nil), 422, "name", "required"},
		{"name not a DNS label", with("name", "Bad_Name"), 422, "name", "format=k8s-short-name"},
		{"name over 63 characters", with("name", "bad-"+strings.Repeat("x", 60)), 422, "name", "format=k8s-short-name"},
		{"name without the tenant's prefix", with("name", "web"), 422, "name", "namingPrefix"},
		{"missing tenant", with("tenant", nil), 422, "tenant", "required"},
		{"unknown tenant", with("tenant", "nope"), 422, "tenant", "notFound"},
		{"missing template", with("template", nil), 422, "template", "required"},
		{"unknown template", with("template", "nope"), 422, "template", "notFound"},
		{"template the tenant does not allow", with("template", "data"), 422, "template", "allowedTemplates"},
		{"unknown tier", with("tier", "gold"), 422, "tier", "notFound"},
		{"tier the tenant does not allow", with("tier", "prod"), 422, "tier", "allowedTiers"},
		{"unknown parameter", with("parameters", map[string]string{"colour": "red"}), 422, "parameters.colour", "unknownParameter"},
		{"parameter breaking its pattern", with("parameters", map[string]string{"owner_email": "nobody"}), 422, "parameters.owner_email", "pattern"},
		{"required parameter missing", map[string]any{"name": "bad-svc", "tenant": "bad", "template": "microservice"}, 422, "parameters.service_name", "requiredParameter"},
		{"parameter value not a string", with("parameters", map[string]any{"owner_email": 7}), 400, "parameters", "type"},
		{"name not a string", with("name", 42), 400, "name", "type"},
		{"unknown field", with("namespace", "bad-ok"), 400, "namespace", "unknownField"},
		{"malformed JSON", `{"name": "bad-ok",`, 400, "", ""},
		{"not an object", `["bad-ok"]`, 400, "", ""},
		{"empty body", ``, 400, "", ""},
		{"null body", `null`, 400, "", ""},
		{"NUL in the tenant", with("tenant", "bad\x00"), 422, "tenant", "controlCharacter"},
		{"escape sequence in a parameter", with("parameters", map[string]string{"owner_email": "a@b.c\x1b[2J"}), 422, "parameters.owner_email", "controlCharacter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", tt.body)
			expect(t, r, tt.wantCode, tt.name)
			prob := r.problem(t)
			if tt.wantField == "" {
				return
			}
			found := false
			for _, e := range prob.Errors {
				found = found || (e.Field == tt.wantField && e.Rule == tt.wantRule && e.Message != "")
			}
			if !found {
				t.Errorf("problem errors %+v do not name field %q with rule %q", prob.Errors, tt.wantField, tt.wantRule)
			}
		})
	}

	// Bodies that are not JSON, or too big.
	r := p.callWith(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", "name=bad-ok",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	expect(t, r, http.StatusUnsupportedMediaType, "form body")
	r.problem(t)
	huge := with("parameters", map[string]string{"owner_email": strings.Repeat("a", 2<<20) + "@example.com"})
	r = p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", huge)
	expect(t, r, http.StatusRequestEntityTooLarge, "2 MiB body")
	r.problem(t)

	// Bad quota updates, on a claim that does exist.
	expect(t, p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", ok), http.StatusAccepted, "a good request")
	for _, c := range []struct {
		body      any
		wantCode  int
		wantField string
	}{
		{map[string]string{}, 422, "tier"},
		{map[string]string{"tier": "gold"}, 422, "tier"},
		{map[string]any{"tier": "dev", "cpu": "8"}, 400, "cpu"},
	} {
		r := p.call(t, as("bob"), http.MethodPut, "/api/v1/namespaces/bad-ok/quotas", c.body)
		expect(t, r, c.wantCode, fmt.Sprintf("quota update %v", c.body))
		if prob := r.problem(t); len(prob.Errors) == 0 || prob.Errors[0].Field != c.wantField {
			t.Errorf("quota update %v: errors %+v, want field %s", c.body, prob.Errors, c.wantField)
		}
	}

	// Nothing but the one good request was created.
	list := &naasv1alpha1.NamespaceClaimList{}
	if err := env.Client.List(context.Background(), list); err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Items {
		if c.Spec.Tenant == "bad" && c.Name != "bad-ok" || strings.HasPrefix(c.Name, "bad-") && c.Name != "bad-ok" {
			t.Errorf("a bad request created claim %s", c.Name)
		}
	}
}

// TestAPI_WritesAreAdmittedAsTheCaller shows that the API never bypasses admission and impersonates the caller:
// an admission policy that refuses one user refuses that user's requests through the API too, and no one
// else's.
func TestAPI_WritesAreAdmittedAsTheCaller(t *testing.T) {
	ctx := context.Background()
	p := startPlatform(t, platformConfig{})
	createTenant(t, "adm", nil, user("erin", naasv1alpha1.RoleDeveloper), user("dave", naasv1alpha1.RoleDeveloper))
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "test-no-claims-by-erin"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{"naas.dev"}, APIVersions: []string{"*"},
						Resources: []string{"namespaceclaims"}},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{
				Expression: "request.userInfo.username != 'erin'",
				Message:    "erin may not create claims today",
			}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: policy.Name, ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	if err := env.Client.Create(ctx, policy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, policy) })
	if err := env.Client.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, binding) })

	attempt := 0
	poll(t, 30*time.Second, "erin's request refused by the admission policy", func() error {
		attempt++
		name := fmt.Sprintf("adm-erin-%d", attempt)
		r := p.call(t, as("erin"), http.MethodPost, "/api/v1/namespaces/request", map[string]any{"name": name, "tenant": "adm", "template": "standard"})
		// The policy sets no reason, so the API server reports it as Invalid: 422.
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusForbidden {
			return fmt.Errorf("erin: %s", r)
		}
		prob := r.problem(t)
		if !strings.Contains(prob.Detail, "erin may not create claims today") {
			return fmt.Errorf("problem %+v does not carry the policy's message", prob)
		}
		if strings.Contains(prob.Detail, "ValidatingAdmissionPolicy") || strings.Contains(prob.Detail, "namespaceclaims.naas.dev") {
			t.Errorf("problem %+v carries the API server's framing around the policy's message", prob)
		}
		return nil
	})
	r := p.call(t, as("dave"), http.MethodPost, "/api/v1/namespaces/request", map[string]any{"name": "adm-dave", "tenant": "adm", "template": "standard"})
	expect(t, r, http.StatusAccepted, "dave, whom the policy does not name")
}
