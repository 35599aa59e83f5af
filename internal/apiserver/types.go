package apiserver

import (
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
)

// The types below are the API's request and response bodies. The OpenAPI document is derived from them by
// reflection (openapi.go): the json tag names the property, `required:"true"` makes it required, `doc` describes
// it and `enum` lists its values separated by "|".

// NamespaceRequest is the body of POST /api/v1/namespaces/request.
type NamespaceRequest struct {
	Name       string            `json:"name" required:"true" doc:"Name of the namespace: a DNS-1123 label of at most 63 characters that also satisfies the tenant's naming rules."`
	Tenant     string            `json:"tenant" required:"true" doc:"Tenant that will own the namespace; the caller must be its admin or developer."`
	Template   string            `json:"template" required:"true" doc:"Catalog template the namespace is made from (see GET /api/v1/catalog/templates)."`
	Tier       string            `json:"tier,omitempty" doc:"Tier of quota and policy; the template's default tier when empty."`
	Parameters map[string]string `json:"parameters,omitempty" doc:"Values of the template's parameters, all as strings."`
}

// QuotaUpdate is the body of PUT /api/v1/namespaces/{namespace}/quotas. The tier is the unit of quota in naas:
// changing it changes the namespace's ResourceQuota, LimitRange and budget in place.
type QuotaUpdate struct {
	Tier string `json:"tier" required:"true" doc:"The tier to move the namespace to; one the tenant allows."`
}

// Namespace is a namespace claim and how far its provisioning got.
type Namespace struct {
	Name                string            `json:"name" required:"true"`
	Tenant              string            `json:"tenant" required:"true"`
	Template            string            `json:"template" required:"true"`
	Tier                string            `json:"tier" required:"true" doc:"Effective tier: the requested one, or the template's default."`
	RequestedTier       string            `json:"requestedTier,omitempty" doc:"Tier named in the request; empty when the template's default applies."`
	Parameters          map[string]string `json:"parameters,omitempty"`
	Requester           *Requester        `json:"requester,omitempty"`
	Phase               string            `json:"phase" required:"true" enum:"Pending|Provisioning|Ready|Failed|Terminating" doc:"One-word summary."`
	Ready               bool              `json:"ready" required:"true"`
	Conditions          []Condition       `json:"conditions" required:"true" doc:"One condition per provisioning step (Valid, Approved, NamespaceReady, QuotaReady, ...) and Ready."`
	Approval            *Approval         `json:"approval,omitempty" doc:"Approval decision, for templates that require one."`
	DeletionProtection  bool              `json:"deletionProtection" required:"true"`
	CreatedAt           time.Time         `json:"createdAt" required:"true"`
	DeletionRequestedAt *time.Time        `json:"deletionRequestedAt,omitempty"`
}

// Requester is who asked for a namespace.
type Requester struct {
	Username string   `json:"username" required:"true"`
	Groups   []string `json:"groups,omitempty"`
}

// Condition is one step of provisioning.
type Condition struct {
	Type               string    `json:"type" required:"true"`
	Status             string    `json:"status" required:"true" enum:"True|False|Unknown"`
	Reason             string    `json:"reason" required:"true"`
	Message            string    `json:"message,omitempty"`
	LastTransitionTime time.Time `json:"lastTransitionTime" required:"true"`
}

// Approval is the approval decision of a namespace whose template requires one.
type Approval struct {
	State  string     `json:"state" required:"true" enum:"Pending|Approved|Rejected"`
	By     string     `json:"by,omitempty" doc:"Who decided."`
	At     *time.Time `json:"at,omitempty" doc:"When the decision was made."`
	Reason string     `json:"reason,omitempty" doc:"Why."`
}

// NamespaceList is a list of namespaces.
type NamespaceList struct {
	Items []Namespace `json:"items" required:"true"`
}

// ApprovalDecision is the body of POST /api/v1/approvals/{namespace}/approve and .../reject.
type ApprovalDecision struct {
	Reason string `json:"reason,omitempty" doc:"Why; required to reject, at most 1024 characters."`
}

// Template is a catalog entry.
type Template struct {
	ID               string            `json:"id" required:"true"`
	DisplayName      string            `json:"displayName" required:"true"`
	Description      string            `json:"description,omitempty"`
	Documentation    string            `json:"documentation,omitempty" doc:"Runbook text (Markdown)."`
	DefaultTier      string            `json:"defaultTier,omitempty"`
	RequiresApproval bool              `json:"requiresApproval" required:"true"`
	Parameters       []Parameter       `json:"parameters" required:"true"`
	Features         Features          `json:"features" required:"true"`
	QuotaAdditions   map[string]string `json:"quotaAdditions,omitempty" doc:"Added to the tier's quota for namespaces of this template."`
}

// Parameter is one input of a template.
type Parameter struct {
	Name        string   `json:"name" required:"true"`
	Type        string   `json:"type" required:"true" enum:"string|integer|boolean"`
	Description string   `json:"description,omitempty"`
	Default     *string  `json:"default,omitempty"`
	Enum        []string `json:"enum,omitempty"`
	Pattern     string   `json:"pattern,omitempty" doc:"RE2 regular expression the value must match."`
	Required    bool     `json:"required" required:"true"`
}

// Features are the platform capabilities a template turns on.
type Features struct {
	NetworkProfile   string `json:"networkProfile" required:"true" enum:"standard|restricted"`
	AllowHTTPSEgress bool   `json:"allowHTTPSEgress" required:"true"`
	Mesh             bool   `json:"mesh" required:"true"`
	Monitoring       bool   `json:"monitoring" required:"true"`
	Gateway          bool   `json:"gateway" required:"true"`
}

// TemplateList is the catalog.
type TemplateList struct {
	Items []Template `json:"items" required:"true"`
}

// Tier is a size and policy class.
type Tier struct {
	Name          string            `json:"name" required:"true"`
	DisplayName   string            `json:"displayName,omitempty"`
	Description   string            `json:"description,omitempty"`
	Quota         map[string]string `json:"quota" required:"true" doc:"ResourceQuota hard limits of each namespace of the tier."`
	PodSecurity   string            `json:"podSecurity,omitempty" enum:"privileged|baseline|restricted"`
	MonthlyBudget *Money            `json:"monthlyBudget,omitempty" doc:"Cost limit of one namespace of the tier per month."`
}

// TierList is a list of tiers.
type TierList struct {
	Items []Tier `json:"items" required:"true"`
}

// Money is an amount in a currency.
type Money struct {
	Amount   string `json:"amount" required:"true" doc:"Decimal amount, e.g. \"100\" or \"12.50\"."`
	Currency string `json:"currency" required:"true" doc:"ISO 4217 code."`
}

// Member is an identity that belongs to a tenant, with its role.
type Member struct {
	Kind      string `json:"kind" required:"true" enum:"User|Group|ServiceAccount"`
	Name      string `json:"name" required:"true" doc:"User name, group name or service account name, as authenticated."`
	Namespace string `json:"namespace,omitempty" doc:"Namespace of a ServiceAccount; required for that kind only."`
	Role      string `json:"role" required:"true" enum:"admin|developer|viewer"`
}

// NamingRules constrain the names of a tenant's namespaces.
type NamingRules struct {
	Prefix            string   `json:"prefix,omitempty" doc:"Every namespace name of the tenant must start with it."`
	ForbiddenPatterns []string `json:"forbiddenPatterns,omitempty" doc:"RE2 regular expressions no namespace name may match."`
}

// TenantInput is the body of POST /api/v1/tenants and PUT /api/v1/tenants/{name}. A PUT replaces the whole
// tenant: fields left out are cleared.
type TenantInput struct {
	Name                 string            `json:"name,omitempty" doc:"DNS-1123 label of at most 63 characters. Required on POST; on PUT, when given, it must equal the path's name."`
	DisplayName          string            `json:"displayName,omitempty"`
	Members              []Member          `json:"members,omitempty"`
	MaxNamespaces        *int32            `json:"maxNamespaces,omitempty" doc:"Cap on the tenant's namespaces; none when absent."`
	AllowedTemplates     []string          `json:"allowedTemplates,omitempty" doc:"Templates the tenant may use; all when empty."`
	AllowedTiers         []string          `json:"allowedTiers,omitempty" doc:"Tiers the tenant may use; all when empty."`
	Naming               *NamingRules      `json:"naming,omitempty"`
	NamespaceLabels      map[string]string `json:"namespaceLabels,omitempty"`
	NamespaceAnnotations map[string]string `json:"namespaceAnnotations,omitempty"`
	CostCenter           string            `json:"costCenter,omitempty"`
	Cordoned             bool              `json:"cordoned,omitempty" doc:"Stops the tenant from creating new namespaces."`
	Quota                map[string]string `json:"quota,omitempty" doc:"Tenant-wide quota over all its namespaces."`
	AllowedRegistries    []string          `json:"allowedRegistries,omitempty"`
}

// Tenant is a tenant as the caller sees it.
type Tenant struct {
	TenantInput
	NamespaceCount int32  `json:"namespaceCount" required:"true"`
	YourRole       string `json:"yourRole,omitempty" doc:"The caller's role in the tenant; empty for platform admins who are not members."`
}

// TenantList is a list of tenants.
type TenantList struct {
	Items []Tenant `json:"items" required:"true"`
}

// Me is the caller as the API authenticated it.
type Me struct {
	Username      string             `json:"username" required:"true"`
	UID           string             `json:"uid,omitempty"`
	Groups        []string           `json:"groups,omitempty"`
	PlatformAdmin bool               `json:"platformAdmin" required:"true"`
	Tenants       []TenantMembership `json:"tenants" required:"true" doc:"The tenants the caller holds a role in."`
}

// TenantMembership is the caller's role in one tenant.
type TenantMembership struct {
	Tenant string `json:"tenant" required:"true"`
	Role   string `json:"role" required:"true" enum:"admin|developer|viewer"`
}

// Usage is quota hard limits and usage, keyed by resource name.
type Usage map[string]ResourceUsage

// ResourceUsage is the hard limit and the usage of one resource.
type ResourceUsage struct {
	Hard string `json:"hard" required:"true"`
	Used string `json:"used" required:"true"`
}

// NamespaceUsage is the quota of one namespace.
type NamespaceUsage struct {
	Namespace string `json:"namespace" required:"true"`
	Tenant    string `json:"tenant" required:"true"`
	Tier      string `json:"tier" required:"true"`
	Resources Usage  `json:"resources" required:"true" doc:"From the namespace's ResourceQuota: hard limits and what is used."`
}

// TenantUsage is the sum of the quotas of a tenant's namespaces.
type TenantUsage struct {
	Tenant         string `json:"tenant" required:"true"`
	NamespaceCount int    `json:"namespaceCount" required:"true"`
	Resources      Usage  `json:"resources" required:"true"`
}

// UsageReport is the body of GET /api/v1/analytics/usage.
type UsageReport struct {
	Namespaces []NamespaceUsage `json:"namespaces" required:"true"`
	Tenants    []TenantUsage    `json:"tenants" required:"true"`
}

// NamespaceCost is the budget and cost of one namespace.
type NamespaceCost struct {
	Namespace string   `json:"namespace" required:"true"`
	Tenant    string   `json:"tenant" required:"true"`
	Tier      string   `json:"tier" required:"true"`
	Budget    *Money   `json:"budget" required:"true" doc:"The tier's monthly budget; null when the tier has none."`
	Cost      *float64 `json:"cost" required:"true" doc:"Cost so far this month; null until cost reporting is configured."`
}

// TenantCost is the budget and cost of a tenant's namespaces.
type TenantCost struct {
	Tenant     string   `json:"tenant" required:"true"`
	CostCenter string   `json:"costCenter,omitempty"`
	Budgets    []Money  `json:"budgets" required:"true" doc:"Sum of the namespaces' monthly budgets, one per currency."`
	Cost       *float64 `json:"cost" required:"true" doc:"Cost so far this month; null until cost reporting is configured."`
}

// CostReport is the body of GET /api/v1/analytics/costs.
type CostReport struct {
	Namespaces []NamespaceCost `json:"namespaces" required:"true"`
	Tenants    []TenantCost    `json:"tenants" required:"true"`
}

// AuditEvent is one audit record.
type AuditEvent struct {
	ID        int64             `json:"id" required:"true"`
	Time      time.Time         `json:"time" required:"true"`
	RequestID string            `json:"requestId,omitempty"`
	User      string            `json:"user,omitempty"`
	Groups    []string          `json:"groups,omitempty"`
	Action    string            `json:"action" required:"true" doc:"What was done, e.g. namespace.request, approval.approve, provision.ready."`
	Tenant    string            `json:"tenant,omitempty"`
	Namespace string            `json:"namespace,omitempty"`
	Target    string            `json:"target,omitempty"`
	Result    string            `json:"result" required:"true" enum:"allowed|denied|success|failure|pending|unknown" doc:"pending: the request is being carried out; unknown: naas stopped before recording its outcome, check the cluster for its effect."`
	Reason    string            `json:"reason,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
}

// AuditPage is one page of audit events, newest first.
type AuditPage struct {
	Items         []AuditEvent `json:"items" required:"true"`
	NextPageToken string       `json:"nextPageToken,omitempty" doc:"Pass as pageToken, with the same filters, for the next (older) page."`
}

// namespaceOf converts a claim to its API form.
func namespaceOf(c *naasv1alpha1.NamespaceClaim) Namespace {
	n := Namespace{
		Name:               c.Name,
		Tenant:             c.Spec.Tenant,
		Template:           c.Spec.Template,
		Tier:               c.Status.Tier,
		RequestedTier:      c.Spec.Tier,
		Parameters:         c.Spec.Parameters,
		Phase:              c.Status.Phase,
		Ready:              meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady),
		Conditions:         []Condition{},
		DeletionProtection: c.Spec.DeletionProtection,
		CreatedAt:          c.CreationTimestamp.UTC(),
	}
	if n.Tier == "" {
		n.Tier = c.Spec.Tier
	}
	if n.Phase == "" {
		n.Phase = naasv1alpha1.PhasePending
	}
	if c.DeletionTimestamp != nil {
		n.Phase = naasv1alpha1.PhaseTerminating
		n.DeletionRequestedAt = utcPtr(c.DeletionTimestamp)
	}
	if r := c.Spec.Requester; r != nil {
		n.Requester = &Requester{Username: r.Username, Groups: r.Groups}
	}
	for _, cond := range c.Status.Conditions {
		n.Conditions = append(n.Conditions, Condition{
			Type: cond.Type, Status: string(cond.Status), Reason: cond.Reason, Message: cond.Message,
			LastTransitionTime: cond.LastTransitionTime.UTC(),
		})
	}
	if a := c.Status.Approval; a != nil {
		n.Approval = &Approval{State: string(a.State), By: a.By, At: utcPtr(a.At), Reason: a.Reason}
	}
	return n
}

func utcPtr(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// templateOf converts a catalog entry to its API form.
func templateOf(t *naasv1alpha1.NamespaceTemplate) Template {
	out := Template{
		ID:               t.Name,
		DisplayName:      t.Spec.DisplayName,
		Description:      t.Spec.Description,
		Documentation:    t.Spec.Documentation,
		DefaultTier:      t.Spec.DefaultTier,
		RequiresApproval: t.Spec.RequiresApproval,
		Parameters:       []Parameter{},
		Features: Features{
			NetworkProfile:   string(t.Spec.Features.NetworkProfile),
			AllowHTTPSEgress: t.Spec.Features.AllowHTTPSEgress,
			Mesh:             t.Spec.Features.Mesh,
			Monitoring:       t.Spec.Features.Monitoring,
			Gateway:          t.Spec.Features.Gateway,
		},
		QuotaAdditions: quantities(t.Spec.QuotaAdditions),
	}
	if out.Features.NetworkProfile == "" {
		out.Features.NetworkProfile = string(naasv1alpha1.NetworkStandard)
	}
	for _, p := range t.Spec.Parameters {
		typ := string(p.Type)
		if typ == "" {
			typ = string(naasv1alpha1.ParameterString)
		}
		out.Parameters = append(out.Parameters, Parameter{
			Name: p.Name, Type: typ, Description: p.Description, Default: p.Default, Enum: p.Enum,
			Pattern: p.Pattern, Required: p.Required,
		})
	}
	return out
}

// tierOf converts a tier to its API form.
func tierOf(t *naasv1alpha1.Tier) Tier {
	out := Tier{
		Name:        t.Name,
		DisplayName: t.Spec.DisplayName,
		Description: t.Spec.Description,
		Quota:       quantities(t.Spec.Quota),
		PodSecurity: string(t.Spec.PodSecurity),
	}
	if out.Quota == nil {
		out.Quota = map[string]string{}
	}
	out.MonthlyBudget = budgetOf(t)
	return out
}

// budgetOf is the monthly budget of one namespace of tier t, nil when it has none.
func budgetOf(t *naasv1alpha1.Tier) *Money {
	if t == nil || t.Spec.MonthlyBudget == nil {
		return nil
	}
	b := t.Spec.MonthlyBudget
	currency := b.Currency
	if currency == "" {
		currency = "USD"
	}
	return &Money{Amount: b.Amount.String(), Currency: currency}
}

// tenantOf converts a tenant to its API form, with the caller's role in it.
func tenantOf(t *naasv1alpha1.Tenant, role naasv1alpha1.Role) Tenant {
	in := TenantInput{
		Name:                 t.Name,
		DisplayName:          t.Spec.DisplayName,
		MaxNamespaces:        t.Spec.MaxNamespaces,
		AllowedTemplates:     t.Spec.AllowedTemplates,
		AllowedTiers:         t.Spec.AllowedTiers,
		NamespaceLabels:      t.Spec.NamespaceLabels,
		NamespaceAnnotations: t.Spec.NamespaceAnnotations,
		CostCenter:           t.Spec.CostCenter,
		Cordoned:             t.Spec.Cordoned,
		Quota:                quantities(t.Spec.Quota),
		AllowedRegistries:    t.Spec.AllowedRegistries,
	}
	if n := t.Spec.Naming; n.Prefix != "" || len(n.ForbiddenPatterns) > 0 {
		in.Naming = &NamingRules{Prefix: n.Prefix, ForbiddenPatterns: n.ForbiddenPatterns}
	}
	for _, o := range t.Spec.Owners {
		in.Members = append(in.Members, memberOf(o))
	}
	return Tenant{TenantInput: in, NamespaceCount: t.Status.NamespaceCount, YourRole: string(role)}
}

func memberOf(o naasv1alpha1.Owner) Member {
	return Member{Kind: string(o.Kind), Name: o.Name, Namespace: o.Namespace, Role: string(o.Role)}
}

func ownerOf(m Member) naasv1alpha1.Owner {
	return naasv1alpha1.Owner{
		Kind: naasv1alpha1.SubjectKind(m.Kind), Name: m.Name, Namespace: m.Namespace, Role: naasv1alpha1.Role(m.Role),
	}
}

// auditEventOf converts a stored audit event to its API form.
func auditEventOf(e audit.Event) AuditEvent {
	return AuditEvent{
		ID: e.ID, Time: e.Time.UTC(), RequestID: e.RequestID, User: e.User, Groups: e.Groups, Action: e.Action,
		Tenant: e.Tenant, Namespace: e.Namespace, Target: e.Target, Result: e.Result, Reason: e.Reason,
		Details: e.Details,
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
