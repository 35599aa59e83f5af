package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/httpx"
	"github.com/naas-dev/naas/internal/tenancy"
)

// fieldRule is the part of a field error the tests compare.
type fieldRule struct{ Field, Rule string }

func rules(errs field.ErrorList) []fieldRule {
	var out []fieldRule
	for _, f := range fieldErrors(errs) {
		out = append(out, fieldRule{f.Field, f.Rule})
	}
	return out
}

func TestAPIFieldPath(t *testing.T) {
	for in, want := range map[string]string{
		"metadata.name":               "name",
		"spec.tenant":                 "tenant",
		"spec.parameters[owner]":      "parameters.owner",
		"spec.owners[0].role":         "members[0].role",
		"spec.naming.prefix":          "naming.prefix",
		"spec.quota[limits.cpu]":      "quota.limits.cpu",
		"members[12].namespace":       "members[12].namespace",
		"namespaceLabels[team]":       "namespaceLabels.team",
		"status.approval.reason":      "status.approval.reason",
		"spec.allowedTiers[2]":        "allowedTiers[2]",
		"spec.parameters[with space]": "parameters.with space",
	} {
		if got := apiFieldPath(in); got != want {
			t.Errorf("apiFieldPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateNamespaceRequest(t *testing.T) {
	tests := []struct {
		name string
		req  restv1.NamespaceRequest
		want []fieldRule
	}{
		{name: "valid", req: restv1.NamespaceRequest{Name: "acme-web", Tenant: "acme", Template: "standard"}},
		{
			name: "everything missing", req: restv1.NamespaceRequest{},
			want: []fieldRule{{"name", "required"}, {"tenant", "required"}, {"template", "required"}},
		},
		{
			name: "name not a DNS label", req: restv1.NamespaceRequest{Name: "Acme_Web", Tenant: "acme", Template: "standard"},
			want: []fieldRule{{"name", "format=k8s-short-name"}},
		},
		{
			name: "too long", req: restv1.NamespaceRequest{Name: "a", Tenant: strings.Repeat("t", 64), Template: "s", Tier: strings.Repeat("x", 64)},
			want: []fieldRule{{"tenant", "maxLength"}, {"tier", "maxLength"}},
		},
		{
			name: "parameter value too long", req: restv1.NamespaceRequest{Name: "a", Tenant: "t", Template: "s",
				Parameters: map[string]string{"big": strings.Repeat("v", 1025)}},
			want: []fieldRule{{"parameters.big", "maxLength"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, rules(validateNamespaceRequest(tt.req))); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateCreate_ErrorsNameTheRequestFields(t *testing.T) {
	tn := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: naasv1alpha1.TenantSpec{
		Naming: naasv1alpha1.NamingRules{Prefix: "acme-"}, AllowedTiers: []string{"dev"},
	}}
	tpl := &naasv1alpha1.NamespaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "standard"}, Spec: naasv1alpha1.NamespaceTemplateSpec{
		Parameters: []naasv1alpha1.Parameter{{Name: "owner", Pattern: "^[a-z]+$"}},
	}}
	claim := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: naasv1alpha1.NamespaceClaimSpec{
		Tenant: "acme", Template: "standard", Tier: "prod", Parameters: map[string]string{"owner": "X1", "size": "big"},
	}}
	got := rules(toAPIFields(tenancy.ValidateCreate(claim, tn, tpl, &naasv1alpha1.Tier{}, 0)))
	want := []fieldRule{
		{"name", "namingPrefix"}, {"tier", "allowedTiers"}, {"parameters.owner", "pattern"}, {"parameters.size", "unknownParameter"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestWithHints_SaysWhereToFindWhatExists(t *testing.T) {
	errs := withHints(field.ErrorList{
		field.NotFound(field.NewPath("template"), "nope"),
		field.NotFound(field.NewPath("tier"), "gold"),
		field.Invalid(field.NewPath("name"), "x", "bad"),
	})
	want := []string{
		`template: Not found: "nope": template "nope" does not exist; GET /api/v1/catalog/templates lists the catalog`,
		`tier: Not found: "gold": tier "gold" does not exist; GET /api/v1/tiers lists the tiers`,
		`name: Invalid value: "x": bad`,
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestFromAPIStatus(t *testing.T) {
	gk := schema.GroupKind{Group: "naas.dev", Kind: "NamespaceClaim"}
	gr := schema.GroupResource{Group: "naas.dev", Resource: "namespaceclaims"}
	invalid := apierrors.NewInvalid(gk, "web", field.ErrorList{
		field.Required(field.NewPath("spec", "tenant"), ""),
		field.NotSupported(field.NewPath("spec", "owners").Index(0).Child("role"), "boss", []string{"admin"}),
	})
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantFields []httpx.FieldError
	}{
		{
			name: "invalid", err: invalid, wantStatus: 422,
			wantFields: []httpx.FieldError{
				{Field: "tenant", Rule: "required", Message: "required value"},
				{Field: "members[0].role", Rule: "enum", Message: `unsupported value "boss": supported values: "admin"`},
			},
		},
		{name: "forbidden by RBAC or admission", err: apierrors.NewForbidden(gr, "web", nil), wantStatus: 403},
		{name: "exists", err: apierrors.NewAlreadyExists(gr, "web"), wantStatus: 409},
		{name: "conflict", err: apierrors.NewConflict(gr, "web", nil), wantStatus: 409},
		{name: "gone", err: apierrors.NewNotFound(gr, "web"), wantStatus: 404},
		{name: "overloaded", err: apierrors.NewTooManyRequests("busy", 1), wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromAPIStatus(tt.err)
			if got == nil || got.status != tt.wantStatus || got.detail == "" {
				t.Fatalf("fromAPIStatus = %+v, want status %d with a detail", got, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantFields, got.fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
	if fromAPIStatus(http.ErrHandlerTimeout) != nil {
		t.Error("a non-API error was mapped")
	}
}

// webhookDenied is a denial as kube-apiserver passes on a webhook's: the webhook's status, its message framed
// with the webhook's name.
func webhookDenied(err *apierrors.StatusError) *apierrors.StatusError {
	s := err.ErrStatus
	s.Message = `admission webhook "namespaceclaims.validate.naas.dev" denied the request: ` + s.Message
	return &apierrors.StatusError{ErrStatus: s}
}

func TestFromAPIStatus_AdmissionDenialsAreReadableProblems(t *testing.T) {
	gk := schema.GroupKind{Group: "naas.dev", Kind: "NamespaceClaim"}
	gr := schema.GroupResource{Group: "naas.dev", Resource: "namespaceclaims"}
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantDetail string
		wantFields []httpx.FieldError
	}{
		{
			name: "a webhook's field errors",
			err: webhookDenied(apierrors.NewInvalid(gk, "kube-system", field.ErrorList{
				field.Forbidden(field.NewPath("metadata", "name"), `namespace "kube-system" already exists and is not managed by naas; choose another name`),
				field.NotFound(field.NewPath("spec", "tier"), "platinum"),
			})),
			wantStatus: 422,
			wantDetail: `2 fields are invalid: name: namespace "kube-system" already exists and is not managed by naas; choose another name; ` +
				`tier: not found "platinum"`,
			wantFields: []httpx.FieldError{
				{Field: "name", Rule: "forbidden", Message: `namespace "kube-system" already exists and is not managed by naas; choose another name`},
				{Field: "tier", Rule: "notFound", Message: `not found "platinum"`},
			},
		},
		{
			name: "an invalid value with a reason",
			err: webhookDenied(apierrors.NewInvalid(gk, "web", field.ErrorList{
				field.Invalid(field.NewPath("spec", "tier"), "platinum", "no such tier; existing tiers: dev, prod"),
			})),
			wantStatus: 422,
			wantDetail: `tier: invalid value "platinum": no such tier; existing tiers: dev, prod`,
			wantFields: []httpx.FieldError{{Field: "tier", Rule: "invalid", Message: `invalid value "platinum": no such tier; existing tiers: dev, prod`}},
		},
		{
			name:       "a webhook's refusal",
			err:        webhookDenied(apierrors.NewForbidden(gr, "web", errors.New(`user "eve" may not`))),
			wantStatus: 403,
			wantDetail: `the cluster refused the request: user "eve" may not`,
		},
		{
			name: "an admission policy's refusal",
			err: apierrors.NewForbidden(gr, "web", errors.New(
				`ValidatingAdmissionPolicy 'naas-deletion-protection' with binding 'naas-deletion-protection' denied request: turn deletionProtection off first`)),
			wantStatus: 403,
			wantDetail: `the cluster refused the request: turn deletionProtection off first`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromAPIStatus(fmt.Errorf("create namespace claim: %w", tt.err))
			if got == nil || got.status != tt.wantStatus {
				t.Fatalf("fromAPIStatus = %+v, want status %d", got, tt.wantStatus)
			}
			if got.detail != tt.wantDetail {
				t.Errorf("detail\n got %s\nwant %s", got.detail, tt.wantDetail)
			}
			if diff := cmp.Diff(tt.wantFields, got.fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarize_NoGoListsNoTypePrefixes(t *testing.T) {
	got := summarize(toAPIFields(field.ErrorList{
		field.NotFound(field.NewPath("spec", "tier"), "platinum"),
		field.Required(field.NewPath("spec", "template"), "name a template of the catalog"),
	}))
	want := `2 fields are invalid: tier: not found "platinum"; template: name a template of the catalog`
	if got != want {
		t.Errorf("summarize\n got %s\nwant %s", got, want)
	}
}

func TestTenantSpecFrom(t *testing.T) {
	tests := []struct {
		name string
		in   restv1.TenantInput
		want []fieldRule
	}{
		{
			name: "valid",
			in: restv1.TenantInput{Name: "acme", Members: []restv1.Member{{Kind: "User", Name: "alice", Role: "admin"},
				{Kind: "ServiceAccount", Namespace: "ci", Name: "deployer", Role: "developer"}},
				Quota: map[string]string{"limits.cpu": "10"}, Naming: &restv1.NamingRules{Prefix: "acme-", ForbiddenPatterns: []string{"^acme-prod"}},
				NamespaceLabels: map[string]string{"team": "a"}},
		},
		{name: "no name", in: restv1.TenantInput{}, want: []fieldRule{{"name", "required"}}},
		{name: "bad name", in: restv1.TenantInput{Name: "Acme"}, want: []fieldRule{{"name", "invalid"}}},
		{
			name: "bad members",
			in: restv1.TenantInput{Name: "acme", Members: []restv1.Member{
				{Kind: "Robot", Name: "r2", Role: "admin"},
				{Kind: "User", Name: "", Role: "owner"},
				{Kind: "ServiceAccount", Name: "sa", Role: "viewer"},
				{Kind: "User", Name: "bob", Namespace: "x", Role: "viewer"},
				{Kind: "User", Name: "alice", Role: "admin"},
				{Kind: "User", Name: "alice", Role: "viewer"},
			}},
			want: []fieldRule{
				{"members[0].kind", "enum"}, {"members[1].name", "required"}, {"members[1].role", "enum"},
				{"members[2].namespace", "required"}, {"members[3].namespace", "forbidden"}, {"members[5]", "unique"},
			},
		},
		{
			name: "bad quota, naming and labels",
			in: restv1.TenantInput{Name: "acme", Quota: map[string]string{"limits.cpu": "lots"},
				Naming:          &restv1.NamingRules{Prefix: "Acme", ForbiddenPatterns: []string{"("}},
				NamespaceLabels: map[string]string{"bad key!": "v"}, MaxNamespaces: ptr.To[int32](-1)},
			want: []fieldRule{
				{"maxNamespaces", "invalid"}, {"naming.prefix", "invalid"}, {"naming.forbiddenPatterns[0]", "invalid"},
				{"namespaceLabels.bad key!", "invalid"}, {"quota.limits.cpu", "invalid"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, errs := tenantSpecFrom(tt.in)
			if diff := cmp.Diff(tt.want, rules(errs)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if len(errs) == 0 && len(spec.Owners) != len(tt.in.Members) {
				t.Errorf("owners = %v, want one per member", spec.Owners)
			}
		})
	}
}

func TestValidateMember_SystemGroupsAreForPlatformAdmins(t *testing.T) {
	m := restv1.Member{Kind: "Group", Name: "system:authenticated", Role: "admin"}
	if got := rules(validateMember(nil, m, false)); !cmp.Equal(got, []fieldRule{{"name", "forbidden"}}) {
		t.Errorf("tenant admin adding system:authenticated: errors %v, want name forbidden", got)
	}
	if errs := validateMember(nil, m, true); len(errs) > 0 {
		t.Errorf("platform admin adding system:authenticated: %v", errs)
	}
}

func TestSubjectFromPath(t *testing.T) {
	tests := []struct {
		kind, subject string
		want          naasv1alpha1.Owner
		wantErr       bool
	}{
		{kind: "User", subject: "alice", want: naasv1alpha1.Owner{Kind: "User", Name: "alice"}},
		{kind: "group", subject: "team:a", want: naasv1alpha1.Owner{Kind: "Group", Name: "team:a"}},
		{kind: "ServiceAccount", subject: "ci:deployer", want: naasv1alpha1.Owner{Kind: "ServiceAccount", Namespace: "ci", Name: "deployer"}},
		{kind: "ServiceAccount", subject: "deployer", wantErr: true},
		{kind: "Robot", subject: "r2", wantErr: true},
	}
	for _, tt := range tests {
		got, err := subjectFromPath(tt.kind, tt.subject)
		if (err != nil) != tt.wantErr {
			t.Errorf("subjectFromPath(%s, %s) error = %v, want error %v", tt.kind, tt.subject, err, tt.wantErr)
		}
		if err == nil && got != tt.want {
			t.Errorf("subjectFromPath(%s, %s) = %+v, want %+v", tt.kind, tt.subject, got, tt.want)
		}
	}
}

func TestKeepsAnAdmin(t *testing.T) {
	tn := func(owners ...naasv1alpha1.Owner) *naasv1alpha1.Tenant {
		return &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: naasv1alpha1.TenantSpec{Owners: owners}}
	}
	alice := naasv1alpha1.Owner{Kind: "User", Name: "alice", Role: naasv1alpha1.RoleAdmin}
	bob := naasv1alpha1.Owner{Kind: "User", Name: "bob", Role: naasv1alpha1.RoleAdmin}
	dev := naasv1alpha1.Owner{Kind: "User", Name: "dev", Role: naasv1alpha1.RoleDeveloper}
	tenantAdmin := tenancy.User{Name: "alice"}
	root := tenancy.User{Name: "root", Groups: []string{tenancy.PlatformAdminGroup}}
	if err := keepsAnAdmin(tn(alice, dev), 0, tenantAdmin); err == nil {
		t.Error("the last admin was removable by a tenant admin")
	}
	if err := keepsAnAdmin(tn(alice, dev), 0, root); err != nil {
		t.Errorf("a platform admin may remove the last admin: %v", err)
	}
	if err := keepsAnAdmin(tn(alice, bob), 0, tenantAdmin); err != nil {
		t.Errorf("one of two admins may go: %v", err)
	}
	if err := keepsAnAdmin(tn(alice, dev), 1, tenantAdmin); err != nil {
		t.Errorf("a developer may go: %v", err)
	}
}

func TestSameRequest(t *testing.T) {
	c := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: naasv1alpha1.NamespaceClaimSpec{
		Tenant: "acme", Template: "standard", Requester: &naasv1alpha1.Requester{Username: "bob"},
	}}
	req := restv1.NamespaceRequest{Name: "web", Tenant: "acme", Template: "standard", Parameters: map[string]string{}}
	if !sameRequest(c, req, "bob") {
		t.Error("a retry of the same request by the same user is not recognised")
	}
	if sameRequest(c, req, "carol") {
		t.Error("another user's claim counts as a retry")
	}
	req.Tier = "prod"
	if sameRequest(c, req, "bob") {
		t.Error("a different tier counts as a retry")
	}
}

func TestAwaitsApproval(t *testing.T) {
	gated := &naasv1alpha1.NamespaceTemplate{Spec: naasv1alpha1.NamespaceTemplateSpec{RequiresApproval: true}}
	open := &naasv1alpha1.NamespaceTemplate{}
	claim := func(mut func(*naasv1alpha1.NamespaceClaim)) *naasv1alpha1.NamespaceClaim {
		c := &naasv1alpha1.NamespaceClaim{}
		mut(c)
		return c
	}
	now := metav1.Now()
	tests := []struct {
		name string
		c    *naasv1alpha1.NamespaceClaim
		tpl  *naasv1alpha1.NamespaceTemplate
		want bool
	}{
		{"new claim", claim(func(*naasv1alpha1.NamespaceClaim) {}), gated, true},
		{"pending", claim(func(c *naasv1alpha1.NamespaceClaim) {
			c.Status.Approval = &naasv1alpha1.Approval{State: naasv1alpha1.ApprovalPending}
		}), gated, true},
		{"approved", claim(func(c *naasv1alpha1.NamespaceClaim) {
			c.Status.Approval = &naasv1alpha1.Approval{State: naasv1alpha1.ApprovalApproved}
		}), gated, false},
		{"template needs none", claim(func(*naasv1alpha1.NamespaceClaim) {}), open, false},
		{"deleting", claim(func(c *naasv1alpha1.NamespaceClaim) { c.DeletionTimestamp = &now }), gated, false},
		{"provisioned before approval was required", claim(func(c *naasv1alpha1.NamespaceClaim) {
			c.Status.Conditions = []metav1.Condition{{Type: naasv1alpha1.ConditionNamespace, Status: metav1.ConditionTrue}}
		}), gated, false},
	}
	for _, tt := range tests {
		if got := awaitsApproval(tt.c, tt.tpl); got != tt.want {
			t.Errorf("%s: awaitsApproval = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseAuditQuery(t *testing.T) {
	q, errs := parseAuditQuery(url.Values{
		"tenant": {"acme"}, "since": {"2026-01-02T03:04:05Z"}, "until": {"2026-01-03T00:00:00.5Z"}, "limit": {"10"}, "pageToken": {"t"},
	})
	want := audit.Query{
		Tenant: "acme", Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Until: time.Date(2026, 1, 3, 0, 0, 0, 5e8, time.UTC), Limit: 10, PageToken: "t",
	}
	if len(errs) > 0 || !cmp.Equal(want, q) {
		t.Errorf("parseAuditQuery = %+v, %v; want %+v", q, errs, want)
	}
	_, errs = parseAuditQuery(url.Values{"since": {"yesterday"}, "limit": {"1000"}})
	if diff := cmp.Diff([]fieldRule{{"since", "format=date-time"}, {"limit", "range"}}, rules(errs)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	_, errs = parseAuditQuery(url.Values{"since": {"2026-01-02T00:00:00Z"}, "until": {"2026-01-01T00:00:00Z"}})
	if diff := cmp.Diff([]fieldRule{{"until", "invalid"}}, rules(errs)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
