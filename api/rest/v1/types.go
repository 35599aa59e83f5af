package v1

import "time"

// The types below are the API's request and response bodies; the package doc says how their struct tags become
// the OpenAPI document.

// NamespaceRequest is the body of POST /api/v1/namespaces/request.
type NamespaceRequest struct {
	Name       string            `json:"name" required:"true" doc:"Name of the namespace: a DNS-1123 label of at most 63 characters that also satisfies the tenant's naming rules."`
	Tenant     string            `json:"tenant" required:"true" doc:"Tenant that will own the namespace; the caller must be its admin or developer."`
	Template   string            `json:"template" required:"true" doc:"Catalog template the namespace is made from (see GET /api/v1/catalog/templates)."`
	Tier       string            `json:"tier,omitempty" doc:"Tier of quota and policy; the template's default tier when empty."`
	Parameters map[string]string `json:"parameters,omitempty" doc:"Values of the template's parameters, all as strings."`
	Cluster    string            `json:"cluster,omitempty" doc:"Member cluster the namespace must be placed on (see GET /api/v1/clusters); naas chooses among the clusters the tenant may use when empty. Never falls back to another: a cluster that cannot take the namespace leaves it unplaced, with the reason."`
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
	Cluster             string            `json:"cluster,omitempty" doc:"Member cluster the namespace is placed on; empty until it is placed (the Placed condition says where and why, or why no cluster fits). It never changes."`
	RequestedCluster    string            `json:"requestedCluster,omitempty" doc:"Cluster named in the request; empty when naas chose."`
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
	NamespaceAnnotations map[string]string `json:"namespaceAnnotations,omitempty" multiline:"true"`
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

// Collaborator is another tenant given access to a namespace.
type Collaborator struct {
	Tenant       string `json:"tenant" required:"true" doc:"The collaborating tenant."`
	Access       string `json:"access" required:"true" enum:"viewer|developer" doc:"viewer: every member of the tenant reads the namespace; developer: its admins and developers work in it as developers, its viewers read it."`
	AllowIngress bool   `json:"allowIngress,omitempty" doc:"Let the tenant's namespaces reach this namespace's pods over the network (and through the mesh), once that tenant accepts."`
}

// CollaboratorList is the collaborators of a namespace.
type CollaboratorList struct {
	Items []Collaborator `json:"items" required:"true"`
}

// CollaborationOffer is a namespace of another tenant that gives a tenant access.
type CollaborationOffer struct {
	Namespace    string `json:"namespace" required:"true" doc:"The namespace that gives access."`
	Tenant       string `json:"tenant" required:"true" doc:"The tenant of the namespace, which made the offer."`
	Access       string `json:"access" required:"true" enum:"viewer|developer" doc:"The access its members have there."`
	AllowIngress bool   `json:"allowIngress,omitempty" doc:"The namespace lets the tenant's namespaces in over the network; they can send to it once the tenant accepts the offering tenant's collaboration."`
}

// AcceptedCollaborations are the other tenants a tenant, or one of its namespaces, accepts collaboration with: its
// namespaces may send to the namespaces those tenants let it in.
type AcceptedCollaborations struct {
	Tenant    string               `json:"tenant" required:"true" doc:"The accepting tenant."`
	Namespace string               `json:"namespace,omitempty" doc:"The namespace, for the acceptances of one namespace."`
	Accepted  []string             `json:"accepted" required:"true" doc:"The tenants accepted: for every namespace of the tenant, or, for a namespace, for it alone."`
	Effective []string             `json:"effective,omitempty" doc:"For a namespace: every tenant its namespace may send to, accepted tenant-wide or for it alone; none when its template has the restricted network profile."`
	Offers    []CollaborationOffer `json:"offers" required:"true" doc:"The namespaces of other tenants that give this tenant access, whether accepted or not."`
}

// AuthConfig is the body of GET /api/v1/auth/config: how a client signs in to this API.
type AuthConfig struct {
	// OIDC is set when the API accepts OIDC tokens.
	OIDC *OIDCClient `json:"oidc,omitempty" doc:"Set when the API accepts tokens of an OpenID Connect issuer; absent otherwise (use a static token)."`
}

// OIDCClient is how a client gets an OIDC token the API accepts.
type OIDCClient struct {
	IssuerURL string   `json:"issuerURL" required:"true" doc:"The issuer; its discovery document is at issuerURL + /.well-known/openid-configuration."`
	ClientID  string   `json:"clientID" required:"true" doc:"The OAuth client id to sign in with (a public client, e.g. with the device authorization grant)."`
	Scopes    []string `json:"scopes,omitempty" doc:"Scopes to ask for besides openid."`
}
