package clientcmd

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

// fakeJWT is an unsigned token with an exp claim: the CLI reads exp, the server (not here) verifies.
func fakeJWT(sub string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(fmt.Sprintf(`{"sub":%q,"exp":%d}`, sub, exp.Unix()))) + ".sig"
}

// deviceIssuer is an OAuth device authorization server: the user "approves" after pendingPolls polls.
type deviceIssuer struct {
	srv          *httptest.Server
	noDevice     bool
	pendingPolls int

	mu       sync.Mutex
	polls    int
	refreshN int
	scopes   string
}

func newDeviceIssuer(t *testing.T) *deviceIssuer {
	t.Helper()
	d := &deviceIssuer{pendingPolls: 1}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		doc := map[string]string{"issuer": d.srv.URL, "token_endpoint": d.srv.URL + "/token"}
		if !d.noDevice {
			doc["device_authorization_endpoint"] = d.srv.URL + "/device"
		}
		_ = json.NewEncoder(w).Encode(doc)
	})
	mux.HandleFunc("POST /device", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		d.mu.Lock()
		d.scopes = r.Form.Get("scope")
		d.mu.Unlock()
		if r.Form.Get("client_id") != "naas-cli" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"device_code":"dev-1","user_code":"WDJB-MJHT","verification_uri":"%s/activate","interval":1,"expires_in":60}`, d.srv.URL)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		d.mu.Lock()
		defer d.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.Form.Get("grant_type") {
		case "urn:ietf:params:oauth:grant-type:device_code":
			d.polls++
			if d.polls <= d.pendingPolls {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"authorization_pending"}`))
				return
			}
			_, _ = fmt.Fprintf(w, `{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1","id_token":%q}`,
				fakeJWT("olga", time.Now().Add(time.Hour)))
		case "refresh_token":
			d.refreshN++
			if r.Form.Get("refresh_token") != "rt-1" {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
				return
			}
			_, _ = fmt.Fprintf(w, `{"access_token":"at2","token_type":"Bearer","expires_in":3600,"id_token":%q}`,
				fakeJWT("olga-refreshed", time.Now().Add(time.Hour)))
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	d.srv = httptest.NewServer(mux)
	t.Cleanup(d.srv.Close)
	return d
}

func TestDeviceLogin_SignsInWithTheDeviceFlowAndRefreshes(t *testing.T) {
	iss := newDeviceIssuer(t)
	var prompted string
	d := deviceLogin{issuer: iss.srv.URL, clientID: "naas-cli", scopes: []string{"groups", "openid"}, http: iss.srv.Client(),
		prompt: func(uri, code string) { prompted = uri + " " + code }}
	login, err := d.run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if prompted != iss.srv.URL+"/activate WDJB-MJHT" {
		t.Errorf("prompt = %q, want the verification URI and user code", prompted)
	}
	if iss.scopes != "openid groups" {
		t.Errorf("scopes asked = %q, want openid once, then the server's", iss.scopes)
	}
	if !strings.Contains(login.IDToken, ".") || login.RefreshToken != "rt-1" || time.Until(login.Expiry) < 50*time.Minute {
		t.Errorf("login = %+v, want the ID token, its expiry and the refresh token", login)
	}

	fresh, err := d.refresh(t.Context(), login.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.IDToken == login.IDToken || fresh.RefreshToken != "rt-1" {
		t.Errorf("refreshed = %+v, want a new ID token and the refresh token kept", fresh)
	}
	if _, err := d.refresh(t.Context(), "revoked"); err == nil {
		t.Error("a revoked refresh token refreshed")
	}
}

func TestDeviceLogin_IssuerWithoutDeviceFlowSaysToUseAToken(t *testing.T) {
	iss := newDeviceIssuer(t)
	iss.noDevice = true
	_, err := deviceLogin{issuer: iss.srv.URL, clientID: "naas-cli", http: iss.srv.Client()}.run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "does not offer the device flow") {
		t.Fatalf("err = %v", err)
	}
	var ee *exitError
	if !asExitError(err, &ee) || !strings.Contains(ee.fix, "--token-stdin") {
		t.Errorf("fix of %v does not say to sign in with a token", err)
	}
}

func asExitError(err error, target **exitError) bool {
	e, ok := err.(*exitError) //nolint:errorlint // the error is returned unwrapped
	*target = e
	return ok
}

// fakeNaas serves the two routes login uses: the public auth config and /me, which accepts only wantToken.
func fakeNaas(t *testing.T, ac restv1.AuthConfig, accept func(token string) (string, bool)) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/auth/config", func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(ac) })
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		user, ok := accept(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if !ok {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"status":401,"detail":"unauthenticated: unknown token"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(restv1.Me{Username: user, Tenants: []restv1.TenantMembership{}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func runNaas(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := &cobra.Command{Use: "naas", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(&out)
	root.SetErr(&errOut)
	AddCommands(root)
	root.SetArgs(args)
	root.SetIn(strings.NewReader(""))
	if err := root.Execute(); err != nil {
		code = ReportError(&errOut, err)
	}
	return out.String(), errOut.String(), code
}

func TestLogin_OIDCDeviceFlowSavesARefreshableSignIn(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	t.Setenv(EnvConfig, cfgPath)
	t.Setenv(EnvServer, "")
	t.Setenv(EnvToken, "")
	iss := newDeviceIssuer(t)
	naas := fakeNaas(t, restv1.AuthConfig{OIDC: &restv1.OIDCClient{IssuerURL: iss.srv.URL, ClientID: "naas-cli"}},
		func(token string) (string, bool) { return "olga@example.com", strings.Count(token, ".") == 2 })

	out, errOut, code := runNaas(t, "login", "--server", naas.URL)
	if code != 0 {
		t.Fatalf("login exit %d: %s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "To sign in, open "+iss.srv.URL+"/activate and enter the code WDJB-MJHT") {
		t.Errorf("stderr does not say where to sign in: %q", errOut)
	}
	if !strings.Contains(out, "Logged in to "+naas.URL+" as olga@example.com") {
		t.Errorf("stdout = %q", out)
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server != naas.URL || cfg.Token != "" || cfg.OIDC == nil || cfg.OIDC.RefreshToken != "rt-1" || cfg.OIDC.ClientID != "naas-cli" {
		t.Errorf("saved config = %+v (oidc %+v)", cfg, cfg.OIDC)
	}

	// An expired ID token is refreshed before use, and the new one saved.
	cfg.OIDC.Expiry = time.Now().Add(-time.Minute)
	if err := cfg.save(cfgPath); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runNaas(t, "whoami", "-o", "json"); code != 0 || !strings.Contains(out, `"username": "olga@example.com"`) {
		t.Fatalf("whoami after expiry: exit %d: %s%s", code, out, errOut)
	}
	cfg, _ = loadConfig(cfgPath)
	if iss.refreshN != 1 || time.Until(cfg.OIDC.Expiry) < 50*time.Minute {
		t.Errorf("refreshes = %d, expiry %v; want one refresh, saved", iss.refreshN, cfg.OIDC.Expiry)
	}
}

func TestLogin_TokenIsCheckedBeforeItIsSaved(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	t.Setenv(EnvConfig, cfgPath)
	t.Setenv(EnvServer, "")
	t.Setenv(EnvToken, "")
	naas := fakeNaas(t, restv1.AuthConfig{}, func(token string) (string, bool) { return "bob", token == "good" })

	_, errOut, code := runNaas(t, "login", "--server", naas.URL, "--token", "bad")
	if code != ExitError || !strings.Contains(errOut, "refused the token") || !strings.Contains(errOut, "nothing was saved") {
		t.Errorf("bad token: exit %d, %q", code, errOut)
	}
	if cfg, _ := loadConfig(cfgPath); cfg.Server != "" {
		t.Errorf("a refused token was saved: %+v", cfg)
	}
	// No token, no OIDC, no terminal to ask on: a usage error that says what to pass.
	_, errOut, code = runNaas(t, "login", "--server", naas.URL)
	if code != ExitUsage || !strings.Contains(errOut, "--token or --token-stdin is required") {
		t.Errorf("no token: exit %d, %q", code, errOut)
	}
	if out, errOut, code := runNaas(t, "login", "--server", naas.URL+"/", "--token", "good"); code != 0 || !strings.Contains(out, "as bob") {
		t.Fatalf("good token: exit %d: %s%s", code, out, errOut)
	}
	if cfg, _ := loadConfig(cfgPath); cfg.Server != naas.URL || cfg.Token != "good" {
		t.Errorf("saved = %+v", cfg)
	}

	// The saved credentials never go to another server named by NAAS_SERVER.
	other := fakeNaas(t, restv1.AuthConfig{}, func(token string) (string, bool) { return "leak", token != "" })
	t.Setenv(EnvServer, other.URL)
	if _, errOut, code := runNaas(t, "whoami"); code != ExitError || !strings.Contains(errOut, "sign in: ") {
		t.Errorf("whoami against another server: exit %d, %q; want it to go without the saved token", code, errOut)
	}
	t.Setenv(EnvToken, "good")
	if out, _, code := runNaas(t, "whoami"); code != 0 || !strings.Contains(out, "leak") {
		t.Errorf("with NAAS_TOKEN: exit %d, %q", code, out)
	}
}
