package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/naas-dev/naas/internal/authn"
)

// OIDCConfig turns on signing in to the portal with an OpenID Connect issuer: the authorization code flow with
// PKCE (S256), a state bound to the browser by a cookie, and a nonce in the ID token. The ID token becomes the
// session's token, so the API must accept it: its OIDC audience must be the client id.
type OIDCConfig struct {
	// IssuerURL is the issuer, as the API's OIDC settings name it.
	IssuerURL string
	// ClientID and ClientSecret identify the portal to the issuer; the secret is empty for a public client.
	ClientID, ClientSecret string
	// RedirectURL is the portal's callback as the browser reaches it: <portal URL>/auth/oidc/callback. It must be
	// registered with the issuer.
	RedirectURL string
	// Scopes are asked for besides "openid"; e.g. "profile", "email", "groups".
	Scopes []string
	// HTTPClient reaches the issuer (its CA, timeouts); http.DefaultClient when nil.
	HTTPClient *http.Client
}

// oidcCallbackPath is where the issuer sends the browser back to.
const oidcCallbackPath = "/auth/oidc/callback"

// pendingLoginTTL bounds how long a user may take at the issuer's sign-in page.
const pendingLoginTTL = 10 * time.Minute

// oidcLogin is the portal's side of OIDC sign-in.
type oidcLogin struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	now      func() time.Time
}

// pendingLogin is a sign-in in flight, from the redirect to the issuer to the callback. It is kept sealed in
// the browser's state cookie (Sessions.seal), not by the replica that started it, so that the callback may reach
// any replica.
type pendingLogin struct {
	State    string `json:"s"`
	Verifier string `json:"v"` // PKCE code verifier
	Nonce    string `json:"n"`
	Next     string `json:"x"`
	Expires  int64  `json:"e"`
}

// oidcStateAAD binds a sealed pendingLogin to its use.
var oidcStateAAD = []byte(oidcStateCookie)

func newOIDCLogin(ctx context.Context, cfg OIDCConfig, now func() time.Time) (*oidcLogin, error) {
	var missing []string
	for name, v := range map[string]string{"issuer URL": cfg.IssuerURL, "client id": cfg.ClientID, "redirect URL": cfg.RedirectURL} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("portal OIDC sign-in: missing %v", missing)
	}
	if u, err := url.Parse(cfg.RedirectURL); err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("portal OIDC sign-in: the redirect URL %q must be an absolute URL ending in %s", cfg.RedirectURL, oidcCallbackPath)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, cfg.HTTPClient), cfg.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("portal OIDC sign-in: discover issuer %s: %w", cfg.IssuerURL, err)
	}
	scopes := []string{oidc.ScopeOpenID}
	for _, s := range cfg.Scopes {
		if s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &oidcLogin{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: provider.Endpoint(), Scopes: scopes,
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		now:      now,
	}, nil
}

// start begins a sign-in: it returns what the browser keeps until the callback and the issuer's URL to send it
// to.
func (o *oidcLogin) start(next string) (pendingLogin, string) {
	p := pendingLogin{
		State: randomString(32), Verifier: oauth2.GenerateVerifier(), Nonce: randomString(16), Next: next,
		Expires: o.now().Add(pendingLoginTTL).Unix(),
	}
	return p, o.oauth.AuthCodeURL(p.State, oauth2.S256ChallengeOption(p.Verifier), oidc.Nonce(p.Nonce))
}

// finish exchanges the code for tokens and checks the ID token: signature, issuer, audience, expiry and the
// nonce of the sign-in. It returns the raw ID token and its expiry.
func (o *oidcLogin) finish(ctx context.Context, p pendingLogin, code string) (string, time.Time, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.cfg.HTTPClient)
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("exchange the authorization code at %s: %w", o.oauth.Endpoint.TokenURL, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", time.Time{}, errors.New("the issuer's token response has no id_token; check that the client may use the openid scope")
	}
	idt, err := o.verifier.Verify(oidc.ClientContext(ctx, o.cfg.HTTPClient), raw)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("verify the ID token: %w", err)
	}
	if idt.Nonce != p.Nonce {
		return "", time.Time{}, errors.New("the ID token's nonce does not match this sign-in; start again")
	}
	return raw, idt.Expiry, nil
}

// handleOIDCLogin sends the browser to the issuer.
func (p *Portal) handleOIDCLogin(w http.ResponseWriter, r *http.Request) {
	if p.oidc == nil {
		p.errorPage(w, r, nil, http.StatusNotFound, "Signing in with single sign-on is not configured on this naas; sign in with a token.")
		return
	}
	pl, authURL := p.oidc.start(safeNext(r.URL.Query().Get("next")))
	p.setCookie(w, r, &http.Cookie{Name: oidcStateCookie, Value: p.sessions.seal(oidcStateAAD, pl), Path: "/auth/oidc/", MaxAge: int(pendingLoginTTL.Seconds())})
	http.Redirect(w, r, authURL, http.StatusFound)
}

// handleOIDCCallback finishes sign-in: the issuer sent the browser back with a code.
func (p *Portal) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	if p.oidc == nil {
		p.errorPage(w, r, nil, http.StatusNotFound, "Signing in with single sign-on is not configured on this naas; sign in with a token.")
		return
	}
	q := r.URL.Query()
	p.setCookie(w, r, &http.Cookie{Name: oidcStateCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1})
	if e := q.Get("error"); e != "" {
		msg := "The identity provider did not sign you in (" + e
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		p.renderSignIn(w, r, http.StatusUnauthorized, signInForm{Error: msg + "). Try again, or ask your platform team to check the portal's OIDC client."})
		return
	}
	// The state cookie holds the sign-in this browser started; it is cleared above, so each is finished once.
	state := q.Get("state")
	var pl pendingLogin
	c, err := r.Cookie(oidcStateCookie)
	if state == "" || err != nil || !p.sessions.open(oidcStateAAD, c.Value, &pl) || pl.State != state {
		p.renderSignIn(w, r, http.StatusBadRequest, signInForm{Error: "This sign-in was not started from this browser, or it took too long. Sign in again."})
		return
	}
	if !p.oidc.now().Before(time.Unix(pl.Expires, 0)) {
		p.renderSignIn(w, r, http.StatusBadRequest, signInForm{Error: "This sign-in expired. Sign in again."})
		return
	}
	raw, expiry, err := p.oidc.finish(r.Context(), pl, q.Get("code"))
	if err != nil {
		p.log.Error(err, "OIDC sign-in failed")
		p.renderSignIn(w, r, http.StatusBadGateway, signInForm{Error: "Signing in with the identity provider failed: " + err.Error()})
		return
	}
	user, err := p.authenticate(r.Context(), raw)
	if err != nil {
		p.log.Error(err, "The API refused the ID token of an OIDC sign-in")
		p.renderSignIn(w, r, http.StatusUnauthorized, signInForm{Error: "The identity provider signed you in, but naas does not accept its ID token (" + err.Error() +
			"). The platform team must set --oidc-audience to the portal's client id, or leave it empty."})
		return
	}
	p.startSession(w, r, *user, raw, "oidc", expiry, pl.Next)
}

// authenticate checks token as the API would.
func (p *Portal) authenticate(ctx context.Context, token string) (*authn.User, error) {
	if p.cfg.Authenticator == nil {
		return nil, fmt.Errorf("%w: naas has no authentication configured; start it with --token-file or --oidc-issuer-url", authn.ErrUnauthenticated)
	}
	u, err := p.cfg.Authenticator.AuthenticateToken(ctx, token)
	if err == nil && u == nil {
		err = fmt.Errorf("%w: no user for the token", authn.ErrUnauthenticated)
	}
	return u, err
}
