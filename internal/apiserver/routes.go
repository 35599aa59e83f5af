package apiserver

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/ratelimit"
)

// route is one operation of the API: how it is served and how it is documented.
type route struct {
	method  string
	pattern string // a net/http pattern path, e.g. /api/v1/namespaces/{namespace}/status
	// operationID, summary and description document the operation.
	operationID string
	summary     string
	description string
	tag         string
	// public routes need no authentication.
	public bool
	// action is the audit action of a mutating route.
	action string
	// body is the type of the request body, if any; optionalBody allows an empty one.
	body         reflect.Type
	optionalBody bool
	// params describe the path wildcards, query the query parameters.
	params map[string]string
	query  []queryParam
	// responses are the successful responses; the error responses are added by the document builder.
	responses []response
	// errors are the error statuses the operation may answer with, besides the ones every route has.
	errors []int
	handle func(s *Server, w http.ResponseWriter, r *http.Request)
}

type queryParam struct {
	name, description string
	typ               string // string, integer or date-time
}

type response struct {
	status      int
	description string
	body        reflect.Type // nil for no body
	contentType string       // of the body; application/json when empty
	location    bool         // sets a Location header
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// Tags group the operations in the document.
const (
	tagNamespaces = "namespaces"
	tagCatalog    = "catalog"
	tagTenants    = "tenants"
	tagApprovals  = "approvals"
	tagAnalytics  = "analytics"
	tagAudit      = "audit"
	tagClusters   = "clusters"
	tagMeta       = "meta"
)

// Audit actions of the API, besides the ones package audit names.
const (
	ActionMemberAdd    = "tenant.member.add"
	ActionMemberRemove = "tenant.member.remove"

	ActionClusterRegister = "cluster.register"
	ActionClusterUpdate   = "cluster.update"
	ActionClusterRemove   = "cluster.remove"
)

var (
	paramNamespace = map[string]string{"namespace": "Name of the namespace (and of its claim)."}
	paramTenant    = map[string]string{"name": "Name of the tenant."}
	tenantFilter   = queryParam{name: "tenant", description: "Only this tenant."}
)

// buildMux registers one handler per path; it dispatches by method, answering 405 with an Allow header for
// the others, and everything else under the prefix is a 404. Both answers are problem documents.
func (s *Server) buildMux() *http.ServeMux {
	mux := http.NewServeMux()
	byPattern := map[string][]*route{}
	var order []string
	for _, rt := range s.routes {
		if _, seen := byPattern[rt.pattern]; !seen {
			order = append(order, rt.pattern)
		}
		byPattern[rt.pattern] = append(byPattern[rt.pattern], rt)
	}
	for _, pattern := range order {
		routes := byPattern[pattern]
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			method := r.Method
			if method == http.MethodHead {
				method = http.MethodGet
			}
			for _, rt := range routes {
				if rt.method == method {
					s.serveRoute(rt, w, r)
					return
				}
			}
			allowed := make([]string, 0, len(routes))
			for _, rt := range routes {
				allowed = append(allowed, rt.method)
			}
			slices.Sort(allowed)
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			s.writeProblem(w, r, errorf(http.StatusMethodNotAllowed, restv1.ProblemMethod,
				"%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
		})
	}
	mux.HandleFunc(restv1.Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, errorf(http.StatusNotFound, restv1.ProblemNoRoute,
			"there is no API route %s; the routes are listed in %s/openapi.json", r.URL.Path, restv1.Prefix))
	})
	return mux
}

// serveRoute authenticates the caller (unless the route is public), spends a token of the caller's rate limit,
// refuses parameters with control characters and runs the handler. A client address that has failed to
// authenticate too often is refused before its credentials are looked at, so that tokens cannot be guessed.
func (s *Server) serveRoute(rt *route, w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	st.route = rt
	if rt.public {
		s.handleChecked(rt, w, r)
		return
	}
	addr := ratelimit.ClientAddress(r, s.cfg.TrustedProxies)
	if blocked, wait := s.cfg.AuthFailures.Blocked(addr); blocked {
		st.reason = "rate limited: too many failed authentications from " + addr
		ratelimit.WriteRefused(w, r, wait, fmt.Sprintf(
			"too many requests with bad credentials from your address; check your token, and retry in %d seconds",
			ratelimit.RetryAfterSeconds(wait)))
		return
	}
	authn.MiddlewareWithOptions(s.cfg.Authenticator, s.cfg.AuthOptions, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := authn.UserFrom(r.Context())
		st.user = u
		if !s.allow(w, r, u.Name, "") {
			return
		}
		s.handleChecked(rt, w, r)
	})).ServeHTTP(&unauthenticatedReason{ResponseWriter: w, st: st, failed: func() { s.cfg.AuthFailures.Fail(addr) }}, r)
}

// handleChecked runs rt's handler unless a path or query parameter holds a control character.
func (s *Server) handleChecked(rt *route, w http.ResponseWriter, r *http.Request) {
	if e := checkParameters(rt, r); e != nil {
		s.writeProblem(w, r, e)
		return
	}
	rt.handle(s, w, r)
}

// unauthenticatedReason notes, for the audit log, that a 401 was for missing or bad credentials, and counts a
// 401 for bad credentials (a token that authenticates no one, not the absence of one) as a failure of the
// client's address.
type unauthenticatedReason struct {
	http.ResponseWriter
	st     *requestState
	failed func()
}

func (w *unauthenticatedReason) WriteHeader(code int) {
	if w.st.user == nil && w.st.reason == "" {
		switch code {
		case http.StatusUnauthorized:
			w.st.reason = "unauthenticated: no valid credentials"
			if strings.Contains(w.Header().Get("WWW-Authenticate"), "invalid_token") {
				w.failed()
			}
		case http.StatusServiceUnavailable:
			w.st.reason = "the credentials could not be checked"
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *unauthenticatedReason) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// allow spends a token of the user's bucket (user != "") or of the tenant's (tenant != ""), answering 429 with
// Retry-After when it is empty. In-process calls made for one outside request (the portal's, see
// ratelimit.WithErrand) spend one token between them.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, user, tenant string) bool {
	if s.cfg.Limiter == nil {
		return true
	}
	ok, retryAfter := s.cfg.Limiter.AllowContext(r.Context(), user, tenant)
	if ok {
		return true
	}
	st := stateOf(r)
	if tenant != "" {
		st.reason = "rate limited: tenant " + tenant + " is over its request rate"
	} else {
		st.reason = "rate limited: user " + user + " is over their request rate"
	}
	ratelimit.WriteTooManyRequests(w, r, retryAfter)
	return false
}

// allowTenant spends a token of tenant's bucket and notes the tenant the request acts on.
func (s *Server) allowTenant(w http.ResponseWriter, r *http.Request, tenant string) bool {
	stateOf(r).tenant = tenant
	if tenant == "" {
		return true
	}
	return s.allow(w, r, "", tenant)
}

// routeTable is every operation of the API.
func routeTable() []*route {
	ns := restv1.Prefix + "/namespaces"
	return append([]*route{
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/openapi.json", operationID: "getOpenAPI", tag: tagMeta, public: true,
			summary:   "The OpenAPI 3 document of this API",
			responses: []response{{status: 200, description: "The document.", body: typeOf[map[string]any]()}},
			handle:    (*Server).getOpenAPI,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/auth/config", operationID: "getAuthConfig", tag: tagMeta, public: true,
			summary: "How clients sign in to this API",
			description: "The OIDC issuer and client id to get a token from (the naas CLI uses the device authorization " +
				"grant), when the API accepts OIDC tokens. Without oidc, sign in with a static token.",
			responses: []response{{status: 200, description: "The sign-in settings.", body: typeOf[restv1.AuthConfig]()}},
			handle:    (*Server).getAuthConfig,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/me", operationID: "getMe", tag: tagMeta,
			summary:   "Who the caller is, and their tenants and roles",
			responses: []response{{status: 200, description: "The caller.", body: typeOf[restv1.Me]()}},
			handle:    (*Server).getMe,
		},
		{
			method: http.MethodGet, pattern: ns, operationID: "listNamespaces", tag: tagNamespaces,
			summary:   "The namespaces the caller may see",
			query:     []queryParam{tenantFilter},
			responses: []response{{status: 200, description: "The namespaces, by name.", body: typeOf[restv1.NamespaceList]()}},
			handle:    (*Server).listNamespaces,
		},
		{
			method: http.MethodPost, pattern: ns + "/request", operationID: "requestNamespace", tag: tagNamespaces,
			action:  "namespace.request",
			summary: "Request a namespace",
			description: "Creates a NamespaceClaim as the caller (an admin or developer of the tenant). naas provisions it " +
				"asynchronously: poll the status URL in the Location header until phase is Ready or Failed. A repeated " +
				"identical request by the same user answers 200 with the current status.",
			body: typeOf[restv1.NamespaceRequest](),
			responses: []response{
				{status: 202, description: "Accepted; provisioning has started.", body: typeOf[restv1.Namespace](), location: true},
				{status: 200, description: "The same request was made before; nothing changed.", body: typeOf[restv1.Namespace]()},
			},
			errors: []int{403, 409},
			handle: (*Server).requestNamespace,
		},
		{
			method: http.MethodGet, pattern: ns + "/{namespace}/kubeconfig", operationID: "getNamespaceKubeconfig", tag: tagNamespaces,
			summary: "A kubeconfig for the namespace, with the caller's own credentials",
			description: "For anyone who may view the namespace: the cluster (server URL and CA), a context whose " +
				"namespace is this one, and the caller's credentials, never naas's. A static token is embedded as is " +
				"(the cluster trusts the same tokens); for an OIDC token the user entry runs kubelogin " +
				"(kubectl oidc-login) to sign in and refresh, unless auth=token embeds the token itself. What the " +
				"kubeconfig may do is up to the cluster's RBAC, which follows the caller's tenant role.",
			params: paramNamespace,
			query: []queryParam{{name: "auth", description: "How the kubeconfig authenticates an OIDC user: exec " +
				"(kubelogin, the default) or token (the caller's current token, which expires with it)."}},
			responses: []response{{
				status: 200, description: "The kubeconfig (Content-Disposition: attachment; filename=<namespace>.kubeconfig).",
				body: typeOf[string](), contentType: restv1.KubeconfigContentType,
			}},
			errors: []int{400, 404},
			handle: (*Server).getKubeconfig,
		},
		{
			method: http.MethodGet, pattern: ns + "/{namespace}/status", operationID: "getNamespaceStatus", tag: tagNamespaces,
			summary: "Provisioning status of a namespace", params: paramNamespace,
			responses: []response{{status: 200, description: "The namespace.", body: typeOf[restv1.Namespace]()}},
			errors:    []int{404},
			handle:    (*Server).getNamespaceStatus,
		},
		{
			method: http.MethodGet, pattern: ns + "/{namespace}/recommendations", operationID: "getNamespaceRecommendations", tag: tagNamespaces,
			summary: "Right-sizing: the namespace's requests against p95 usage, the recommended requests and tier, and the saving",
			description: "For each container of the namespace's Deployments, StatefulSets and DaemonSets: its CPU and memory " +
				"requests against the 95th percentile of its usage over the window (read from Prometheus), the " +
				"recommended request (p95 × 1.2, rounded up to 50m and 64Mi), the monthly saving at the cluster's " +
				"PriceBook, and a line that explains it; then the smallest tier the tenant may use that holds the " +
				"recommended requests. For the tenant's members and platform admins. Without a Prometheus " +
				"(--prometheus-url) naas has no usage to size by and answers 409 usage-unavailable.",
			params: paramNamespace,
			query: []queryParam{
				{name: "window", description: "How much usage to take the p95 of, up to now: a duration such as 24h or 7d (the default), at most 31 days."},
				{name: "currency", description: "ISO 4217 code to price savings in; a price book's exchange rate converts."},
			},
			responses: []response{{status: 200, description: "The recommendations.", body: typeOf[restv1.RecommendationList]()}},
			errors:    []int{400, 403, 404, 409},
			handle:    (*Server).getRecommendations,
		},
		{
			method: http.MethodPut, pattern: ns + "/{namespace}/quotas", operationID: "updateNamespaceQuota", tag: tagNamespaces,
			action:  "quota.update",
			summary: "Change a namespace's quota by moving it to another tier",
			description: "The tier is naas's unit of quota: the namespace's ResourceQuota, LimitRange, policies and budget " +
				"follow it and are updated in place. The tier must be one the tenant allows.",
			params: paramNamespace, body: typeOf[restv1.QuotaUpdate](),
			responses: []response{
				{status: 202, description: "Accepted; the namespace is being updated.", body: typeOf[restv1.Namespace](), location: true},
				{status: 200, description: "The namespace already has that tier.", body: typeOf[restv1.Namespace]()},
			},
			errors: []int{403, 404, 409},
			handle: (*Server).updateQuota,
		},
		{
			method: http.MethodDelete, pattern: ns + "/{namespace}", operationID: "deleteNamespace", tag: tagNamespaces,
			action:  "namespace.delete",
			summary: "Delete a namespace and everything in it",
			description: "Deletes the claim as the caller (a tenant admin, or the developer who requested it); the " +
				"namespace goes with it. Refused while the claim has deletion protection on.",
			params:    paramNamespace,
			responses: []response{{status: 202, description: "Accepted; the namespace is being deleted.", body: typeOf[restv1.Namespace](), location: true}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).deleteNamespace,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/catalog/templates", operationID: "listTemplates", tag: tagCatalog,
			summary:   "The catalog of namespace templates",
			responses: []response{{status: 200, description: "The templates, by id.", body: typeOf[restv1.TemplateList]()}},
			handle:    (*Server).listTemplates,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/catalog/templates/{id}", operationID: "getTemplate", tag: tagCatalog,
			summary: "One catalog template", params: map[string]string{"id": "Id (name) of the template."},
			responses: []response{{status: 200, description: "The template.", body: typeOf[restv1.Template]()}},
			errors:    []int{404},
			handle:    (*Server).getTemplate,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/tiers", operationID: "listTiers", tag: tagCatalog,
			summary:   "The tiers of quota and policy",
			responses: []response{{status: 200, description: "The tiers, by name.", body: typeOf[restv1.TierList]()}},
			handle:    (*Server).listTiers,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/tenants", operationID: "listTenants", tag: tagTenants,
			summary:   "The tenants the caller belongs to (every tenant, for platform admins)",
			responses: []response{{status: 200, description: "The tenants, by name.", body: typeOf[restv1.TenantList]()}},
			handle:    (*Server).listTenants,
		},
		{
			method: http.MethodPost, pattern: restv1.Prefix + "/tenants", operationID: "createTenant", tag: tagTenants,
			action: "tenant.create", summary: "Create a tenant (platform admins)", body: typeOf[restv1.TenantInput](),
			responses: []response{{status: 201, description: "Created.", body: typeOf[restv1.Tenant](), location: true}},
			errors:    []int{403, 409},
			handle:    (*Server).createTenant,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/tenants/{name}", operationID: "getTenant", tag: tagTenants,
			summary: "One tenant", params: paramTenant,
			responses: []response{{status: 200, description: "The tenant.", body: typeOf[restv1.Tenant]()}},
			errors:    []int{404},
			handle:    (*Server).getTenant,
		},
		{
			method: http.MethodPut, pattern: restv1.Prefix + "/tenants/{name}", operationID: "replaceTenant", tag: tagTenants,
			action: "tenant.update", summary: "Replace a tenant (platform admins)",
			description: "Replaces the whole tenant: fields left out are cleared.",
			params:      paramTenant, body: typeOf[restv1.TenantInput](),
			responses: []response{{status: 200, description: "Replaced.", body: typeOf[restv1.Tenant]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).replaceTenant,
		},
		{
			method: http.MethodDelete, pattern: restv1.Prefix + "/tenants/{name}", operationID: "deleteTenant", tag: tagTenants,
			action: "tenant.delete", summary: "Delete a tenant that holds no namespaces (platform admins)", params: paramTenant,
			responses: []response{{status: 204, description: "Deleted."}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).deleteTenant,
		},
		{
			method: http.MethodPost, pattern: restv1.Prefix + "/tenants/{name}/members", operationID: "putTenantMember", tag: tagTenants,
			action: ActionMemberAdd, summary: "Add a member to a tenant, or change a member's role (tenant admins)",
			description: "A member is identified by kind, name and (for service accounts) namespace. The last admin of a " +
				"tenant cannot be demoted by a tenant admin.",
			params: paramTenant, body: typeOf[restv1.Member](),
			responses: []response{
				{status: 201, description: "Added.", body: typeOf[restv1.Tenant]()},
				{status: 200, description: "The member existed; their role is now the one given.", body: typeOf[restv1.Tenant]()},
			},
			errors: []int{403, 404, 409},
			handle: (*Server).putMember,
		},
		{
			method: http.MethodDelete, pattern: restv1.Prefix + "/tenants/{name}/members/{kind}/{subject}", operationID: "deleteTenantMember",
			tag: tagTenants, action: ActionMemberRemove, summary: "Remove a member from a tenant (tenant admins)",
			description: "The last admin of a tenant cannot be removed by a tenant admin.",
			params: map[string]string{
				"name":    "Name of the tenant.",
				"kind":    "User, Group or ServiceAccount.",
				"subject": "The user or group name; for a ServiceAccount, <namespace>:<name>.",
			},
			responses: []response{{status: 200, description: "Removed.", body: typeOf[restv1.Tenant]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).deleteMember,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/approvals", operationID: "listApprovals", tag: tagApprovals,
			summary:   "The namespaces waiting for an approval the caller may give",
			query:     []queryParam{tenantFilter},
			responses: []response{{status: 200, description: "The pending namespaces.", body: typeOf[restv1.NamespaceList]()}},
			handle:    (*Server).listApprovals,
		},
		{
			method: http.MethodPost, pattern: restv1.Prefix + "/approvals/{namespace}/approve", operationID: "approveNamespace", tag: tagApprovals,
			action: "approval.approve", summary: "Approve a pending namespace (tenant or platform admins)",
			description: "Records who approved, when and why; naas then provisions the namespace. Requesters cannot " +
				"approve their own namespaces unless they are platform admins. Approving again changes nothing.",
			params: paramNamespace, body: typeOf[restv1.ApprovalDecision](), optionalBody: true,
			responses: []response{{status: 200, description: "Approved.", body: typeOf[restv1.Namespace]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).approve,
		},
		{
			method: http.MethodPost, pattern: restv1.Prefix + "/approvals/{namespace}/reject", operationID: "rejectNamespace", tag: tagApprovals,
			action: "approval.reject", summary: "Reject a pending namespace (tenant or platform admins)",
			description: "Records who rejected, when and why (the reason is required); the claim fails and no namespace is made.",
			params:      paramNamespace, body: typeOf[restv1.ApprovalDecision](), optionalBody: true,
			responses: []response{{status: 200, description: "Rejected.", body: typeOf[restv1.Namespace]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).reject,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/analytics/usage", operationID: "getUsage", tag: tagAnalytics,
			summary: "Quota hard limits and usage per namespace and per tenant",
			description: "From each namespace's ResourceQuota, for the namespaces the caller may see. Tenant figures are " +
				"the sums over their namespaces.",
			query:     []queryParam{tenantFilter},
			responses: []response{{status: 200, description: "The usage.", body: typeOf[restv1.UsageReport]()}},
			handle:    (*Server).getUsage,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/analytics/costs", operationID: "getCosts", tag: tagAnalytics,
			summary: "Allocated cost and chargeback per namespace, tenant, cost center or label, over a window",
			description: "Cost as the OpenCost specification allocates it (max(request, usage) per container, PVC capacity, " +
				"load balancers, idle and shared cost as the CostPolicy splits them), from the hourly rows of the audit " +
				"store plus the hour in progress, computed when asked. Chargeback rules apply per namespace, in order, and " +
				"each line names what they changed. Platform admins see every namespace, idle and shared cost; others " +
				"the namespaces of the tenants they hold a role in. Accept: text/csv (or format=csv) answers the finance " +
				"CSV. Compatibility: namespaces[] and tenants[] keep the first shape of this report (tier budgets); their " +
				"cost, always null before, is now this month's charged cost as Money.",
			query: []queryParam{
				tenantFilter,
				{name: "window", description: "today, yesterday, week, lastweek, month (the default), lastmonth, a duration such as 24h or 7d, or start,end (RFC 3339 or Unix seconds)."},
				{name: "aggregate", description: "namespace (the default), tenant, costcenter, cluster, tier, template or label:<key>."},
				{name: "currency", description: "ISO 4217 code to report in; a price book's exchange rate converts. The cost policy's currency by default."},
				{name: "step", description: "hour or day: add each line's charged cost per period (series)."},
				{name: "format", description: "json (the default) or csv."},
			},
			responses: []response{
				{status: 200, description: "The report.", body: typeOf[restv1.CostReport]()},
			},
			errors: []int{400, 403},
			handle: (*Server).getCosts,
		},
		{
			method: http.MethodGet, pattern: restv1.Prefix + "/audit", operationID: "queryAudit", tag: tagAudit,
			summary: "Query the audit log, newest first",
			description: "Platform admins see every event. Others must ask for a tenant they administer (tenant=) or " +
				"for their own events (user=<their name>).",
			query: []queryParam{
				{name: "tenant", description: "Only events of this tenant."},
				{name: "namespace", description: "Only events of this namespace."},
				{name: "user", description: "Only events by this user."},
				{name: "since", description: "Only events at or after this time (RFC 3339).", typ: "date-time"},
				{name: "until", description: "Only events before this time (RFC 3339).", typ: "date-time"},
				{name: "limit", description: "Page size, 1 to 500; 50 by default.", typ: "integer"},
				{name: "pageToken", description: "The nextPageToken of the previous page."},
			},
			responses: []response{{status: 200, description: "One page of events.", body: typeOf[restv1.AuditPage]()}},
			errors:    []int{400, 403},
			handle:    (*Server).queryAudit,
		},
	}, slices.Concat(collaboratorRoutes(), acceptedCollaborationRoutes(), clusterRoutes(), budgetRoutes())...)
}
