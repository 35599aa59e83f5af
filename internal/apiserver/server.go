package apiserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/httpx"
	"github.com/naas-dev/naas/internal/ratelimit"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Config is what the API needs. Cache, Reader, AsCaller, AsNaas and Authenticator are required; so is Audit
// once an Authenticator is set.
type Config struct {
	// Cache reads what naas caches: claims, tenants, templates, tiers and naas-managed quotas. Listings read it
	// and filter by what the caller may see.
	Cache client.Reader
	// Reader reads the API server directly, for an object written a moment ago and not yet in the cache.
	Reader client.Reader
	// AsCaller writes as the caller: it impersonates the user that withCaller puts in the request context (see
	// NewImpersonatingClient), so that the API server's RBAC and admission see the real user.
	AsCaller client.Client
	// AsNaas writes as naas itself, for what the naas permission model grants beyond Kubernetes RBAC: approval
	// decisions (the claim's status) and member changes by tenant admins. Each such write is allowed by
	// tenancy.Authorize first and audited with the real user.
	AsNaas client.Client
	// Authenticator authenticates callers; nil answers every request but the API document with 401 and says how
	// to configure authentication.
	Authenticator authn.Authenticator
	// AuthOptions let a portal session cookie authenticate API requests.
	AuthOptions authn.Options
	// Limiter limits requests per user and per tenant; nil means no limits.
	Limiter *ratelimit.Limiter
	// AuthFailures limits failed authentications per client address (see ratelimit.ClientAddress); nil means no
	// limit.
	AuthFailures *ratelimit.Failures
	// TrustedProxies are the proxies whose X-Forwarded-For names the client address; none by default, so that a
	// client cannot pick the address it is limited by.
	TrustedProxies []netip.Prefix
	// Guard, when set, wraps the routes: it sees every request after the request id is set, and what it refuses
	// is logged and audited like any answer. The portal's CSRF check of cookie-authenticated writes is one.
	Guard func(http.Handler) http.Handler
	// Audit records every mutating request before its response is sent.
	Audit audit.Store
	// Log receives access logs and unexpected errors.
	Log logr.Logger
	// Metrics observes requests; nil observes nothing.
	Metrics *Metrics
	// MaxBodyBytes bounds request bodies; DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
	// Now is the clock approvals are stamped with; time.Now when nil.
	Now func() time.Time
	// Costs makes cost reports; nil reports budgets only (cost null), as before cost allocation.
	Costs CostReporter
	// SystemNamespace is naas's own namespace, where the kubeconfigs of registered clusters are kept.
	SystemNamespace string
	// Client is what clients are told about the cluster and signing in: the kubeconfigs the API hands out and
	// GET /auth/config.
	Client ClientConfig
}

// Server serves the REST API.
type Server struct {
	cfg      Config
	routes   []*route
	mux      *http.ServeMux
	root     http.Handler // mux, behind Config.Guard
	openapi  map[string]any
	inFlight sync.WaitGroup
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Cache": cfg.Cache != nil, "Reader": cfg.Reader != nil, "AsCaller": cfg.AsCaller != nil, "AsNaas": cfg.AsNaas != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if cfg.Authenticator != nil && cfg.Audit == nil {
		missing = append(missing, "Audit (required with an Authenticator: every mutating request is audited)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("apiserver: missing configuration: %s", strings.Join(missing, ", "))
	}
	if cfg.Authenticator == nil {
		cfg.Authenticator = unconfigured{}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, routes: routeTable()}
	if cfg.Audit != nil {
		// Every write of a request is preceded by its audit intent.
		s.cfg.AsCaller = &intendingClient{Client: cfg.AsCaller, s: s}
		s.cfg.AsNaas = &intendingClient{Client: cfg.AsNaas, s: s}
	}
	s.mux = s.buildMux()
	s.root = s.mux
	if cfg.Guard != nil {
		s.root = cfg.Guard(s.mux)
	}
	s.openapi = buildOpenAPI(s.routes)
	return s, nil
}

// unconfigured refuses every token, saying how to configure authentication.
type unconfigured struct{}

func (unconfigured) AuthenticateToken(context.Context, string) (*authn.User, error) {
	return nil, fmt.Errorf("%w: the naas API has no authentication configured; start naas with --token-file or --oidc-issuer-url",
		authn.ErrUnauthenticated)
}

// Handler returns the handler of every route under Prefix; mount it at Prefix + "/".
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inFlight.Add(1)
		defer s.inFlight.Done()
		start := time.Now()
		id := requestID(r.Header.Get(restv1.RequestIDHeader))
		st := &requestState{requestID: id, method: r.Method, path: r.URL.Path}
		ctx := httpx.WithRequestID(withState(r.Context(), st), id)
		r = r.WithContext(ctx)
		w.Header().Set(restv1.RequestIDHeader, id)
		rec := &recorder{ResponseWriter: w, s: s, r: r, st: st}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // a sentinel panic value, compared as net/http does
					panic(v)
				}
				s.cfg.Log.Error(fmt.Errorf("panic: %v", v), "Handler panicked", "requestId", id, "path", r.URL.Path)
				if !rec.wroteHeader {
					s.writeProblem(rec, r, errorf(http.StatusInternalServerError, restv1.ProblemInternal,
						"internal error; report the request id to the platform team"))
				}
			}
			if !rec.wroteHeader {
				rec.WriteHeader(http.StatusOK)
			}
			s.observe(r, st, rec, time.Since(start))
		}()
		s.root.ServeHTTP(rec, r)
	})
}

// Drain waits until the requests in flight are answered, or ctx ends.
func (s *Server) Drain(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.inFlight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// requestID keeps a client's request id if it is short and plain, and makes one otherwise.
func requestID(given string) string {
	if given != "" && len(given) <= 128 && strings.Trim(given,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == "" {
		return given
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms.
	return hex.EncodeToString(b)
}

// requestState is what the layers of one request learn about it, for its audit record and access log.
type requestState struct {
	requestID, method, path string
	// mu guards intentID, for handlers that write concurrently.
	mu sync.Mutex
	// intentID is the audit event recorded before the request's first write (see intend); 0 until then.
	intentID int64
	route    *route
	user     *authn.User
	// tenant, namespace and target say what the request acts on.
	tenant, namespace, target string
	// counterpart is the other tenant of a collaboration the request changed: a successful request is recorded
	// in its audit log too.
	counterpart string
	// details are recorded with the audit event.
	details map[string]string
	// reason explains a refusal or failure.
	reason string
}

func (st *requestState) detail(k, v string) {
	if st.details == nil {
		st.details = map[string]string{}
	}
	st.details[k] = v
}

type stateKey struct{}

func withState(ctx context.Context, st *requestState) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

// stateOf returns the state of r; every request through Handler has one.
func stateOf(r *http.Request) *requestState {
	if st, ok := r.Context().Value(stateKey{}).(*requestState); ok {
		return st
	}
	return &requestState{}
}

// recorder notes the status and size of a response and, for a mutating request, records its audit event just
// before the status goes out, so that nothing reaches the client that is not in the audit log. If a successful
// request cannot be audited, the client gets 500 instead of its success.
type recorder struct {
	http.ResponseWriter
	s           *Server
	r           *http.Request
	st          *requestState
	wroteHeader bool
	suppress    bool
	status      int
	bytes       int
}

func (w *recorder) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = code
	if isMutating(w.r.Method) {
		if err := w.s.recordRequest(w.r, w.st, code); err != nil && code < http.StatusBadRequest {
			w.s.cfg.Log.Error(err, "Cannot audit a request that was carried out; answering 500",
				"requestId", httpx.RequestIDFrom(w.r.Context()), "action", w.st.action(), "user", w.st.userName())
			if w.s.cfg.Metrics != nil {
				w.s.cfg.Metrics.AuditFailures.Inc()
			}
			h := w.Header()
			for _, k := range []string{"Location", "Content-Type", "Content-Length"} {
				h.Del(k)
			}
			w.suppress = true
			w.status = http.StatusInternalServerError
			p := httpx.NewProblem(w.r, http.StatusInternalServerError,
				"the request was carried out but could not be recorded in the audit log; check its outcome before retrying, and report the request id to the platform team")
			p.Type = restv1.ProblemInternal
			httpx.WriteProblem(w.ResponseWriter, p)
			return
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.suppress {
		return len(b), nil
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func isMutating(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	default:
		return true
	}
}

func (st *requestState) userName() string {
	if st.user == nil {
		return ""
	}
	return st.user.Name
}

// action is the audit action of the request: its route's, or a generic one for a request that matched none.
func (st *requestState) action() string {
	if st.route != nil && st.route.action != "" {
		return st.route.action
	}
	return "api.request"
}

// requestEvent is the audit event of the request st, answered with status; 0 for its intent, before it is
// carried out.
func (s *Server) requestEvent(st *requestState, status int) audit.Event {
	e := audit.Event{
		Time:      s.cfg.Now(),
		RequestID: st.requestID,
		User:      st.userName(),
		Action:    st.action(),
		Tenant:    st.tenant,
		Namespace: st.namespace,
		Target:    st.target,
		Reason:    st.reason,
		Details:   map[string]string{"method": st.method, "path": st.path},
	}
	if st.user != nil {
		e.Groups = st.user.Groups
	}
	for k, v := range st.details {
		e.Details[k] = v
	}
	if status == 0 {
		return e
	}
	e.Details["status"] = strconv.Itoa(status)
	switch {
	case status < http.StatusBadRequest:
		e.Result = audit.ResultAllowed
	case status < http.StatusInternalServerError:
		e.Result = audit.ResultDenied
	default:
		e.Result = audit.ResultFailure
	}
	if e.Reason == "" && status >= http.StatusBadRequest {
		e.Reason = http.StatusText(status)
	}
	return e
}

// recordRequest writes the audit event of a mutating request that is answered with status: the outcome of its
// intent if it wrote anything, else the whole event.
func (s *Server) recordRequest(r *http.Request, st *requestState, status int) error {
	e := s.requestEvent(st, status)
	if s.cfg.Audit == nil {
		// Only possible without authentication, when every request is refused anyway.
		s.cfg.Log.Info("Audit event (no audit store configured)", "action", e.Action, "result", e.Result, "reason", e.Reason)
		return nil
	}
	// The client may have gone; the record must still be written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	st.mu.Lock()
	id := st.intentID
	st.mu.Unlock()
	if id != 0 {
		if err := s.cfg.Audit.Finish(ctx, id, e); err != nil {
			return fmt.Errorf("record the outcome of audit event %s: %w", e.Action, err)
		}
	} else if err := s.cfg.Audit.Record(ctx, e); err != nil {
		return fmt.Errorf("record audit event %s: %w", e.Action, err)
	}
	if st.counterpart == "" || st.counterpart == e.Tenant || e.Result != audit.ResultAllowed {
		return nil
	}
	// Both sides of a collaboration read of its changes in their own tenant's log.
	other := e
	other.ID = 0
	other.Tenant = st.counterpart
	other.Details = maps.Clone(e.Details)
	other.Details["otherTenant"] = e.Tenant
	if err := s.cfg.Audit.Record(ctx, other); err != nil {
		return fmt.Errorf("record audit event %s for tenant %s: %w", e.Action, other.Tenant, err)
	}
	return nil
}

// observe writes the access log line and the request metrics.
func (s *Server) observe(r *http.Request, st *requestState, rec *recorder, took time.Duration) {
	routeName := "unmatched"
	if st.route != nil {
		routeName = st.route.pattern
	}
	s.cfg.Log.Info("Request served",
		"requestId", httpx.RequestIDFrom(r.Context()),
		"method", r.Method,
		"path", r.URL.Path,
		"route", routeName,
		"status", rec.status,
		"bytes", rec.bytes,
		"durationMs", float64(took.Microseconds())/1000,
		"user", st.userName(),
		"tenant", st.tenant,
		"namespace", st.namespace,
		"remote", r.RemoteAddr,
		"userAgent", r.UserAgent(),
	)
	if m := s.cfg.Metrics; m != nil {
		m.Requests.WithLabelValues(r.Method, routeName, strconv.Itoa(rec.status)).Inc()
		m.Duration.WithLabelValues(r.Method, routeName).Observe(took.Seconds())
	}
}

// writeJSON answers with status and v as JSON.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.cfg.Log.Error(err, "Cannot encode response")
		status = http.StatusInternalServerError
		body = []byte(`{"title":"Internal Server Error","status":500}`)
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail answers with the problem for err, noting its detail as the reason for the audit log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p, expected := problemFor(r, err)
	if !expected {
		s.cfg.Log.Error(err, "Request failed", "requestId", p.RequestID, "path", r.URL.Path)
		stateOf(r).reason = "internal error: " + err.Error()
	}
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.retryAfter > 0:
		w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
	case p.Status == http.StatusServiceUnavailable:
		// Every 503 says when to retry, also for errors of the cluster mapped by problemFor.
		w.Header().Set("Retry-After", strconv.Itoa(unavailableRetryAfter))
	}
	s.writeProblem(w, r, &apiError{status: p.Status, typ: p.Type, detail: p.Detail, fields: p.Errors})
}

func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, e *apiError) {
	st := stateOf(r)
	if st.reason == "" {
		st.reason = e.detail
	}
	p := httpx.NewProblem(r, e.status, e.detail)
	p.Type = e.typ
	p.Errors = e.fields
	httpx.WriteProblem(w, p)
}

// callerOf returns the authenticated caller of r as tenancy sees users.
func callerOf(r *http.Request) tenancy.User {
	st := stateOf(r)
	if st.user == nil {
		return tenancy.User{}
	}
	return tenancy.User{Name: st.user.Name, Groups: st.user.Groups}
}
