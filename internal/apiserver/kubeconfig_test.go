package apiserver

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

func jwtWith(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(payload)) + ".sig"
}

func TestIssuerOf_TellsOIDCTokensFromStaticOnes(t *testing.T) {
	for name, tc := range map[string]struct{ token, want string }{
		"jwt":                {jwtWith(`{"iss":"https://idp.example.com","sub":"a"}`), "https://idp.example.com"},
		"jwt without iss":    {jwtWith(`{"sub":"a"}`), ""},
		"static token":       {"tok-erin-123456", ""},
		"dots but no base64": {"a.b!.c", ""},
		"dots but no json":   {"a." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".c", ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := issuerOf(tc.token); got != tc.want {
				t.Errorf("issuerOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestKubeconfig_EmbedsStaticTokensAndRunsKubeloginForOIDCTokens(t *testing.T) {
	s := &Server{cfg: Config{Client: ClientConfig{
		ClusterServer: "https://k8s.example.com", ClusterCAData: []byte("CA"), ClusterName: "prod",
		OIDCIssuerURL: "https://idp.example.com", OIDCClientID: "naas-cli", OIDCScopes: []string{"groups"},
	}}}
	oidcToken := jwtWith(`{"iss":"https://idp.example.com"}`)
	otherJWT := jwtWith(`{"iss":"https://elsewhere.example.com"}`)
	for name, tc := range map[string]struct {
		token, mode string
		wantToken   string
		wantExec    []string
	}{
		"static token":           {token: "tok-1", wantToken: "tok-1"},
		"static token, exec":     {token: "tok-1", mode: restv1.KubeconfigAuthExec, wantToken: "tok-1"},
		"OIDC token":             {token: oidcToken, wantExec: []string{"oidc-login", "get-token", "--oidc-issuer-url=https://idp.example.com", "--oidc-client-id=naas-cli", "--oidc-extra-scope=groups"}},
		"OIDC token, auth=token": {token: oidcToken, mode: restv1.KubeconfigAuthToken, wantToken: oidcToken},
		"JWT of another issuer":  {token: otherJWT, wantToken: otherJWT},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := s.kubeconfig("payments-api", "bob", tc.token, tc.mode)
			if cfg.CurrentContext != "prod-payments-api" {
				t.Fatalf("current context = %q", cfg.CurrentContext)
			}
			ctx := cfg.Contexts[cfg.CurrentContext]
			if diff := cmp.Diff([]string{"prod", "prod-bob", "payments-api"}, []string{ctx.Cluster, ctx.AuthInfo, ctx.Namespace}); diff != "" {
				t.Errorf("context (-want +got):\n%s", diff)
			}
			if c := cfg.Clusters["prod"]; c.Server != "https://k8s.example.com" || string(c.CertificateAuthorityData) != "CA" {
				t.Errorf("cluster = %+v", c)
			}
			u := cfg.AuthInfos["prod-bob"]
			if u.Token != tc.wantToken {
				t.Errorf("token = %q, want %q", u.Token, tc.wantToken)
			}
			var args []string
			if u.Exec != nil {
				args = u.Exec.Args
			}
			if diff := cmp.Diff(tc.wantExec, args); diff != "" {
				t.Errorf("exec args (-want +got):\n%s", diff)
			}
		})
	}
}
