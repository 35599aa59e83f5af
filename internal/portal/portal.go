package portal

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/httpx"
	"github.com/naas-dev/naas/internal/ratelimit"
	"github.com/naas-dev/naas/internal/tenancy"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the portal needs. API, Sessions and Cache are required.
type Config struct {
	// API is the REST API's handler (apiserver.Server.Handler), which the portal calls in process as the
	// signed-in user for everything it reads and writes.
	API http.Handler
	// Sessions holds the signed-in sessions; the API's AuthOptions and GuardAPI come from the same store.
	Sessions *Sessions
	// Authenticator checks the tokens users sign in with, as the API does; nil when naas has no authentication
	// configured (the sign-in page then says how to configure it).
	Authenticator authn.Authenticator
	// AuthFailures limits failed sign-ins per client address, together with the API's failed authentications;
	// nil means no limit. TrustedProxies name the proxies whose X-Forwarded-For is believed.
	AuthFailures   *ratelimit.Failures
	TrustedProxies []netip.Prefix
	// AdminTokenFile is where naas up wrote the platform admin's token, named by the sign-in page; empty when
	// naas did not write one (naas serve).
	AdminTokenFile string
	// Cache reads naas's cache: claims (for the progress stream) and the NetworkPolicies naas made (for the
	// namespace page). The portal reads it only after the API has let the user view the namespace.
	Cache client.Reader
	// Reader reads the cluster directly: a namespace's Ingresses, Gateways and HTTPRoutes, which naas does not
	// cache. Nil leaves endpoints out of the namespace page.
	Reader client.Reader
	// OIDC turns on single sign-on; nil leaves token sign-in only.
	OIDC *OIDCConfig
	// PublicURL is the portal's base URL as users reach it. When it is https, cookies are Secure on every
	// response; otherwise only on responses to requests that arrived over TLS.
	PublicURL string
	// Log receives errors.
	Log logr.Logger
	// PollInterval is how often a progress stream looks at its claim; 250ms when zero.
	PollInterval time.Duration
	// Heartbeat is how often an idle progress stream sends a comment, so proxies keep it open; 15s when zero.
	Heartbeat time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Portal is the developer portal: server-rendered pages over the REST API.
type Portal struct {
	cfg      Config
	api      apiClient
	sessions *Sessions
	oidc     *oidcLogin
	log      logr.Logger
	pages    map[string]*template.Template
	secure   bool
	mux      *http.ServeMux

	stopOnce sync.Once
	stopping chan struct{}
}

// New returns the portal. ctx bounds the discovery of the OIDC issuer, when one is configured.
func New(ctx context.Context, cfg Config) (*Portal, error) {
	var missing []string
	if cfg.API == nil {
		missing = append(missing, "API")
	}
	if cfg.Sessions == nil {
		missing = append(missing, "Sessions")
	}
	if cfg.Cache == nil {
		missing = append(missing, "Cache")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("portal: missing configuration: %s", strings.Join(missing, ", "))
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Portal{
		cfg: cfg, api: apiClient{h: cfg.API}, sessions: cfg.Sessions, log: cfg.Log,
		stopping: make(chan struct{}),
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Scheme == "https" {
		p.secure = true
	}
	var err error
	if p.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if cfg.OIDC != nil {
		if p.oidc, err = newOIDCLogin(ctx, *cfg.OIDC, cfg.Now); err != nil {
			return nil, err
		}
	}
	p.mux = p.routes()
	return p, nil
}

// Shutdown ends the progress streams, so that the HTTP server can stop; pages keep being served.
func (p *Portal) Shutdown() {
	p.stopOnce.Do(func() { close(p.stopping) })
}

func (p *Portal) routes() *http.ServeMux {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))

	mux.HandleFunc("GET /signin", p.handleSignInPage)
	mux.HandleFunc("POST /signin", p.handleSignIn)
	mux.HandleFunc("POST /signout", p.handleSignOut)
	mux.HandleFunc("GET /auth/oidc/login", p.handleOIDCLogin)
	mux.HandleFunc("GET "+oidcCallbackPath, p.handleOIDCCallback)

	mux.HandleFunc("GET /{$}", p.signedIn(p.handleHome))
	mux.HandleFunc("GET /catalog", p.signedIn(p.handleCatalog))
	mux.HandleFunc("GET /catalog/{template}", p.signedIn(p.handleTemplate))
	mux.HandleFunc("GET /request", p.signedIn(p.handleRequestForm))
	mux.HandleFunc("POST /request", p.signedInForm(p.handleRequest))
	mux.HandleFunc("GET /namespaces/{namespace}", p.signedIn(p.handleNamespace))
	mux.HandleFunc("GET /namespaces/{namespace}/progress", p.signedIn(p.handleProgress))
	mux.HandleFunc("POST /namespaces/{namespace}/delete", p.signedInForm(p.handleDelete))
	mux.HandleFunc("GET /tenants", p.signedIn(p.handleTenants))
	mux.HandleFunc("GET /tenants/{tenant}", p.signedIn(p.handleTenant))
	mux.HandleFunc("POST /tenants/{tenant}/members", p.signedInForm(p.handleAddMember))
	mux.HandleFunc("POST /tenants/{tenant}/members/remove", p.signedInForm(p.handleRemoveMember))
	mux.HandleFunc("GET /approvals", p.signedIn(p.handleApprovals))
	mux.HandleFunc("GET /costs", p.signedIn(p.handleCosts))
	mux.HandleFunc("GET /namespaces/{namespace}/costs", p.signedIn(p.handleNamespaceCosts))
	mux.HandleFunc("GET /tenants/{tenant}/costs", p.signedIn(p.handleTenantCosts))
	mux.HandleFunc("GET /tenants/{tenant}/recommendations", p.signedIn(p.handleTenantRecommendations))
	mux.HandleFunc("GET /costcenters/{costcenter}/costs", p.signedIn(p.handleCostCenterCosts))
	mux.HandleFunc("GET /clusters", p.signedIn(p.handleClusters))
	mux.HandleFunc("POST /approvals/{namespace}/{decision}", p.signedInForm(p.handleDecision))

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.errorPage(w, r, p.session(r), http.StatusNotFound, fmt.Sprintf("There is no page at %s.", r.URL.Path))
	})
	return mux
}

// staticHandler lets browsers cache the stylesheet and script briefly; they are embedded in the binary, so
// they change only with naas.
func staticHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		next.ServeHTTP(w, r)
	})
}

// Handler serves the portal. Mount it at "/": it answers every path the rest of naas's mux does not.
func (p *Portal) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		// A page is one request to the user's rate limit, however many API calls build it.
		r = r.WithContext(ratelimit.WithErrand(httpx.WithRequestID(r.Context(), id)))
		h := w.Header()
		h.Set(restv1.RequestIDHeader, id)
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // a sentinel panic value, compared as net/http does
					panic(v)
				}
				p.log.Error(fmt.Errorf("panic: %v", v), "Portal handler panicked", "requestId", id, "path", r.URL.Path)
				p.errorPage(w, r, nil, http.StatusInternalServerError, "")
			}
		}()
		p.mux.ServeHTTP(w, r)
	})
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// session returns the live session of r's cookie, or nil.
func (p *Portal) session(r *http.Request) *Session {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	return p.sessions.Get(c.Value)
}

type sessionHandler func(w http.ResponseWriter, r *http.Request, sess *Session)

// signedIn runs h for a signed-in user, and sends anyone else to the sign-in page, back here afterwards.
func (p *Portal) signedIn(h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := p.session(r)
		if sess == nil {
			p.toSignIn(w, r, "")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, sess)
	}
}

// maxFormBytes bounds the body of a form post.
const maxFormBytes = 64 << 10

// signedInForm is signedIn for form posts: it also checks the form's CSRF token against the session.
func (p *Portal) signedInForm(h sessionHandler) http.HandlerFunc {
	return p.signedIn(func(w http.ResponseWriter, r *http.Request, sess *Session) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			p.errorPage(w, r, sess, http.StatusBadRequest, "The form could not be read: "+err.Error())
			return
		}
		if !p.sessions.ValidCSRF(bindSession(sess.ID), r.PostForm.Get("csrf")) {
			p.errorPage(w, r, sess, http.StatusForbidden,
				"This form has expired or was not sent from this portal. Go back, reload the page and submit it again.")
			return
		}
		h(w, r, sess)
	})
}

// toSignIn sends the browser to the sign-in page, to come back to the page it asked for (GET) afterwards.
func (p *Portal) toSignIn(w http.ResponseWriter, r *http.Request, reason string) {
	q := url.Values{}
	if r.Method == http.MethodGet {
		q.Set("next", r.URL.RequestURI())
	}
	if reason != "" {
		q.Set("reason", reason)
	}
	target := "/signin"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// setCookie sets c as an HttpOnly, SameSite=Lax cookie, Secure when the portal is served over https.
func (p *Portal) setCookie(w http.ResponseWriter, r *http.Request, c *http.Cookie) {
	c.HttpOnly = true
	c.SameSite = http.SameSiteLaxMode
	c.Secure = p.secure || r.TLS != nil
	if c.Path == "" {
		c.Path = "/"
	}
	http.SetCookie(w, c)
}

// startSession signs the user in and goes to next.
func (p *Portal) startSession(w http.ResponseWriter, r *http.Request, u authn.User, token, method string, notAfter time.Time, next string) {
	// A new cookie at every sign-in: a session cookie planted before sign-in is replaced, never promoted.
	sess := p.sessions.Create(u, token, method, notAfter)
	p.setCookie(w, r, &http.Cookie{Name: SessionCookie, Value: sess.ID})
	p.setCookie(w, r, &http.Cookie{Name: preSessionCookie, Value: "", MaxAge: -1})
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// page is what every page template gets.
type page struct {
	Title string
	// Nav is the main navigation item to mark as current.
	Nav  string
	User *navUser
	CSRF string
	// Flash is a one-line notice at the top of the page.
	Flash string
	Data  any
}

// navUser is what the header needs about the signed-in user.
type navUser struct {
	Name          string
	PlatformAdmin bool
	// TenantAdmin is true when the user administers at least one tenant (the approval queue is theirs).
	TenantAdmin bool
}

// newPage fills in the header for sess, from the API's view of the user (their tenants and roles, which can
// change during a session).
func (p *Portal) newPage(r *http.Request, sess *Session, me *restv1.Me, title, nav string, data any) (*page, error) {
	pg := &page{Title: title, Nav: nav, Data: data}
	if sess == nil {
		return pg, nil
	}
	if me == nil {
		var err error
		if me, err = p.me(r, sess); err != nil {
			return nil, err
		}
	}
	pg.User = &navUser{Name: me.Username, PlatformAdmin: me.PlatformAdmin}
	for _, t := range me.Tenants {
		if t.Role == "admin" {
			pg.User.TenantAdmin = true
		}
	}
	pg.CSRF = p.sessions.CSRFToken(bindSession(sess.ID))
	return pg, nil
}

// me asks the API who the user of sess is, with their tenants and roles.
func (p *Portal) me(r *http.Request, sess *Session) (*restv1.Me, error) {
	var me restv1.Me
	if err := p.api.get(r.Context(), r, sess, "/me", &me); err != nil {
		return nil, err
	}
	return &me, nil
}

// show renders a page for sess, or the error page of what went wrong getting the header. me may be nil, when
// the handler did not need to ask who the user is.
func (p *Portal) show(w http.ResponseWriter, r *http.Request, sess *Session, me *restv1.Me, status int, name, title, nav string, data any) {
	pg, err := p.newPage(r, sess, me, title, nav, data)
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	p.render(w, r, status, name, pg)
}

// render executes a page template into a buffer, so a template error becomes a clean 500.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *page) {
	t, ok := p.pages[name]
	if !ok {
		p.log.Error(fmt.Errorf("no page template %q", name), "Cannot render page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		p.log.Error(err, "Cannot render page", "page", name, "requestId", httpx.RequestIDFrom(r.Context()))
		if name != "error" {
			p.errorPage(w, r, nil, http.StatusInternalServerError, "")
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorView is the error page's content.
type errorView struct {
	Status    int
	Heading   string
	Detail    string
	Next      string
	Links     []link
	RequestID string
}

type link struct{ Href, Text string }

// errorPage renders the page of an error: what happened, and what to do next. sess may be nil.
func (p *Portal) errorPage(w http.ResponseWriter, r *http.Request, sess *Session, status int, detail string) {
	v := errorView{Status: status, Detail: detail, RequestID: httpx.RequestIDFrom(r.Context())}
	home := []link{{"/", "My namespaces"}, {"/catalog", "Catalog"}}
	switch status {
	case http.StatusForbidden:
		v.Heading = "You don't have access to this"
		v.Next = "If you need it, ask an admin of the tenant it belongs to for a role (viewer, developer or admin), or ask your platform team."
		v.Links = home
	case http.StatusNotFound:
		v.Heading = "Page not found"
		v.Next = "Check the address for typos, or start again from your namespaces or the catalog."
		v.Links = home
	case http.StatusTooManyRequests:
		v.Heading = "Too many requests"
		v.Next = "You are making requests faster than naas allows. Wait a few seconds, then reload the page."
		v.Links = []link{{r.URL.RequestURI(), "Reload"}}
	case http.StatusConflict:
		v.Heading = "That conflicts with the current state"
		v.Next = "Reload the page to see the current state, then try again."
		v.Links = home
	case http.StatusServiceUnavailable, http.StatusBadGateway:
		v.Heading = "naas cannot answer right now"
		v.Next = "A service naas depends on is unavailable. Wait a moment and reload; if it persists, tell your platform team the request id below."
		v.Links = []link{{r.URL.RequestURI(), "Reload"}}
	case http.StatusBadRequest:
		v.Heading = "That request was not understood"
		v.Next = "Go back and try again."
		v.Links = home
	default:
		v.Status = http.StatusInternalServerError
		v.Heading = "Something went wrong on our side"
		v.Next = "Try again in a moment. If it keeps happening, tell your platform team the request id below; it points them to the logs."
		v.Links = home
		status = http.StatusInternalServerError
	}
	pg := &page{Title: v.Heading, Data: v}
	if sess != nil {
		pg.User = &navUser{Name: sess.User.Name, PlatformAdmin: tenancy.IsPlatformAdmin(tenancy.User{Name: sess.User.Name, Groups: sess.User.Groups})}
		pg.CSRF = p.sessions.CSRFToken(bindSession(sess.ID))
	}
	p.render(w, r, status, "error", pg)
}

// fail answers a request whose API call (or anything else) failed: an ended session goes to sign-in, the
// API's refusals become error pages with the API's explanation, anything unexpected a 500.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, sess *Session, err error) {
	ae, ok := asAPIError(err)
	if !ok {
		if errors.Is(err, context.Canceled) {
			return // The browser went away.
		}
		p.log.Error(err, "Portal request failed", "requestId", httpx.RequestIDFrom(r.Context()), "path", r.URL.Path)
		p.errorPage(w, r, sess, http.StatusInternalServerError, "")
		return
	}
	switch ae.Status {
	case http.StatusUnauthorized:
		p.setCookie(w, r, &http.Cookie{Name: SessionCookie, Value: "", MaxAge: -1})
		p.toSignIn(w, r, "expired")
	case http.StatusTooManyRequests:
		detail := ae.Problem.Detail
		if ae.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
		}
		p.errorPage(w, r, sess, http.StatusTooManyRequests, detail)
	case http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusServiceUnavailable, http.StatusBadRequest:
		p.errorPage(w, r, sess, ae.Status, ae.Problem.Detail)
	default:
		p.log.Error(err, "API call of the portal failed", "status", ae.Status, "requestId", httpx.RequestIDFrom(r.Context()), "path", r.URL.Path)
		p.errorPage(w, r, sess, http.StatusInternalServerError, "")
	}
}
