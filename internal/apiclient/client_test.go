package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/httpx"
)

// problemServer answers every request with the problem p (and Retry-After when set).
func problemServer(t *testing.T, p httpx.Problem, retryAfter string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		p.Instance = r.URL.Path
		httpx.WriteProblem(w, p)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, server, token string) *Client {
	t.Helper()
	var ts TokenSource
	if token != "" {
		ts = StaticToken(token)
	}
	c, err := New(Options{Server: server, Token: ts, Command: "naas"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestError_IsOneLineWithAFixForEachKindOfProblem(t *testing.T) {
	for name, tc := range map[string]struct {
		problem    httpx.Problem
		retryAfter string
		token      string
		call       func(c *Client) error
		wantLine   string
		wantFix    string
	}{
		"no credentials": {
			problem:  httpx.Problem{Status: 401, Detail: "unauthenticated: no credentials"},
			call:     func(c *Client) error { _, err := c.Me(context.Background()); return err },
			wantLine: "unauthenticated: no credentials", wantFix: "sign in: naas login --server SERVER --token TOKEN (or set NAAS_TOKEN)",
		},
		"refused token": {
			problem: httpx.Problem{Status: 401, Detail: "unauthenticated: unknown token"}, token: "bad",
			call:     func(c *Client) error { _, err := c.Me(context.Background()); return err },
			wantLine: "unauthenticated: unknown token", wantFix: "your token was refused: sign in again with naas login --server SERVER, or check NAAS_TOKEN",
		},
		"forbidden": {
			problem: httpx.Problem{Status: 403, Type: restv1.ProblemForbidden, Detail: "user \"carol\" is a viewer of tenant \"t\"; requesting takes admin or developer"}, token: "x",
			call: func(c *Client) error {
				_, _, err := c.RequestNamespace(context.Background(), NamespaceRequest{Name: "a"})
				return err
			},
			wantLine: "user \"carol\" is a viewer of tenant \"t\"; requesting takes admin or developer",
			wantFix:  "ask an admin of the tenant, or the platform team, for the role named above; naas whoami shows your roles",
		},
		"namespace not found": {
			problem: httpx.Problem{Status: 404, Type: restv1.ProblemNotFound, Detail: "namespace \"nope\" not found"}, token: "x",
			call:     func(c *Client) error { _, err := c.Namespace(context.Background(), "nope"); return err },
			wantLine: "namespace \"nope\" not found", wantFix: "check the name: naas list shows the namespaces you can see",
		},
		"template not found": {
			problem: httpx.Problem{Status: 404, Type: restv1.ProblemNotFound, Detail: "template \"x\" not found"}, token: "x",
			call:     func(c *Client) error { _, err := c.Template(context.Background(), "x"); return err },
			wantLine: "template \"x\" not found", wantFix: "check the name: naas catalog lists the templates",
		},
		"no such route": {
			problem: httpx.Problem{Status: 404, Type: restv1.ProblemNoRoute, Detail: "there is no API route /api/v1/me"}, token: "x",
			call:     func(c *Client) error { _, err := c.Me(context.Background()); return err },
			wantLine: "there is no API route /api/v1/me", wantFix: "SERVER does not serve this route: check the server URL, or use a CLI of the same version as naas",
		},
		"invalid fields": {
			problem: httpx.Problem{Status: 422, Type: restv1.ProblemValidation, Detail: "2 fields are invalid: tier: Forbidden: x;\nparameters.size: Required",
				Errors: []httpx.FieldError{{Field: "tier", Rule: "allowedTiers"}, {Field: "parameters.size", Rule: "required"}}}, token: "x",
			call: func(c *Client) error {
				_, _, err := c.RequestNamespace(context.Background(), NamespaceRequest{Name: "a"})
				return err
			},
			wantLine: "2 fields are invalid: tier: Forbidden: x; parameters.size: Required",
			wantFix:  "correct tier, parameters.size; naas tiers lists the tiers, naas tenant describe TENANT those a tenant allows; naas catalog describe TEMPLATE lists a template's parameters",
		},
		"conflict on a namespace": {
			problem: httpx.Problem{Status: 409, Type: restv1.ProblemConflict, Detail: "namespace \"a\" is already claimed by tenant \"b\""}, token: "x",
			call:     func(c *Client) error { _, err := c.DeleteNamespace(context.Background(), "a"); return err },
			wantLine: "namespace \"a\" is already claimed by tenant \"b\"", wantFix: "naas describe NAME shows the namespace's state",
		},
		"unavailable": {
			problem: httpx.Problem{Status: 503, Detail: "the Kubernetes API server is busy or unavailable; retry later", RequestID: "req-1"}, token: "x",
			call:     func(c *Client) error { _, err := c.DeleteNamespace(context.Background(), "a"); return err },
			wantLine: "the Kubernetes API server is busy or unavailable; retry later",
			wantFix:  "retry in a moment; if it persists, tell the platform team (request id req-1)",
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := problemServer(t, tc.problem, tc.retryAfter)
			err := tc.call(newClient(t, srv.URL, tc.token))
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if got := err.Error(); got != tc.wantLine {
				t.Errorf("line = %q, want %q", got, tc.wantLine)
			}
			if got, want := FixOf(err), strings.ReplaceAll(tc.wantFix, "SERVER", srv.URL); got != want {
				t.Errorf("fix = %q, want %q", got, want)
			}
		})
	}
}

func TestError_AnswerNotFromNaasSaysSoAndPointsAtTheServerURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html><body>502 Bad Gateway</body></html>", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := newClient(t, srv.URL, "x").Me(context.Background())
	if err == nil || !strings.Contains(err.Error(), "answered 502 Bad Gateway") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error = %q, want one line saying what answered 502", err)
	}
	if fix := FixOf(err); !strings.Contains(fix, "something other than naas answered") {
		t.Errorf("fix = %q", fix)
	}
}

func TestClient_UnreachableServerSaysWhereAndWhatToCheck(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := newClient(t, url, "x").Me(context.Background())
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("error = %v (%T), want *UnreachableError", err, err)
	}
	if !strings.HasPrefix(err.Error(), "cannot reach naas at "+url+": ") || strings.Contains(err.Error(), `Get "`) {
		t.Errorf("line = %q", err.Error())
	}
	if fix := FixOf(err); !strings.Contains(fix, "NAAS_SERVER") {
		t.Errorf("fix = %q", fix)
	}
}

func TestClient_RetriesWhatTheServerAsksToRetryAndGivesUpOnOthers(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case r.URL.Path == "/api/v1/me" && n == 1:
			w.Header().Set("Retry-After", "1")
			httpx.WriteProblem(w, httpx.Problem{Status: http.StatusTooManyRequests, Detail: "slow down"})
		case r.URL.Path == "/api/v1/me":
			_, _ = w.Write([]byte(`{"username":"bob","platformAdmin":false,"tenants":[]}`))
		default:
			w.Header().Set("Retry-After", "60") // Longer than the client waits.
			httpx.WriteProblem(w, httpx.Problem{Status: http.StatusTooManyRequests, Detail: "slow down"})
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, "x")
	start := time.Now()
	me, err := c.Me(context.Background())
	if err != nil || me.Username != "bob" || calls.Load() != 2 {
		t.Fatalf("Me = %+v, %v after %d calls; want bob after a retry", me, err, calls.Load())
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("retried after %s, before the Retry-After of 1s", took)
	}
	calls.Store(0)
	_, err = c.Tiers(context.Background())
	if !IsStatus(err, http.StatusTooManyRequests) || calls.Load() != 1 {
		t.Errorf("Tiers = %v after %d calls; want the 429 at once", err, calls.Load())
	}
	if fix := FixOf(err); fix != "you, or your tenant, are over the request rate: retry in 1m0s" {
		t.Errorf("fix = %q", fix)
	}
}

func TestClient_SendsTheTokenEscapesPathsAndDecodesAnswers(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery+" "+r.Header.Get("Authorization"))
		switch {
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"name":"a","tenant":"t","phase":"Pending"}`))
		case strings.HasSuffix(r.URL.Path, "/kubeconfig"):
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write([]byte("apiVersion: v1\nkind: Config\n"))
		default:
			_, _ = w.Write([]byte(`{"name":"t","members":[]}`))
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/", "tok")
	ctx := context.Background()
	ns, created, err := c.RequestNamespace(ctx, NamespaceRequest{Name: "a", Tenant: "t", Template: "x"})
	if err != nil || !created || ns.Phase != "Pending" {
		t.Errorf("RequestNamespace = %+v, %v, %v", ns, created, err)
	}
	if _, err := c.RemoveMember(ctx, "t", Member{Kind: "ServiceAccount", Namespace: "ci", Name: "deployer"}); err != nil {
		t.Error(err)
	}
	if _, err := c.RemoveMember(ctx, "t", Member{Kind: "Group", Name: "team/a b"}); err != nil {
		t.Error(err)
	}
	raw, err := c.Kubeconfig(ctx, "a", restv1.KubeconfigAuthToken)
	if err != nil || !strings.Contains(string(raw), "kind: Config") {
		t.Errorf("Kubeconfig = %q, %v", raw, err)
	}
	want := []string{
		"POST /api/v1/namespaces/request? Bearer tok",
		"DELETE /api/v1/tenants/t/members/ServiceAccount/ci:deployer? Bearer tok",
		"DELETE /api/v1/tenants/t/members/Group/team%2Fa%20b? Bearer tok",
		"GET /api/v1/namespaces/a/kubeconfig?auth=token Bearer tok",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestParseServer_AcceptsHTTPURLsOnly(t *testing.T) {
	for server, ok := range map[string]bool{
		"http://127.0.0.1:8080":         true,
		"https://naas.example.com/":     true,
		"https://example.com/naas":      true,
		"":                              false,
		"127.0.0.1:8080":                false,
		"ftp://naas.example.com":        false,
		"https://naas.example.com?x=1":  false,
		"https://user:pw@example.com":   false,
		"https://naas.example.com/#top": false,
	} {
		if _, err := ParseServer(server); (err == nil) != ok {
			t.Errorf("ParseServer(%q) = %v, want ok=%v", server, err, ok)
		}
	}
}
