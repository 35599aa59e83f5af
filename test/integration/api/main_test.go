// Package api tests the REST API end to end over HTTP, against the real local control plane and a loopback
// OIDC issuer: authentication, authorization, validation, rate limits, approvals and the audit log.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/authn/oidctest"
	"github.com/naas-dev/naas/internal/httpx"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.Options{AsServiceAccount: true}) }

// platform is naas running for one test, with its API on base.
type platform struct {
	base string
	// identity is the user name naas acts as, which provisioning outcomes are audited under.
	identity string
	issuer   *oidctest.Issuer
	stop     func()
}

// platformConfig tunes a test's platform.
type platformConfig struct {
	auditDB string
	// database is the --database DSN; auditDB is not used when it is set.
	database string
	issuer   *oidctest.Issuer
	mutate   func(*setup.Options)
}

// startPlatform starts naas with its API authenticating the environment's token users (same tokens as the
// kube-apiserver) and OIDC tokens of a loopback issuer (user name from "email", groups from "groups").
func startPlatform(t *testing.T, cfg platformConfig) *platform {
	t.Helper()
	if cfg.issuer == nil {
		cfg.issuer = oidctest.New(t)
	}
	if cfg.auditDB == "" && cfg.database == "" {
		cfg.auditDB = filepath.Join(t.TempDir(), "audit.db")
	}
	tokens := env.APITokenFile()
	caFile := cfg.issuer.CAFile()
	p, stop, err := env.StartPlatform(func(o *setup.Options) {
		o.API = setup.APIOptions{
			TokenFile:         tokens,
			OIDCIssuerURL:     cfg.issuer.URL(),
			OIDCAudience:      oidctest.Audience,
			OIDCUsernameClaim: "email",
			OIDCGroupsClaim:   "groups",
			OIDCCAFile:        caFile,
			AuditDB:           cfg.auditDB,
			Database:          cfg.database,
		}
		if cfg.mutate != nil {
			cfg.mutate(o)
		}
	})
	if err != nil {
		t.Fatalf("start naas: %v", err)
	}
	stopOnce := false
	pl := &platform{base: "http://" + p.Addr(), identity: p.Identity, issuer: cfg.issuer, stop: func() {
		if !stopOnce {
			stopOnce = true
			stop()
		}
	}}
	t.Cleanup(pl.stop)
	return pl
}

// response is an API response.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// decode decodes the body into v, failing the test if it is not JSON of that shape.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %s is not the expected JSON: %v", r, err)
	}
}

// problem decodes a problem document, checking its content type and status.
func (r response) problem(t *testing.T) httpx.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != httpx.ProblemContentType {
		t.Errorf("Content-Type = %q, want %s (response %s)", ct, httpx.ProblemContentType, r)
	}
	var p httpx.Problem
	r.decode(t, &p)
	if p.Status != r.status || p.Detail == "" {
		t.Errorf("problem %+v: want status %d and a detail", p, r.status)
	}
	return p
}

// call makes a request with a bearer token (none when empty) and a JSON body (none when nil; a string is sent
// as is).
func (p *platform) call(t *testing.T, token, method, path string, body any) response {
	t.Helper()
	return p.callWith(t, token, method, path, body, nil)
}

func (p *platform) callWith(t *testing.T, token, method, path string, body any, header http.Header) response {
	t.Helper()
	r := testenv.Call(t, token, method, p.base+path, body, header)
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// as returns the token of a user of the environment.
func as(user string) string { return env.Token(user) }

// expect fails the test unless the response has the status.
func expect(t *testing.T, r response, status int, what string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got %s, want status %d", what, r, status)
	}
}

// createTenant creates a tenant directly in the cluster, as a platform admin's GitOps would.
func createTenant(t *testing.T, name string, mutate func(*naasv1alpha1.TenantSpec), owners ...naasv1alpha1.Owner) {
	t.Helper()
	tn := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.TenantSpec{Owners: owners}}
	if mutate != nil {
		mutate(&tn.Spec)
	}
	if err := env.Client.Create(context.Background(), tn); err != nil {
		t.Fatalf("create tenant %s: %v", name, err)
	}
}

func user(name string, role naasv1alpha1.Role) naasv1alpha1.Owner {
	return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectUser, Name: name, Role: role}
}

func group(name string, role naasv1alpha1.Role) naasv1alpha1.Owner {
	return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectGroup, Name: name, Role: role}
}

// namespaceStatus is the part of the API's Namespace the tests read.
type namespaceStatus struct {
	Name       string                     `json:"name"`
	Tenant     string                     `json:"tenant"`
	Tier       string                     `json:"tier"`
	Phase      string                     `json:"phase"`
	Ready      bool                       `json:"ready"`
	Requester  *struct{ Username string } `json:"requester"`
	Conditions []struct {
		Type, Status, Reason, Message string
	} `json:"conditions"`
	Approval *struct {
		State, By, Reason string
		At                *time.Time
	} `json:"approval"`
}

func (n namespaceStatus) condition(typ string) (status, reason string) {
	for _, c := range n.Conditions {
		if c.Type == typ {
			return c.Status, c.Reason
		}
	}
	return "", ""
}

// poll calls f until it returns nil, failing the test with f's last error after timeout. It polls the API at a
// client's pace, 4 requests a second, well within the default rate limits.
func poll(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	testenv.EventuallyEvery(t, timeout, 250*time.Millisecond, what, f)
}

// waitPhase polls the status endpoint until the namespace reaches phase.
func (p *platform) waitPhase(t *testing.T, token, name, phase string) namespaceStatus {
	t.Helper()
	var ns namespaceStatus
	poll(t, 60*time.Second, fmt.Sprintf("namespace %s %s", name, phase), func() error {
		r := p.call(t, token, http.MethodGet, "/api/v1/namespaces/"+name+"/status", nil)
		if r.status != http.StatusOK {
			return fmt.Errorf("status: %s", r)
		}
		ns = namespaceStatus{}
		r.decode(t, &ns)
		if ns.Phase != phase {
			return fmt.Errorf("phase %s, conditions %+v", ns.Phase, ns.Conditions)
		}
		return nil
	})
	return ns
}
