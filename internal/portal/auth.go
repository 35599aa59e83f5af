package portal

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/ratelimit"
)

// signInForm is the sign-in page's content.
type signInForm struct {
	Next  string
	Error string
	// Notice is a one-line note, such as "you signed out".
	Notice string
	// OIDC is true when single sign-on is configured; OIDCURL starts it.
	OIDC    bool
	OIDCURL string
	// NoAuth is true when naas has no authentication configured at all.
	NoAuth bool
	// AdminTokenFile is where naas up wrote the platform admin's token; empty under naas serve.
	AdminTokenFile string
}

// maxTokenBytes bounds a pasted token; OIDC ID tokens are a few kilobytes.
const maxTokenBytes = 16 << 10

func (p *Portal) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	if p.session(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	f := signInForm{Next: safeNext(r.URL.Query().Get("next"))}
	switch r.URL.Query().Get("reason") {
	case "expired":
		f.Notice = "Your session has ended. Sign in again to continue."
	case "signedout":
		f.Notice = "You have signed out."
	}
	p.renderSignIn(w, r, http.StatusOK, f)
}

// renderSignIn shows the sign-in page, with a CSRF token bound to this browser's pre-session cookie.
func (p *Portal) renderSignIn(w http.ResponseWriter, r *http.Request, status int, f signInForm) {
	pre := ""
	if c, err := r.Cookie(preSessionCookie); err == nil && len(c.Value) >= 32 {
		pre = c.Value
	} else {
		pre = randomString(32)
		p.setCookie(w, r, &http.Cookie{Name: preSessionCookie, Value: pre})
	}
	if f.Next == "" {
		f.Next = "/"
	}
	f.OIDC = p.oidc != nil
	f.OIDCURL = "/auth/oidc/login?next=" + url.QueryEscape(f.Next)
	f.NoAuth = p.cfg.Authenticator == nil
	f.AdminTokenFile = p.cfg.AdminTokenFile
	w.Header().Set("Cache-Control", "no-store")
	p.render(w, r, status, "signin", &page{Title: "Sign in", CSRF: p.sessions.CSRFToken(bindPreSession(pre)), Data: f})
}

// handleSignIn signs in with a pasted token: the one the API would take as a bearer token.
func (p *Portal) handleSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBytes+4096)
	if err := r.ParseForm(); err != nil {
		p.renderSignIn(w, r, http.StatusBadRequest, signInForm{Error: "The form could not be read; the token may be too long."})
		return
	}
	f := signInForm{Next: safeNext(r.PostForm.Get("next"))}
	c, err := r.Cookie(preSessionCookie)
	if err != nil || !p.sessions.ValidCSRF(bindPreSession(c.Value), r.PostForm.Get("csrf")) {
		f.Error = "This sign-in form expired or was not sent from this portal (is your browser blocking cookies?). Try again."
		p.renderSignIn(w, r, http.StatusForbidden, f)
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" {
		f.Error = "Enter your token."
		p.renderSignIn(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	// Sign-ins count against the same limit of failed authentications per address as the API's bearer tokens,
	// so that the form is no way around it.
	addr := ratelimit.ClientAddress(r, p.cfg.TrustedProxies)
	if blocked, wait := p.cfg.AuthFailures.Blocked(addr); blocked {
		secs := ratelimit.RetryAfterSeconds(wait)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		f.Error = fmt.Sprintf("Too many tokens that were not accepted came from your address. Try again in %d seconds.", secs)
		p.renderSignIn(w, r, http.StatusTooManyRequests, f)
		return
	}
	u, err := p.authenticate(r.Context(), token)
	switch {
	case errors.Is(err, authn.ErrUnauthenticated):
		p.cfg.AuthFailures.Fail(addr)
		f.Error = "That token was not accepted: " + err.Error() + ". Check that you copied all of it."
		p.renderSignIn(w, r, http.StatusUnauthorized, f)
		return
	case err != nil:
		p.log.Error(err, "Cannot check a token at sign-in")
		f.Error = "naas cannot check tokens right now (the identity provider may be unreachable). Try again in a moment."
		p.renderSignIn(w, r, http.StatusServiceUnavailable, f)
		return
	}
	p.startSession(w, r, *u, token, "token", time.Time{}, f.Next)
}

// handleSignOut ends the session. It is a form post with a CSRF token, so no other site can sign users out.
func (p *Portal) handleSignOut(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	_ = r.ParseForm()
	sess := p.session(r)
	if sess != nil {
		if !p.sessions.ValidCSRF(bindSession(sess.ID), r.PostForm.Get("csrf")) {
			p.errorPage(w, r, sess, http.StatusForbidden,
				"This sign-out form expired or was not sent from this portal. Reload the page and sign out again.")
			return
		}
		p.sessions.Revoke(sess)
	}
	// The session lives in its cookie (Sessions): deleting the cookie ends it.
	p.setCookie(w, r, &http.Cookie{Name: SessionCookie, Value: "", MaxAge: -1})
	http.Redirect(w, r, "/signin?reason=signedout", http.StatusSeeOther)
}
