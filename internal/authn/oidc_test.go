package authn_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/authn/oidctest"
)

// newOIDC returns an authenticator for iss configured by cfg, filling in the issuer, audience and client.
func newOIDC(t *testing.T, iss *oidctest.Issuer, cfg authn.OIDCConfig) *authn.OIDC {
	t.Helper()
	cfg.IssuerURL = iss.URL()
	if cfg.Audience == "" {
		cfg.Audience = oidctest.Audience
	}
	if cfg.CAFile == "" {
		cfg.HTTPClient = iss.Client()
	}
	a, err := authn.NewOIDC(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	return a
}

func TestOIDC_ValidTokenAuthenticatesUserWithGroups(t *testing.T) {
	iss := oidctest.New(t)
	a := newOIDC(t, iss, authn.OIDCConfig{})
	token := iss.Token(map[string]any{"sub": "alice", "groups": []string{"dev", "ops"}}, time.Hour)

	got, err := a.AuthenticateToken(context.Background(), token)
	if err != nil {
		t.Fatalf("AuthenticateToken: %v", err)
	}
	want := &authn.User{Name: "alice", UID: "alice", Groups: []string{"dev", "ops"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user mismatch (-want +got):\n%s", diff)
	}
}

func TestOIDC_RefusedTokensAreUnauthenticated(t *testing.T) {
	iss := oidctest.New(t)
	other := oidctest.New(t)
	a := newOIDC(t, iss, authn.OIDCConfig{})
	tampered := withClaim(t, iss.Token(map[string]any{"sub": "alice"}, time.Hour), "sub", "admin")

	tests := []struct {
		name  string
		token string
		// reason is a substring of the error, so a refusal for the wrong reason fails the test.
		reason string
	}{
		{"expired", iss.Token(nil, -time.Minute), "expired"},
		{"wrong audience", iss.Token(map[string]any{"aud": "someone-else"}, time.Hour), "audience"},
		{"audience list without ours", iss.Token(map[string]any{"aud": []string{"a", "b"}}, time.Hour), "audience"},
		{"wrong issuer claim", iss.Token(map[string]any{"iss": other.URL()}, time.Hour), "issued by a different provider"},
		{"signed by another issuer's key", other.Token(map[string]any{"iss": iss.URL()}, time.Hour), "signature"},
		{"signed by an unpublished key", iss.TokenSignedByUnknownKey(nil, time.Hour), "signature"},
		{"payload changed after signing", tampered, "signature"},
		{"not yet valid", iss.Token(map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}, 2*time.Hour), "nbf"},
		{"not a JWT", "s3cret-static-token", "malformed"},
		{"empty", "", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := a.AuthenticateToken(context.Background(), tt.token)
			if !errors.Is(err, authn.ErrUnauthenticated) {
				t.Fatalf("AuthenticateToken = %v, %v; want ErrUnauthenticated", u, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not give the reason %q", err, tt.reason)
			}
		})
	}
}

func TestOIDC_ClaimMappingForProviders(t *testing.T) {
	tests := []struct {
		name   string
		cfg    authn.OIDCConfig
		claims map[string]any
		want   *authn.User
		// wantReason, if set, means the token is refused with this reason.
		wantReason string
	}{
		{
			name:   "Dex: email and groups",
			cfg:    authn.OIDCConfig{UsernameClaim: "email"},
			claims: map[string]any{"sub": "CiQ1", "email": "alice@example.com", "email_verified": true, "groups": []string{"dev"}},
			want:   &authn.User{Name: "alice@example.com", UID: "CiQ1", Groups: []string{"dev"}},
		},
		{
			name: "Azure AD: preferred_username and app roles, with prefixes",
			cfg: authn.OIDCConfig{
				UsernameClaim: "preferred_username", UsernamePrefix: "aad:",
				GroupsClaim: "roles", GroupsPrefix: "aad:",
			},
			claims: map[string]any{
				"sub": "AAAAbbbb", "oid": "0000-1111", "preferred_username": "alice@contoso.com",
				"roles": []string{"Namespace.Admin", "Tenant.Viewer"}, "groups": []string{"5f6e-guid"},
			},
			want: &authn.User{Name: "aad:alice@contoso.com", UID: "AAAAbbbb", Groups: []string{"aad:Namespace.Admin", "aad:Tenant.Viewer"}},
		},
		{
			name:   "Keycloak: realm roles at a nested path",
			cfg:    authn.OIDCConfig{UsernameClaim: "preferred_username", GroupsClaim: "realm_access.roles"},
			claims: map[string]any{"sub": "f:1", "preferred_username": "alice", "realm_access": map[string]any{"roles": []string{"admin", "user"}}},
			want:   &authn.User{Name: "alice", UID: "f:1", Groups: []string{"admin", "user"}},
		},
		{
			name:   "a claim named with dots wins over the nested path",
			cfg:    authn.OIDCConfig{GroupsClaim: "https://naas.dev/groups"},
			claims: map[string]any{"sub": "bob", "https://naas.dev/groups": []string{"dev"}},
			want:   &authn.User{Name: "bob", UID: "bob", Groups: []string{"dev"}},
		},
		{
			name:   "groups claim as a single string",
			claims: map[string]any{"sub": "bob", "groups": "dev"},
			want:   &authn.User{Name: "bob", UID: "bob", Groups: []string{"dev"}},
		},
		{
			name:   "no groups claim means no groups",
			claims: map[string]any{"sub": "bob"},
			want:   &authn.User{Name: "bob", UID: "bob"},
		},
		{
			name:       "missing username claim",
			cfg:        authn.OIDCConfig{UsernameClaim: "email"},
			claims:     map[string]any{"sub": "bob"},
			wantReason: `the token has no "email" claim`,
		},
		{
			name:       "username claim not a string",
			cfg:        authn.OIDCConfig{UsernameClaim: "upn"},
			claims:     map[string]any{"sub": "bob", "upn": 42},
			wantReason: `"upn" claim, which names the user, is not a non-empty string`,
		},
		{
			name:       "unverified email",
			cfg:        authn.OIDCConfig{UsernameClaim: "email"},
			claims:     map[string]any{"sub": "bob", "email": "admin@example.com", "email_verified": false},
			wantReason: "not verified",
		},
		{
			name:       "groups claim with a non-string",
			claims:     map[string]any{"sub": "bob", "groups": []any{"dev", 7}},
			wantReason: "element 1",
		},
	}
	iss := oidctest.New(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newOIDC(t, iss, tt.cfg)
			got, err := a.AuthenticateToken(context.Background(), iss.Token(tt.claims, time.Hour))
			if tt.wantReason != "" {
				if !errors.Is(err, authn.ErrUnauthenticated) || !strings.Contains(err.Error(), tt.wantReason) {
					t.Fatalf("AuthenticateToken = %v, %v; want ErrUnauthenticated with reason %q", got, err, tt.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatalf("AuthenticateToken: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("user mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOIDC_TokensOfRotatedKeyVerify(t *testing.T) {
	iss := oidctest.New(t)
	a := newOIDC(t, iss, authn.OIDCConfig{})
	before := iss.Token(map[string]any{"sub": "alice"}, time.Hour)
	if _, err := a.AuthenticateToken(context.Background(), before); err != nil {
		t.Fatalf("token before rotation: %v", err)
	}
	iss.RotateKey()
	after := iss.Token(map[string]any{"sub": "alice"}, time.Hour)
	for name, token := range map[string]string{"after rotation": after, "before rotation": before} {
		if _, err := a.AuthenticateToken(context.Background(), token); err != nil {
			t.Errorf("token %s: %v", name, err)
		}
	}
}

func TestOIDC_UnreachableKeySetIsNotUnauthenticated(t *testing.T) {
	iss := oidctest.New(t)
	a := newOIDC(t, iss, authn.OIDCConfig{})
	token := iss.Token(nil, time.Hour)
	iss.Close() // Discovery is done, the keys have not been fetched yet.

	_, err := a.AuthenticateToken(context.Background(), token)
	if err == nil || errors.Is(err, authn.ErrUnauthenticated) {
		t.Fatalf("AuthenticateToken with the issuer down = %v; want an error that is not ErrUnauthenticated", err)
	}
}

func TestOIDC_CAFileTrustsIssuer(t *testing.T) {
	iss := oidctest.New(t)
	a := newOIDC(t, iss, authn.OIDCConfig{CAFile: iss.CAFile()})
	if _, err := a.AuthenticateToken(context.Background(), iss.Token(nil, time.Hour)); err != nil {
		t.Fatalf("AuthenticateToken: %v", err)
	}
}

func TestNewOIDC_RejectsBadConfiguration(t *testing.T) {
	iss := oidctest.New(t)
	tests := []struct {
		name    string
		cfg     authn.OIDCConfig
		wantErr string
	}{
		{"no issuer", authn.OIDCConfig{Audience: "naas"}, "issuer URL is required"},
		{"plain http issuer", authn.OIDCConfig{IssuerURL: "http://dex.example.com", Audience: "naas"}, "must be an https URL"},
		{"no audience", authn.OIDCConfig{IssuerURL: iss.URL(), HTTPClient: iss.Client()}, "audience is required"},
		{"CA file and client", authn.OIDCConfig{IssuerURL: iss.URL(), Audience: "naas", CAFile: "ca.pem", HTTPClient: iss.Client()}, "not both"},
		{"issuer URL differs from discovered issuer", authn.OIDCConfig{IssuerURL: iss.URL() + "/", Audience: "naas", HTTPClient: iss.Client()}, "did not match"},
		{"untrusted certificate", authn.OIDCConfig{IssuerURL: iss.URL(), Audience: "naas"}, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := authn.NewOIDC(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewOIDC error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// withClaim returns token with one claim of its payload changed and its signature left as it was.
func withClaim(t *testing.T, token, claim string, value any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims[claim] = value
	if payload, err = json.Marshal(claims); err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}
