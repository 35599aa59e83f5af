package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/httpx"
)

// The API's bodies (package restv1), under the names a client uses.
type (
	// Namespace is a namespace and how far its provisioning got.
	Namespace = restv1.Namespace
	// Condition is one provisioning step of a Namespace.
	Condition = restv1.Condition
	// NamespaceList is a list of namespaces.
	NamespaceList = restv1.NamespaceList
	// NamespaceRequest asks for a namespace.
	NamespaceRequest = restv1.NamespaceRequest
	// Template is a catalog entry.
	Template = restv1.Template
	// Tier is a class of quota and policy.
	Tier = restv1.Tier
	// Tenant is a tenant as the caller sees it.
	Tenant = restv1.Tenant
	// TenantInput creates a tenant.
	TenantInput = restv1.TenantInput
	// Member is a member of a tenant, with their role.
	Member = restv1.Member
	// NamingRules constrain the names of a tenant's namespaces.
	NamingRules = restv1.NamingRules
	// Me is the caller.
	Me = restv1.Me
	// AuditEvent is one audit record.
	AuditEvent = restv1.AuditEvent
	// AuditPage is one page of the audit log.
	AuditPage = restv1.AuditPage
	// AuthConfig says how to sign in.
	AuthConfig = restv1.AuthConfig
	// AcceptedCollaborations are the other tenants a tenant, or one of its namespaces, accepts collaboration with,
	// and the offers it has.
	AcceptedCollaborations = restv1.AcceptedCollaborations
	// CollaborationOffer is a namespace of another tenant that gives a tenant access.
	CollaborationOffer = restv1.CollaborationOffer
	// Collaborator is another tenant given access to a namespace.
	Collaborator = restv1.Collaborator
	// CollaboratorList is the collaborators of a namespace.
	CollaboratorList = restv1.CollaboratorList
	// Cluster is a registered cluster, without its credentials.
	Cluster = restv1.Cluster
	// ClusterInput registers a cluster.
	ClusterInput = restv1.ClusterInput
	// ClusterPatch changes some of a cluster's labels, taints, cordon and display name.
	ClusterPatch = restv1.ClusterPatch
	// ClusterTaint keeps new namespaces off a cluster unless their tenant tolerates it.
	ClusterTaint = restv1.ClusterTaint
)

// DefaultTimeout bounds one request, retries included.
const DefaultTimeout = 30 * time.Second

// maxRetries is how many times a request answered with a Retry-After is tried again, and maxRetryWait the
// longest wait between tries the client accepts; beyond it the error goes back to the caller.
const (
	maxRetries   = 3
	maxRetryWait = 10 * time.Second
)

// TokenSource returns the bearer token of the next request.
type TokenSource func(ctx context.Context) (string, error)

// StaticToken is a TokenSource of one token.
func StaticToken(token string) TokenSource {
	return func(context.Context) (string, error) { return token, nil }
}

// Options configure a Client.
type Options struct {
	// Server is the base URL of naas, e.g. "https://naas.example.com" or "http://127.0.0.1:8080"; the API is under
	// its /api/v1. Required.
	Server string
	// Token authenticates requests; nil sends none (only the public routes answer then).
	Token TokenSource
	// HTTPClient makes the requests; a client with DefaultTimeout when nil.
	HTTPClient *http.Client
	// UserAgent is sent with every request.
	UserAgent string
	// Command is how users run the CLI ("naas", "kubectl naas"); the fixes of errors name its commands. Default
	// "naas".
	Command string
}

// Client calls the naas REST API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	token   TokenSource
	http    *http.Client
	agent   string
	command string
}

// New returns a Client for o.
func New(o Options) (*Client, error) {
	base, err := ParseServer(o.Server)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, token: o.Token, http: o.HTTPClient, agent: o.UserAgent, command: o.Command}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultTimeout}
	}
	if c.command == "" {
		c.command = "naas"
	}
	return c, nil
}

// ParseServer checks a naas server URL: http or https, a host, and nothing but an optional path prefix.
func ParseServer(server string) (*url.URL, error) {
	if server == "" {
		return nil, errors.New("no naas server URL given")
	}
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("naas server URL %q is not an http(s) URL with a host, e.g. https://naas.example.com", server)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("naas server URL %q must have no query, fragment or user info", server)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Server returns the base URL of naas.
func (c *Client) Server() string { return c.base.String() }

// request is one API call.
type request struct {
	method string
	path   string // under /api/v1, with path segments escaped
	query  url.Values
	body   any
	accept string
}

// do makes the request and decodes a successful JSON answer into out (when not nil). It returns the status of
// the answer. Answers with a Retry-After (429, and 409 or 503 for what will work once naas caught up) are tried
// again, a few times, after the time the server asks for.
func (c *Client) do(ctx context.Context, req request, out any) (int, error) {
	raw, status, err := c.raw(ctx, req)
	if err != nil {
		return status, err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return status, fmt.Errorf("%s %s: the answer is not the JSON this client expects (is %s a naas server of a matching version?): %w",
				req.method, req.path, c.Server(), err)
		}
	}
	return status, nil
}

// raw makes the request and returns the body of a successful answer.
func (c *Client) raw(ctx context.Context, req request) ([]byte, int, error) {
	var body []byte
	if req.body != nil {
		var err error
		if body, err = json.Marshal(req.body); err != nil {
			return nil, 0, fmt.Errorf("encode the request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		raw, status, err := c.once(ctx, req, body)
		var ae *Error
		if err == nil || !errors.As(err, &ae) || ae.RetryAfter <= 0 || ae.RetryAfter > maxRetryWait || attempt >= maxRetries {
			return raw, status, err
		}
		if !retryable(req.method, ae.Status) {
			return raw, status, err
		}
		select {
		case <-ctx.Done():
			return nil, status, err
		case <-time.After(ae.RetryAfter):
		}
	}
}

// retryable says whether an answer with a Retry-After may be retried: a rate limit refused the request before
// it did anything, a 409 with Retry-After is the API's "once naas caught up", and every naas write is safe to
// repeat (docs/api.md); a 503 only for reads, since a write may have happened.
func retryable(method string, status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusConflict:
		return true
	case http.StatusServiceUnavailable:
		return method == http.MethodGet
	default:
		return false
	}
}

func (c *Client) once(ctx context.Context, req request, body []byte) ([]byte, int, error) {
	target := c.base.String() + restv1.Prefix + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, target, rd)
	if err != nil {
		return nil, 0, fmt.Errorf("build request %s %s: %w", req.method, req.path, err)
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	accept := req.accept
	if accept == "" {
		accept = "application/json"
	}
	hreq.Header.Set("Accept", accept+", "+httpx.ProblemContentType)
	if c.agent != "" {
		hreq.Header.Set("User-Agent", c.agent)
	}
	hadToken := false
	if c.token != nil {
		token, err := c.token(ctx)
		if err != nil {
			return nil, 0, err
		}
		if token != "" {
			hreq.Header.Set("Authorization", "Bearer "+token)
			hadToken = true
		}
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // The URL is in the message already.
		}
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, &UnreachableError{Server: c.Server(), Err: err, command: c.command}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, resp.StatusCode, &UnreachableError{Server: c.Server(), Err: fmt.Errorf("read the answer: %w", err), command: c.command}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return raw, resp.StatusCode, nil
	}
	return nil, resp.StatusCode, c.errorOf(req, resp, raw, hadToken)
}

// errorOf turns an error answer into an *Error.
func (c *Client) errorOf(req request, resp *http.Response, raw []byte, hadToken bool) *Error {
	e := &Error{Status: resp.StatusCode, Method: req.method, Path: restv1.Prefix + req.path, Server: c.Server(),
		RequestID: resp.Header.Get(restv1.RequestIDHeader), hadToken: hadToken, command: c.command}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil && secs >= 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
	}
	var p httpx.Problem
	if strings.HasPrefix(resp.Header.Get("Content-Type"), httpx.ProblemContentType) && json.Unmarshal(raw, &p) == nil {
		e.Type, e.Title, e.Detail, e.Fields = p.Type, p.Title, p.Detail, p.Errors
		if p.RequestID != "" {
			e.RequestID = p.RequestID
		}
	} else {
		// Not naas answering (a proxy, a load balancer, another server): keep a short excerpt.
		e.Title = http.StatusText(resp.StatusCode)
		e.notNaas = true
		text := strings.Join(strings.Fields(string(raw)), " ")
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		e.Detail = text
	}
	return e
}

func pathOf(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// AuthConfig returns how to sign in to the API; it needs no credentials.
func (c *Client) AuthConfig(ctx context.Context) (*AuthConfig, error) {
	out := &AuthConfig{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/auth/config"}, out)
	return out, err
}

// Me returns the caller.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	out := &Me{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/me"}, out)
	return out, err
}

func tenantQuery(tenant string) url.Values {
	if tenant == "" {
		return nil
	}
	return url.Values{"tenant": {tenant}}
}

// ListNamespaces returns the namespaces the caller may see, of one tenant when tenant is not empty.
func (c *Client) ListNamespaces(ctx context.Context, tenant string) ([]Namespace, error) {
	out := &NamespaceList{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/namespaces", query: tenantQuery(tenant)}, out)
	return out.Items, err
}

// RequestNamespace requests a namespace. created is false when the same request had been made before and the
// answer is the namespace as it is.
func (c *Client) RequestNamespace(ctx context.Context, req NamespaceRequest) (ns *Namespace, created bool, err error) {
	out := &Namespace{}
	status, err := c.do(ctx, request{method: http.MethodPost, path: "/namespaces/request", body: req}, out)
	if err != nil {
		return nil, false, err
	}
	return out, status == http.StatusAccepted, nil
}

// Namespace returns a namespace and how far its provisioning got.
func (c *Client) Namespace(ctx context.Context, name string) (*Namespace, error) {
	out := &Namespace{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf("namespaces", name, "status")}, out)
	return out, err
}

// SetTier moves a namespace to another tier, naas's unit of quota. changed is false when it had that tier.
func (c *Client) SetTier(ctx context.Context, name, tier string) (ns *Namespace, changed bool, err error) {
	out := &Namespace{}
	status, err := c.do(ctx, request{method: http.MethodPut, path: pathOf("namespaces", name, "quotas"), body: restv1.QuotaUpdate{Tier: tier}}, out)
	if err != nil {
		return nil, false, err
	}
	return out, status == http.StatusAccepted, nil
}

// DeleteNamespace deletes a namespace and everything in it.
func (c *Client) DeleteNamespace(ctx context.Context, name string) (*Namespace, error) {
	out := &Namespace{}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf("namespaces", name)}, out)
	return out, err
}

// Kubeconfig returns a kubeconfig (YAML) for the namespace with the caller's own credentials; auth is "",
// restv1.KubeconfigAuthExec or restv1.KubeconfigAuthToken.
func (c *Client) Kubeconfig(ctx context.Context, name, auth string) ([]byte, error) {
	var q url.Values
	if auth != "" {
		q = url.Values{"auth": {auth}}
	}
	raw, _, err := c.raw(ctx, request{method: http.MethodGet, path: pathOf("namespaces", name, "kubeconfig"), query: q,
		accept: restv1.KubeconfigContentType})
	return raw, err
}

// Templates returns the catalog.
func (c *Client) Templates(ctx context.Context) ([]Template, error) {
	out := &restv1.TemplateList{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/catalog/templates"}, out)
	return out.Items, err
}

// Template returns one template of the catalog.
func (c *Client) Template(ctx context.Context, id string) (*Template, error) {
	out := &Template{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf("catalog", "templates", id)}, out)
	return out, err
}

// Tiers returns the tiers.
func (c *Client) Tiers(ctx context.Context) ([]Tier, error) {
	out := &restv1.TierList{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/tiers"}, out)
	return out.Items, err
}

// Tenants returns the tenants the caller belongs to (all of them, for platform admins).
func (c *Client) Tenants(ctx context.Context) ([]Tenant, error) {
	out := &restv1.TenantList{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/tenants"}, out)
	return out.Items, err
}

// Tenant returns one tenant.
func (c *Client) Tenant(ctx context.Context, name string) (*Tenant, error) {
	out := &Tenant{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf("tenants", name)}, out)
	return out, err
}

// CreateTenant creates a tenant (platform admins).
func (c *Client) CreateTenant(ctx context.Context, in TenantInput) (*Tenant, error) {
	out := &Tenant{}
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/tenants", body: in}, out)
	return out, err
}

// DeleteTenant deletes a tenant that holds no namespaces (platform admins).
func (c *Client) DeleteTenant(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf("tenants", name)}, nil)
	return err
}

// PutMember adds a member to a tenant or changes their role. added is false when they were a member already.
func (c *Client) PutMember(ctx context.Context, tenant string, m Member) (t *Tenant, added bool, err error) {
	out := &Tenant{}
	status, err := c.do(ctx, request{method: http.MethodPost, path: pathOf("tenants", tenant, "members"), body: m}, out)
	if err != nil {
		return nil, false, err
	}
	return out, status == http.StatusCreated, nil
}

// RemoveMember removes a member from a tenant. A ServiceAccount is named by namespace and name.
func (c *Client) RemoveMember(ctx context.Context, tenant string, m Member) (*Tenant, error) {
	subject := m.Name
	if m.Kind == "ServiceAccount" {
		subject = m.Namespace + ":" + m.Name
	}
	out := &Tenant{}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf("tenants", tenant, "members", m.Kind, subject)}, out)
	return out, err
}

// Collaborators returns the other tenants given access to a namespace.
func (c *Client) Collaborators(ctx context.Context, namespace string) ([]Collaborator, error) {
	out := &CollaboratorList{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf("namespaces", namespace, "collaborators")}, out)
	return out.Items, err
}

// PutCollaborator gives another tenant access to a namespace, or changes its access. added is false when the
// tenant collaborated already.
func (c *Client) PutCollaborator(ctx context.Context, namespace string, col Collaborator) (items []Collaborator, added bool, err error) {
	out := &CollaboratorList{}
	status, err := c.do(ctx, request{method: http.MethodPost, path: pathOf("namespaces", namespace, "collaborators"), body: col}, out)
	if err != nil {
		return nil, false, err
	}
	return out.Items, status == http.StatusCreated, nil
}

// RemoveCollaborator revokes another tenant's access to a namespace.
func (c *Client) RemoveCollaborator(ctx context.Context, namespace, tenant string) ([]Collaborator, error) {
	out := &CollaboratorList{}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf("namespaces", namespace, "collaborators", tenant)}, out)
	return out.Items, err
}

// AcceptedCollaborations returns what a tenant accepts for all its namespaces (namespace empty) or what one
// namespace accepts, with the offers the tenant has.
func (c *Client) AcceptedCollaborations(ctx context.Context, tenant, namespace string) (*AcceptedCollaborations, error) {
	out := &AcceptedCollaborations{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: acceptedPath(tenant, namespace)}, out)
	return out, err
}

// AcceptCollaboration accepts the collaboration of tenant other for every namespace of tenant (namespace empty)
// or for one namespace. added is false when it was accepted already.
func (c *Client) AcceptCollaboration(ctx context.Context, tenant, namespace, other string) (a *AcceptedCollaborations, added bool, err error) {
	out := &AcceptedCollaborations{}
	status, err := c.do(ctx, request{method: http.MethodPut, path: acceptedPath(tenant, namespace, other)}, out)
	if err != nil {
		return nil, false, err
	}
	return out, status == http.StatusCreated, nil
}

// WithdrawCollaboration withdraws the acceptance of tenant other's collaboration, tenant-wide (namespace empty)
// or of one namespace.
func (c *Client) WithdrawCollaboration(ctx context.Context, tenant, namespace, other string) (*AcceptedCollaborations, error) {
	out := &AcceptedCollaborations{}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: acceptedPath(tenant, namespace, other)}, out)
	return out, err
}

func acceptedPath(tenant, namespace string, other ...string) string {
	if namespace != "" {
		return pathOf(append([]string{"namespaces", namespace, "accepted-collaborations"}, other...)...)
	}
	return pathOf(append([]string{"tenants", tenant, "accepted-collaborations"}, other...)...)
}

// Approvals returns the namespaces waiting for a decision the caller may make.
func (c *Client) Approvals(ctx context.Context, tenant string) ([]Namespace, error) {
	out := &NamespaceList{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/approvals", query: tenantQuery(tenant)}, out)
	return out.Items, err
}

// Approve approves a pending namespace.
func (c *Client) Approve(ctx context.Context, name, reason string) (*Namespace, error) {
	out := &Namespace{}
	_, err := c.do(ctx, request{method: http.MethodPost, path: pathOf("approvals", name, "approve"),
		body: restv1.ApprovalDecision{Reason: reason}}, out)
	return out, err
}

// Reject rejects a pending namespace; reason is required.
func (c *Client) Reject(ctx context.Context, name, reason string) (*Namespace, error) {
	out := &Namespace{}
	_, err := c.do(ctx, request{method: http.MethodPost, path: pathOf("approvals", name, "reject"),
		body: restv1.ApprovalDecision{Reason: reason}}, out)
	return out, err
}

// AuditQuery filters the audit log.
type AuditQuery struct {
	Tenant, Namespace, User string
	// Since and Until bound the time of the events; zero means unbounded.
	Since, Until time.Time
	// Limit is the page size, 1 to 500; the server's default when 0.
	Limit int
	// PageToken is the NextPageToken of the previous page.
	PageToken string
}

// Audit returns one page of the audit log, newest first.
func (c *Client) Audit(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	v := url.Values{}
	for k, s := range map[string]string{"tenant": q.Tenant, "namespace": q.Namespace, "user": q.User, "pageToken": q.PageToken} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	out := &AuditPage{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/audit", query: v}, out)
	return out, err
}

// Clusters returns the clusters the caller may use (all of them, for platform admins).
func (c *Client) Clusters(ctx context.Context) ([]Cluster, error) {
	out := &restv1.ClusterList{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/clusters"}, out)
	return out.Items, err
}

// Cluster returns one cluster.
func (c *Client) Cluster(ctx context.Context, name string) (*Cluster, error) {
	out := &Cluster{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf("clusters", name)}, out)
	return out, err
}

// RegisterCluster registers a cluster (platform admins).
func (c *Client) RegisterCluster(ctx context.Context, in ClusterInput) (*Cluster, error) {
	out := &Cluster{}
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/clusters", body: in}, out)
	return out, err
}

// PatchCluster changes some of a cluster's fields (platform admins).
func (c *Client) PatchCluster(ctx context.Context, name string, p ClusterPatch) (*Cluster, error) {
	out := &Cluster{}
	_, err := c.do(ctx, request{method: http.MethodPatch, path: pathOf("clusters", name), body: p}, out)
	return out, err
}

// RemoveCluster removes a cluster (platform admins); orphan leaves the naas namespaces on it in place.
func (c *Client) RemoveCluster(ctx context.Context, name string, orphan bool) (*Cluster, error) {
	var q url.Values
	if orphan {
		q = url.Values{"orphan": {"true"}}
	}
	out := &Cluster{}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf("clusters", name), query: q}, out)
	return out, err
}
