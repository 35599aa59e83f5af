package clientcmd

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
	"golang.org/x/term"

	"github.com/naas-dev/naas/internal/apiclient"
	"github.com/naas-dev/naas/internal/buildinfo"
)

func newLoginCommand() *cobra.Command {
	var server, token, caFile string
	var tokenStdin bool
	cmd := &cobra.Command{
		Use:   "login --server URL [--token TOKEN | --token-stdin]",
		Short: "Sign in to naas and remember the server and your credentials",
		Long: `Sign in to the naas server at --server and save the server and your credentials in the naas
configuration file ($XDG_CONFIG_HOME/naas/config.yaml, readable by you only).

With --token (or --token-stdin), the token is checked against the server and saved. Without a token, when the
server accepts OIDC sign-in, the OIDC device flow runs: open the URL shown, enter the code, and naas saves the
token and refreshes it when it expires. On a terminal, naas asks for a token otherwise.

The environment variables NAAS_SERVER and NAAS_TOKEN override the saved settings, for scripts and CI.`,
		Example: `  naas login --server http://127.0.0.1:8080 --token "$(cat .naas/admin-token)"
  naas login --server https://naas.example.com          # OIDC device flow
  vault read -field=token secret/naas | naas login --server https://naas.example.com --token-stdin`,
		Args: exactArgs(),
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", "", "URL of naas, e.g. https://naas.example.com (default: $NAAS_SERVER, or the saved server)")
	f.StringVar(&token, "token", "", "a bearer token naas accepts (a static token, or an OIDC token)")
	f.BoolVar(&tokenStdin, "token-stdin", false, "read the token from standard input (keeps it out of the shell history and ps)")
	f.StringVar(&caFile, "ca-file", "", "PEM certificate authorities to trust for the server and its OIDC issuer, besides the host's")
	return newOfflineCommand(cmd, func(s *session, _ []string) error {
		if tokenStdin && token != "" {
			return usageErrorf(cmd, "give --token or --token-stdin, not both")
		}
		if tokenStdin {
			raw, err := io.ReadAll(io.LimitReader(s.in, 64<<10))
			if err != nil {
				return fmt.Errorf("read the token from standard input: %w", err)
			}
			if token = strings.TrimSpace(string(raw)); token == "" {
				return usageErrorf(cmd, "--token-stdin: standard input holds no token")
			}
		}
		return s.login(server, token, caFile)
	})
}

func (s *session) login(server, token, caFile string) error {
	if err := s.loadConfig(); err != nil {
		return err
	}
	if server == "" {
		server = os.Getenv(EnvServer)
	}
	if server == "" {
		server = s.cfg.Server
	}
	if server == "" {
		return usageErrorf(s.cmd, "--server is required: the URL of naas, e.g. http://127.0.0.1:8080 for naas up")
	}
	if _, err := apiclient.ParseServer(server); err != nil {
		return usageErrorf(s.cmd, "--server: %v", err)
	}
	server = strings.TrimSuffix(server, "/")
	hc, err := httpClient(caFile)
	if err != nil {
		return usageErrorf(s.cmd, "--ca-file: %v", err)
	}
	cfg := &clientConfig{Server: server, CAFile: caFile}
	switch {
	case token != "":
		cfg.Token = token
	default:
		anon, err := apiclient.New(apiclient.Options{Server: server, HTTPClient: hc, Command: s.prog})
		if err != nil {
			return err
		}
		ac, err := anon.AuthConfig(s.ctx())
		if err != nil {
			return err
		}
		switch {
		case ac.OIDC != nil:
			d := deviceLogin{issuer: ac.OIDC.IssuerURL, clientID: ac.OIDC.ClientID, scopes: ac.OIDC.Scopes, http: hc,
				prompt: func(uri, code string) {
					fmt.Fprintf(s.errOut, "To sign in, open %s and enter the code %s\nWaiting for you to sign in...\n", uri, code)
				}}
			ctx, cancel := context.WithTimeout(s.ctx(), 15*time.Minute)
			defer cancel()
			if cfg.OIDC, err = d.run(ctx); err != nil {
				return err
			}
		case isTerminal(s.in):
			fmt.Fprintf(s.errOut, "Token for %s: ", server)
			raw, err := term.ReadPassword(int(s.in.(interface{ Fd() uintptr }).Fd())) //nolint:gosec // a file descriptor fits in an int
			fmt.Fprintln(s.errOut)
			if err != nil {
				return fmt.Errorf("read the token: %w", err)
			}
			if cfg.Token = strings.TrimSpace(string(raw)); cfg.Token == "" {
				return usageErrorf(s.cmd, "no token given")
			}
		default:
			return usageErrorf(s.cmd, "--token or --token-stdin is required: %s does not offer OIDC sign-in", server)
		}
	}
	// Check the credentials before saving them.
	s.cfg = cfg
	token = cfg.Token
	if cfg.OIDC != nil {
		token = cfg.OIDC.IDToken
	}
	tokens := apiclient.StaticToken(token)
	c, err := apiclient.New(apiclient.Options{Server: server, Token: tokens, HTTPClient: hc, Command: s.prog, UserAgent: "naas-cli/" + buildinfo.Version})
	if err != nil {
		return err
	}
	me, err := c.Me(s.ctx())
	if err != nil {
		if apiclient.IsStatus(err, http.StatusUnauthorized) {
			return &exitError{code: ExitError, err: fmt.Errorf("%s refused the token: %w", server, err),
				fix: "check the token (naas up writes the admin's to <data-dir>/admin-token); nothing was saved"}
		}
		return err
	}
	if err := cfg.save(s.cfgPath); err != nil {
		return err
	}
	what := ""
	if me.PlatformAdmin {
		what = " (platform admin)"
	}
	fmt.Fprintf(s.out, "Logged in to %s as %s%s; settings saved in %s\n", server, me.Username, what, s.cfgPath)
	if os.Getenv(EnvServer) != "" || os.Getenv(EnvToken) != "" {
		s.note("note: %s or %s is set and overrides these settings\n", EnvServer, EnvToken)
	}
	return nil
}

func newLogoutCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Forget the saved credentials (the server is kept)",
		Args:  exactArgs(),
	}
	return newOfflineCommand(cmd, func(s *session, _ []string) error {
		if err := s.loadConfig(); err != nil {
			return err
		}
		if s.cfg.Token == "" && s.cfg.OIDC == nil {
			fmt.Fprintln(s.out, "Not logged in; nothing to forget")
			return nil
		}
		s.cfg.Token, s.cfg.OIDC = "", nil
		if err := s.cfg.save(s.cfgPath); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "Logged out of %s\n", s.cfg.Server)
		return nil
	})
}

func newWhoamiCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who naas thinks you are: user, groups, tenants and roles",
		Args:  exactArgs(),
	}
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, _ []string) error {
		me, err := s.client.Me(s.ctx())
		if err != nil {
			return err
		}
		return s.render(me, func(w io.Writer) error {
			t := newTable(w)
			row(t, "Server:", s.client.Server())
			row(t, "User:", me.Username)
			row(t, "Groups:", strings.Join(me.Groups, ", "))
			admin := "no"
			if me.PlatformAdmin {
				admin = "yes"
			}
			row(t, "Platform admin:", admin)
			var tenants []string
			for _, m := range me.Tenants {
				tenants = append(tenants, m.Tenant+" ("+m.Role+")")
			}
			row(t, "Tenants:", strings.Join(tenants, ", "))
			return t.Flush()
		})
	})
}

// oidcTokens is the TokenSource of an OIDC sign-in: the saved ID token while it is valid, then a refreshed one,
// saved for next time.
func (s *session) oidcTokens(ctx context.Context) (string, error) {
	o := s.cfg.OIDC
	if o.IDToken != "" && (o.Expiry.IsZero() || time.Until(o.Expiry) > 30*time.Second) {
		return o.IDToken, nil
	}
	expired := &exitError{code: ExitError, err: fmt.Errorf("your sign-in to %s has expired", o.IssuerURL),
		fix: fmt.Sprintf("%s login", s.prog)}
	if o.RefreshToken == "" {
		return "", expired
	}
	hc, err := httpClient(s.cfg.CAFile)
	if err != nil {
		return "", err
	}
	d := deviceLogin{issuer: o.IssuerURL, clientID: o.ClientID, scopes: o.Scopes, http: hc}
	fresh, err := d.refresh(ctx, o.RefreshToken)
	if err != nil {
		expired.err = fmt.Errorf("%w, and refreshing it failed: %w", expired.err, err)
		return "", expired
	}
	s.cfg.OIDC = fresh
	if err := s.cfg.save(s.cfgPath); err != nil {
		s.note("warning: cannot save the refreshed token: %v\n", err)
	}
	return fresh.IDToken, nil
}

// deviceLogin signs in to an OIDC issuer with the device authorization grant (RFC 8628).
type deviceLogin struct {
	issuer   string
	clientID string
	scopes   []string
	http     *http.Client
	// prompt tells the user where to go and which code to enter.
	prompt func(verificationURI, userCode string)
}

// endpoints reads the issuer's discovery document.
func (d deviceLogin) endpoints(ctx context.Context) (oauth2.Endpoint, error) {
	url := strings.TrimSuffix(d.issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return oauth2.Endpoint{}, err
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return oauth2.Endpoint{}, fmt.Errorf("read the OIDC issuer's discovery document: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return oauth2.Endpoint{}, fmt.Errorf("read the OIDC issuer's discovery document %s: %s", url, resp.Status)
	}
	var doc struct {
		DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
		TokenEndpoint               string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return oauth2.Endpoint{}, fmt.Errorf("read the OIDC issuer's discovery document %s: %w", url, err)
	}
	if doc.TokenEndpoint == "" {
		return oauth2.Endpoint{}, fmt.Errorf("the OIDC issuer %s names no token endpoint", d.issuer)
	}
	return oauth2.Endpoint{DeviceAuthURL: doc.DeviceAuthorizationEndpoint, TokenURL: doc.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams}, nil
}

func (d deviceLogin) config(ep oauth2.Endpoint) *oauth2.Config {
	scopes := []string{"openid"}
	for _, sc := range d.scopes {
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	return &oauth2.Config{ClientID: d.clientID, Endpoint: ep, Scopes: scopes}
}

// run signs the user in and returns the sign-in to save.
func (d deviceLogin) run(ctx context.Context) (*oidcLogin, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, d.http)
	ep, err := d.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	if ep.DeviceAuthURL == "" {
		return nil, &exitError{code: ExitError,
			err: fmt.Errorf("the OIDC issuer %s does not offer the device flow (no device_authorization_endpoint)", d.issuer),
			fix: "get a token from your identity provider and run: naas login --server URL --token-stdin"}
	}
	conf := d.config(ep)
	auth, err := conf.DeviceAuth(ctx)
	if err != nil {
		return nil, fmt.Errorf("start the OIDC device flow with %s: %w", d.issuer, err)
	}
	uri := auth.VerificationURIComplete
	if uri == "" {
		uri = auth.VerificationURI
	}
	if d.prompt != nil {
		d.prompt(uri, auth.UserCode)
	}
	tok, err := conf.DeviceAccessToken(ctx, auth)
	if err != nil {
		return nil, fmt.Errorf("sign in with %s: %w", d.issuer, err)
	}
	return d.loginOf(tok)
}

// refresh gets a new ID token with a refresh token.
func (d deviceLogin) refresh(ctx context.Context, refreshToken string) (*oidcLogin, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, d.http)
	ep, err := d.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := d.config(ep).TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		return nil, err
	}
	l, err := d.loginOf(tok)
	if err != nil {
		return nil, err
	}
	if l.RefreshToken == "" {
		l.RefreshToken = refreshToken // Issuers that do not rotate refresh tokens send none back.
	}
	return l, nil
}

// loginOf keeps the ID token (its audience is the client id, which naas accepts) and the refresh token.
func (d deviceLogin) loginOf(tok *oauth2.Token) (*oidcLogin, error) {
	id, _ := tok.Extra("id_token").(string)
	if id == "" {
		return nil, fmt.Errorf("the OIDC issuer %s sent no ID token: is the scope openid allowed for client %s?", d.issuer, d.clientID)
	}
	l := &oidcLogin{IssuerURL: d.issuer, ClientID: d.clientID, Scopes: d.scopes, IDToken: id, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
	if exp := jwtExpiry(id); !exp.IsZero() {
		l.Expiry = exp
	}
	return l, nil
}

// jwtExpiry reads the exp claim of a JWT without verifying it (the server verifies); zero when there is none.
func jwtExpiry(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return time.Time{}
	}
	secs, err := claims.Exp.Int64()
	if err != nil {
		return time.Time{}
	}
	return time.Unix(secs, 0)
}

// confirm asks a yes/no question on a terminal; without one, it returns an error saying which flag to pass.
func (s *session) confirm(question, flag string) error {
	if !isTerminal(s.in) || !isTerminal(s.errOut) {
		return usageErrorf(s.cmd, "refusing to %s without confirmation: pass %s (standard input is not a terminal to ask on)", question, flag)
	}
	fmt.Fprintf(s.errOut, "%s? [y/N] ", upperFirst(question))
	line, err := bufio.NewReader(s.in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	default:
		return &exitError{code: ExitError, err: errors.New("cancelled; nothing was changed")}
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
