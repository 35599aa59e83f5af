package setup

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPortalOIDC_OnlyWithAnIssuerAndAClientID(t *testing.T) {
	tests := []struct {
		name         string
		opts         APIOptions
		portalURL    string
		wantOff      bool
		wantErr      string
		wantRedirect string
		wantScopes   []string
	}{
		{name: "no OIDC at all", wantOff: true},
		{name: "an issuer for the API only", opts: APIOptions{OIDCIssuerURL: "https://idp.example.com", OIDCAudience: "api"}, wantOff: true},
		{
			name:    "portal settings without a client id",
			opts:    APIOptions{OIDCIssuerURL: "https://idp.example.com", OIDCRedirectURL: "https://naas.example.com/auth/oidc/callback"},
			wantErr: "--oidc-client-id",
		},
		{
			name:         "callback derived from the portal URL, default scopes",
			opts:         APIOptions{OIDCIssuerURL: "https://idp.example.com", OIDCClientID: "naas-portal"},
			portalURL:    "https://naas.example.com/",
			wantRedirect: "https://naas.example.com/auth/oidc/callback",
			wantScopes:   []string{"profile", "email"},
		},
		{
			name: "explicit callback and scopes",
			opts: APIOptions{OIDCIssuerURL: "https://idp.example.com", OIDCClientID: "naas-portal",
				OIDCRedirectURL: "https://portal.example.com/auth/oidc/callback", OIDCClientScopes: []string{"email", "groups"}},
			portalURL:    "http://127.0.0.1:8080",
			wantRedirect: "https://portal.example.com/auth/oidc/callback",
			wantScopes:   []string{"email", "groups"},
		},
		{
			name:    "no way to know the callback",
			opts:    APIOptions{OIDCIssuerURL: "https://idp.example.com", OIDCClientID: "naas-portal"},
			wantErr: "--oidc-redirect-url",
		},
		{
			name:      "a CA file that does not exist",
			opts:      APIOptions{OIDCIssuerURL: "https://idp.example.com", OIDCClientID: "naas-portal", OIDCCAFile: "/nonexistent/ca.pem"},
			portalURL: "https://naas.example.com",
			wantErr:   "--oidc-ca-file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.portalOIDC(tt.portalURL)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tt.wantOff:
				if got != nil {
					t.Fatalf("portal sign-in is on: %+v", got)
				}
				return
			case got == nil:
				t.Fatal("portal sign-in is off")
			}
			if got.RedirectURL != tt.wantRedirect || got.ClientID != "naas-portal" || got.HTTPClient == nil {
				t.Errorf("config %+v, want redirect %s", got, tt.wantRedirect)
			}
			if diff := cmp.Diff(tt.wantScopes, got.Scopes); diff != "" {
				t.Errorf("scopes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPortalOIDC_ClientSecretFromTheEnvironment(t *testing.T) {
	t.Setenv("NAAS_OIDC_CLIENT_SECRET", "from-env")
	o := APIOptions{OIDCIssuerURL: "https://idp.example.com", OIDCClientID: "naas-portal"}
	got, err := o.portalOIDC("https://naas.example.com")
	if err != nil || got.ClientSecret != "from-env" {
		t.Fatalf("secret = %v, %v; want the environment's", got, err)
	}
	o.OIDCClientSecret = "from-flag"
	if got, _ := o.portalOIDC("https://naas.example.com"); got.ClientSecret != "from-flag" {
		t.Errorf("secret = %q, want the flag's over the environment's", got.ClientSecret)
	}
}
