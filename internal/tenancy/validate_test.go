package tenancy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestEffectiveTier(t *testing.T) {
	tests := []struct {
		name  string
		claim *naasv1alpha1.NamespaceClaim
		tpl   *naasv1alpha1.NamespaceTemplate
		want  string
	}{
		{name: "claim tier wins over the template default", claim: claim("a", "t", "web").tier("prod").obj(), tpl: template("web").defaultTier("dev").obj(), want: "prod"},
		{name: "template default when the claim names none", claim: claim("a", "t", "web").obj(), tpl: template("web").defaultTier("dev").obj(), want: "dev"},
		{name: "empty when neither is set", claim: claim("a", "t", "web").obj(), tpl: template("web").obj()},
		{name: "nil template", claim: claim("a", "t", "web").obj()},
		{name: "nil claim", tpl: template("web").defaultTier("dev").obj(), want: "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EffectiveTier(tt.claim, tt.tpl); got != tt.want {
				t.Errorf("EffectiveTier() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateClaim(t *testing.T) {
	web := template("web").defaultTier("dev").obj()
	payments := tenant("payments").obj()
	tests := []struct {
		name   string
		claim  *naasv1alpha1.NamespaceClaim
		tenant *naasv1alpha1.Tenant
		tpl    *naasv1alpha1.NamespaceTemplate
		tier   *naasv1alpha1.Tier
		want   []fieldErr
	}{
		{
			name:  "valid claim with the template's default tier",
			claim: claim("payments-api", "payments", "web").obj(), tenant: payments, tpl: web, tier: tier("dev"),
		},
		{
			name:  "valid claim satisfying every tenant restriction",
			claim: claim("payments-api", "payments", "web").tier("staging").obj(),
			tenant: tenant("payments").templates("web", "data").tiers("dev", "staging").
				prefix("payments-").forbid("^payments-tmp").obj(),
			tpl: web, tier: tier("staging"),
		},
		{
			name:  "template not allowed by the tenant",
			claim: claim("payments-ml", "payments", "ml").obj(), tenant: tenant("payments").templates("standard", "data").obj(),
			tpl: template("ml").defaultTier("dev").obj(), tier: tier("dev"),
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.template", originAllowedTemplates}},
		},
		{
			name:  "tier not allowed by the tenant",
			claim: claim("payments-api", "payments", "web").tier("prod").obj(), tenant: tenant("payments").tiers("dev", "staging").obj(),
			tpl: web, tier: tier("prod"),
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.tier", originAllowedTiers}},
		},
		{
			name:  "template default tier not allowed by the tenant",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").tiers("staging").obj(),
			tpl: web, tier: tier("dev"),
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.tier", originAllowedTiers}},
		},
		{
			name:  "no tier on the claim nor the template",
			claim: claim("payments-api", "payments", "web").obj(), tenant: payments, tpl: template("web").obj(),
			want: []fieldErr{{field.ErrorTypeRequired, "spec.tier", originTierRequired}},
		},
		{
			name:  "name without the tenant's prefix",
			claim: claim("api", "payments", "web").obj(), tenant: tenant("payments").prefix("payments-").obj(),
			tpl: web, tier: tier("dev"),
			want: []fieldErr{{field.ErrorTypeInvalid, "metadata.name", originPrefix}},
		},
		{
			name:  "name matching a forbidden pattern",
			claim: claim("payments-tmp-1", "payments", "web").obj(), tenant: tenant("payments").forbid("^kube-", "-tmp-").obj(),
			tpl: web, tier: tier("dev"),
			want: []fieldErr{{field.ErrorTypeInvalid, "metadata.name", originForbiddenPattern}},
		},
		{
			name:  "bad forbidden pattern in the tenant is reported as such, the good ones still apply",
			claim: claim("kube-x", "payments", "web").obj(), tenant: tenant("payments").forbid("(", "^kube-").obj(),
			tpl: web, tier: tier("dev"),
			want: []fieldErr{
				{field.ErrorTypeInvalid, "metadata.name", originBadForbiddenPattern},
				{field.ErrorTypeInvalid, "metadata.name", originForbiddenPattern},
			},
		},
		{
			name:  "name that is not a DNS label",
			claim: claim("Payments_API", "payments", "web").obj(), tenant: payments, tpl: web, tier: tier("dev"),
			want: []fieldErr{{field.ErrorTypeInvalid, "metadata.name", originDNSLabel}},
		},
		{
			name:  "claim names another tenant than the one it is checked against",
			claim: claim("payments-api", "billing", "web").obj(), tenant: payments, tpl: web, tier: tier("dev"),
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.tenant", originTenantMismatch}},
		},
		{
			name:  "cordoned tenant still validates existing claims",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").cordoned().obj(), tpl: web, tier: tier("dev"),
		},
		{
			name:  "namespace cap is not checked on existing claims",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").maxNamespaces(0).obj(), tpl: web, tier: tier("dev"),
		},
		{
			name:  "invalid parameters are reported under spec.parameters",
			claim: claim("payments-api", "payments", "web").param("replicas", "three").param("colour", "red").obj(), tenant: payments,
			tpl:  template("web").defaultTier("dev").param(naasv1alpha1.Parameter{Name: "replicas", Type: naasv1alpha1.ParameterInteger}).obj(),
			tier: tier("dev"),
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.parameters[replicas]", originInteger},
				{field.ErrorTypeInvalid, "spec.parameters[colour]", originUnknownParameter},
			},
		},
		{
			name:  "unknown tenant, template and tier",
			claim: claim("payments-api", "payments", "web").tier("dev").obj(),
			want:  []fieldErr{{field.ErrorTypeNotFound, "spec.tenant", ""}, {field.ErrorTypeNotFound, "spec.template", ""}},
		},
		{
			name:  "unknown tier",
			claim: claim("payments-api", "payments", "web").tier("gold").obj(), tenant: payments, tpl: web,
			want: []fieldErr{{field.ErrorTypeNotFound, "spec.tier", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateClaim(tt.claim, tt.tenant, tt.tpl, tt.tier)
			if diff := cmp.Diff(tt.want, summarize(errs)); diff != "" {
				t.Errorf("ValidateClaim() errors mismatch (-want +got):\n%s\nerrors: %v", diff, errs)
			}
		})
	}
}

// TestValidateClaim_Messages pins the wording of the messages users see: each names the rule and what passes.
func TestValidateClaim_Messages(t *testing.T) {
	web := template("web").defaultTier("dev").obj()
	tests := []struct {
		name   string
		claim  *naasv1alpha1.NamespaceClaim
		tenant *naasv1alpha1.Tenant
		tpl    *naasv1alpha1.NamespaceTemplate
		want   string
	}{
		{
			name:  "template",
			claim: claim("payments-ml", "payments", "ml").obj(), tenant: tenant("payments").templates("standard", "data").obj(),
			tpl:  template("ml").defaultTier("dev").obj(),
			want: `spec.template: Forbidden: tenant "payments" allows templates standard, data; got ml`,
		},
		{
			name:  "tier",
			claim: claim("payments-api", "payments", "web").tier("prod").obj(), tenant: tenant("payments").tiers("dev", "staging").obj(), tpl: web,
			want: `spec.tier: Forbidden: tenant "payments" allows tiers dev, staging; got prod`,
		},
		{
			name:  "default tier",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").tiers("staging").obj(), tpl: web,
			want: `spec.tier: Forbidden: tenant "payments" allows tiers staging; got dev (the default tier of template "web"; set spec.tier to choose another)`,
		},
		{
			name:  "missing tier",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").tiers("dev", "staging").obj(), tpl: template("web").obj(),
			want: `spec.tier: Required value: template "web" has no default tier; set spec.tier to one of dev, staging`,
		},
		{
			name:  "prefix",
			claim: claim("api", "payments", "web").obj(), tenant: tenant("payments").prefix("payments-").obj(), tpl: web,
			want: `metadata.name: Invalid value: "api": tenant "payments" requires namespace names to start with "payments-"`,
		},
		{
			name:  "forbidden pattern",
			claim: claim("payments-tmp", "payments", "web").obj(), tenant: tenant("payments").forbid("tmp$").obj(), tpl: web,
			want: `metadata.name: Invalid value: "payments-tmp": matches pattern "tmp$", which tenant "payments" forbids in namespace names; choose a name that does not match it`,
		},
		{
			name:  "bad forbidden pattern",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").forbid("a(b").obj(), tpl: web,
			want: `metadata.name: Invalid value: "payments-api": cannot check the naming rules of tenant "payments": forbidden pattern "a(b" is not a valid regular expression ` +
				"(error parsing regexp: missing closing ): `a(b`); a platform admin must fix spec.naming.forbiddenPatterns of the tenant",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateClaim(tt.claim, tt.tenant, tt.tpl, tier("x"))
			if len(errs) != 1 {
				t.Fatalf("ValidateClaim() = %v, want one error", errs)
			}
			if diff := cmp.Diff(tt.want, errs[0].Error()); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateCreate(t *testing.T) {
	web := template("web").defaultTier("dev").obj()
	tests := []struct {
		name    string
		claim   *naasv1alpha1.NamespaceClaim
		tenant  *naasv1alpha1.Tenant
		current int
		want    []fieldErr
	}{
		{
			name:  "open tenant below its cap accepts the claim",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").maxNamespaces(3).obj(), current: 2,
		},
		{
			name:  "tenant without a cap accepts the claim",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").obj(), current: 1000,
		},
		{
			name:  "cordoned tenant refuses new claims",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").cordoned().obj(),
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.tenant", originCordoned}},
		},
		{
			name:  "tenant at its cap refuses new claims",
			claim: claim("payments-api", "payments", "web").obj(), tenant: tenant("payments").maxNamespaces(3).obj(), current: 3,
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.tenant", originMaxNamespaces}},
		},
		{
			name:  "create-time rules add to the life-time ones",
			claim: claim("api", "payments", "web").obj(), tenant: tenant("payments").prefix("payments-").cordoned().maxNamespaces(0).obj(),
			want: []fieldErr{
				{field.ErrorTypeInvalid, "metadata.name", originPrefix},
				{field.ErrorTypeForbidden, "spec.tenant", originCordoned},
				{field.ErrorTypeForbidden, "spec.tenant", originMaxNamespaces},
			},
		},
		{
			name:  "unknown tenant",
			claim: claim("payments-api", "payments", "web").obj(),
			want:  []fieldErr{{field.ErrorTypeNotFound, "spec.tenant", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateCreate(tt.claim, tt.tenant, web, tier("dev"), tt.current)
			if diff := cmp.Diff(tt.want, summarize(errs)); diff != "" {
				t.Errorf("ValidateCreate() errors mismatch (-want +got):\n%s\nerrors: %v", diff, errs)
			}
		})
	}
}

func TestHoldsNamespace_CountsDeletingClaimsUntilTheyAreGone(t *testing.T) {
	live := claim("pay-a", "payments", "web").obj()
	deleting := claim("pay-b", "payments", "web").obj()
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}
	deleting.Finalizers = []string{naasv1alpha1.FinalizerNamespace}
	tests := []struct {
		name   string
		claim  *naasv1alpha1.NamespaceClaim
		except string
		want   bool
	}{
		{name: "a live claim", claim: live, except: "pay-new", want: true},
		{name: "a claim being deleted, its namespace still Terminating", claim: deleting, except: "pay-new", want: true},
		{name: "the claim being created (a retried create)", claim: live, except: "pay-a", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HoldsNamespace(tt.claim, tt.except); got != tt.want {
				t.Errorf("HoldsNamespace() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckNamespaceCount(t *testing.T) {
	tests := []struct {
		name    string
		tenant  *naasv1alpha1.Tenant
		current int
		wantErr string
	}{
		{name: "no cap", tenant: tenant("payments").obj(), current: 50},
		{name: "below the cap", tenant: tenant("payments").maxNamespaces(10).obj(), current: 9},
		{
			name: "at the cap", tenant: tenant("payments").maxNamespaces(10).obj(), current: 10,
			wantErr: `spec.tenant: Forbidden: tenant "payments" already has 10 namespaces and allows at most 10 (spec.maxNamespaces); ` +
				`delete a namespace or ask a platform admin to raise the limit`,
		},
		{
			name: "above a lowered cap", tenant: tenant("payments").maxNamespaces(2).obj(), current: 5,
			wantErr: `spec.tenant: Forbidden: tenant "payments" already has 5 namespaces and allows at most 2 (spec.maxNamespaces); ` +
				`delete a namespace or ask a platform admin to raise the limit`,
		},
		{
			name: "zero cap refuses the first namespace", tenant: tenant("payments").maxNamespaces(0).obj(),
			wantErr: `spec.tenant: Forbidden: tenant "payments" already has 0 namespaces and allows at most 0 (spec.maxNamespaces); ` +
				`delete a namespace or ask a platform admin to raise the limit`,
		},
		{name: "nil tenant", current: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckNamespaceCount(tt.tenant, tt.current)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("CheckNamespaceCount() = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func TestResolveParameters(t *testing.T) {
	str := func(name string) naasv1alpha1.Parameter { return naasv1alpha1.Parameter{Name: name} }
	integer := naasv1alpha1.Parameter{Name: "replicas", Type: naasv1alpha1.ParameterInteger, Default: ptr.To("2")}
	boolean := naasv1alpha1.Parameter{Name: "debug", Type: naasv1alpha1.ParameterBoolean, Default: ptr.To("false")}
	size := naasv1alpha1.Parameter{Name: "size", Enum: []string{"small", "medium", "large"}, Default: ptr.To("small")}
	team := naasv1alpha1.Parameter{Name: "team", Required: true, Pattern: "^[a-z]+$"}

	tests := []struct {
		name       string
		params     []naasv1alpha1.Parameter
		given      map[string]string
		want       map[string]string
		wantErrs   []fieldErr
		wantDetail string // the detail of the first error, when set
	}{
		{
			name:   "defaults fill what the claim leaves unset; optional parameters without default are empty",
			params: []naasv1alpha1.Parameter{integer, boolean, size, str("owner")},
			want:   map[string]string{"replicas": "2", "debug": "false", "size": "small", "owner": ""},
		},
		{
			name:   "claim values win over defaults",
			params: []naasv1alpha1.Parameter{integer, boolean, size, team},
			given:  map[string]string{"replicas": "5", "debug": "true", "size": "large", "team": "core"},
			want:   map[string]string{"replicas": "5", "debug": "true", "size": "large", "team": "core"},
		},
		{
			name:   "an empty claim value means unset",
			params: []naasv1alpha1.Parameter{integer},
			given:  map[string]string{"replicas": ""},
			want:   map[string]string{"replicas": "2"},
		},
		{
			name:       "template without parameters",
			want:       map[string]string{},
			given:      map[string]string{"x": "1"},
			wantErrs:   []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[x]", originUnknownParameter}},
			wantDetail: `template "web" has no parameter "x"; it takes no parameters`,
		},
		{
			name:       "unknown parameters are reported in name order and dropped",
			params:     []naasv1alpha1.Parameter{str("owner"), str("cost")},
			given:      map[string]string{"zone": "a", "colour": "red", "owner": "me"},
			want:       map[string]string{"owner": "me", "cost": ""},
			wantErrs:   []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[colour]", originUnknownParameter}, {field.ErrorTypeInvalid, "spec.parameters[zone]", originUnknownParameter}},
			wantDetail: `template "web" has no parameter "colour"; it takes owner, cost`,
		},
		{
			name:       "required parameter missing",
			params:     []naasv1alpha1.Parameter{team},
			want:       map[string]string{"team": ""},
			wantErrs:   []fieldErr{{field.ErrorTypeRequired, "spec.parameters[team]", originRequiredParameter}},
			wantDetail: `template "web" requires parameter "team" (string); matching "^[a-z]+$"`,
		},
		{
			name:     "required parameter set empty",
			params:   []naasv1alpha1.Parameter{team},
			given:    map[string]string{"team": ""},
			want:     map[string]string{"team": ""},
			wantErrs: []fieldErr{{field.ErrorTypeRequired, "spec.parameters[team]", originRequiredParameter}},
		},
		{
			name:     "a default does not satisfy required",
			params:   []naasv1alpha1.Parameter{{Name: "team", Required: true, Default: ptr.To("core")}},
			want:     map[string]string{"team": ""},
			wantErrs: []fieldErr{{field.ErrorTypeRequired, "spec.parameters[team]", originRequiredParameter}},
		},
		{
			name:       "value outside the enum",
			params:     []naasv1alpha1.Parameter{size},
			given:      map[string]string{"size": "huge"},
			want:       map[string]string{"size": "huge"},
			wantErrs:   []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[size]", originEnum}},
			wantDetail: "must be one of small, medium, large",
		},
		{
			name:       "integer that does not parse",
			params:     []naasv1alpha1.Parameter{integer},
			given:      map[string]string{"replicas": "2.5"},
			want:       map[string]string{"replicas": "2.5"},
			wantErrs:   []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[replicas]", originInteger}},
			wantDetail: "must be an integer, e.g. 3",
		},
		{
			name:   "negative integer parses",
			params: []naasv1alpha1.Parameter{integer},
			given:  map[string]string{"replicas": "-1"},
			want:   map[string]string{"replicas": "-1"},
		},
		{
			name:       "boolean other than true or false",
			params:     []naasv1alpha1.Parameter{boolean},
			given:      map[string]string{"debug": "yes"},
			want:       map[string]string{"debug": "yes"},
			wantErrs:   []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[debug]", originBoolean}},
			wantDetail: `must be a boolean: "true" or "false"`,
		},
		{
			name:     "boolean accepts only lower-case literals",
			params:   []naasv1alpha1.Parameter{boolean},
			given:    map[string]string{"debug": "TRUE"},
			want:     map[string]string{"debug": "TRUE"},
			wantErrs: []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[debug]", originBoolean}},
		},
		{
			name:       "string not matching the pattern",
			params:     []naasv1alpha1.Parameter{team},
			given:      map[string]string{"team": "Core"},
			want:       map[string]string{"team": "Core"},
			wantErrs:   []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[team]", originPattern}},
			wantDetail: `must match the regular expression "^[a-z]+$"`,
		},
		{
			name:     "bad pattern in the template",
			params:   []naasv1alpha1.Parameter{{Name: "team", Pattern: "["}},
			given:    map[string]string{"team": "core"},
			want:     map[string]string{"team": "core"},
			wantErrs: []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[team]", originBadPattern}},
		},
		{
			name:       "bad default in the template is reported as the template's",
			params:     []naasv1alpha1.Parameter{{Name: "replicas", Type: naasv1alpha1.ParameterInteger, Default: ptr.To("many")}},
			want:       map[string]string{"replicas": "many"},
			wantErrs:   []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[replicas]", originInteger}},
			wantDetail: `default of template "web": must be an integer, e.g. 3`,
		},
		{
			name:     "unknown parameter type",
			params:   []naasv1alpha1.Parameter{{Name: "ratio", Type: "float"}},
			given:    map[string]string{"ratio": "0.5"},
			want:     map[string]string{"ratio": "0.5"},
			wantErrs: []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[ratio]", originParameterType}},
		},
		{
			name:     "integer enum",
			params:   []naasv1alpha1.Parameter{{Name: "replicas", Type: naasv1alpha1.ParameterInteger, Enum: []string{"1", "3"}}},
			given:    map[string]string{"replicas": "2"},
			want:     map[string]string{"replicas": "2"},
			wantErrs: []fieldErr{{field.ErrorTypeInvalid, "spec.parameters[replicas]", originEnum}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := template("web")
			for _, p := range tt.params {
				tb.param(p)
			}
			c := claim("payments-api", "payments", "web").obj()
			c.Spec.Parameters = tt.given
			got, errs := ResolveParameters(tb.obj(), c)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ResolveParameters() parameters mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrs, summarize(errs)); diff != "" {
				t.Errorf("ResolveParameters() errors mismatch (-want +got):\n%s\nerrors: %v", diff, errs)
			}
			if tt.wantDetail != "" && len(errs) > 0 && errs[0].Detail != tt.wantDetail {
				t.Errorf("first error detail = %q, want %q", errs[0].Detail, tt.wantDetail)
			}
		})
	}
}

func TestReason(t *testing.T) {
	web := template("web").defaultTier("dev").obj()
	tests := []struct {
		name string
		errs field.ErrorList
		want string
	}{
		{name: "no errors"},
		{name: "unknown tenant", errs: ValidateClaim(claim("a", "t", "web").obj(), nil, web, tier("dev")), want: naasv1alpha1.ReasonUnknownTenant},
		{name: "unknown template", errs: ValidateClaim(claim("a", "t", "web").obj(), tenant("t").obj(), nil, nil), want: naasv1alpha1.ReasonUnknownTemplate},
		{name: "unknown tier", errs: ValidateClaim(claim("a", "t", "web").obj(), tenant("t").obj(), web, nil), want: naasv1alpha1.ReasonUnknownTier},
		{name: "naming", errs: ValidateClaim(claim("a", "t", "web").obj(), tenant("t").prefix("t-").obj(), web, tier("dev")), want: naasv1alpha1.ReasonNamingRules},
		{name: "parameters", errs: ValidateClaim(claim("a", "t", "web").param("x", "1").obj(), tenant("t").obj(), web, tier("dev")), want: naasv1alpha1.ReasonInvalidParameters},
		{name: "template not allowed", errs: ValidateClaim(claim("a", "t", "web").obj(), tenant("t").templates("data").obj(), web, tier("dev")), want: naasv1alpha1.ReasonNotAllowed},
		{name: "cordoned", errs: ValidateCreate(claim("a", "t", "web").obj(), tenant("t").cordoned().obj(), web, tier("dev"), 0), want: naasv1alpha1.ReasonNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Reason(tt.errs); got != tt.want {
				t.Errorf("Reason(%v) = %q, want %q", tt.errs, got, tt.want)
			}
		})
	}
}

// TestValidateClaim_MessagesSayWhatPasses checks that no message is bare: every one explains itself.
func TestValidateClaim_MessagesSayWhatPasses(t *testing.T) {
	errs := ValidateCreate(
		claim("tmp", "payments", "ml").tier("prod").param("x", "1").obj(),
		tenant("payments").templates("web").tiers("dev").prefix("payments-").forbid("^tmp").cordoned().maxNamespaces(1).obj(),
		template("ml").obj(), tier("prod"), 1)
	if len(errs) != 7 {
		t.Fatalf("got %d errors, want 7: %v", len(errs), errs)
	}
	for _, e := range errs {
		if !strings.Contains(e.Detail, `"payments"`) && !strings.Contains(e.Detail, `"ml"`) {
			t.Errorf("message %q names neither the tenant nor the template", e.Detail)
		}
	}
}
