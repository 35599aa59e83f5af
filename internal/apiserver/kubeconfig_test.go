package apiserver

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cluster"
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
			cfg := s.kubeconfig("payments-api", "bob", tc.token, tc.mode, cluster.Endpoint{Server: "https://k8s.example.com", CAData: []byte("CA")}, "prod")
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

func TestEndpointOf_PointsAtTheClusterTheNamespaceIsPlacedOn(t *testing.T) {
	s := &Server{cfg: Config{Client: ClientConfig{
		ClusterServer: "https://mgmt.example.com", ClusterCAData: []byte("MGMT"), ClusterName: "prod",
		Member: func(_ context.Context, name string) (cluster.Endpoint, error) {
			if name == "member-1" {
				return cluster.Endpoint{Server: "https://member-1.example.com", CAData: []byte("M1")}, nil
			}
			return cluster.Endpoint{}, errors.New("no kubeconfig Secret")
		},
	}}}
	claim := func(spec, status string, placed *metav1.Condition) *naasv1alpha1.NamespaceClaim {
		c := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "payments-api"}}
		c.Spec.Cluster, c.Status.Cluster = spec, status
		if placed != nil {
			c.Status.Conditions = []metav1.Condition{*placed}
		}
		return c
	}
	noFit := &metav1.Condition{Type: naasv1alpha1.ConditionPlaced, Status: metav1.ConditionFalse, Reason: naasv1alpha1.ReasonNoClusterFits, Message: "no cluster fits: member-1: cordoned"}
	for name, tc := range map[string]struct {
		claim       *naasv1alpha1.NamespaceClaim
		wantServer  string
		wantCA      string
		wantCluster string
		wantStatus  int
	}{
		"placed on local":             {claim: claim("", "local", nil), wantServer: "https://mgmt.example.com", wantCA: "MGMT", wantCluster: "prod"},
		"made before fleets":          {claim: claim("", "", nil), wantServer: "https://mgmt.example.com", wantCA: "MGMT", wantCluster: "prod"},
		"placed on a member":          {claim: claim("", "member-1", nil), wantServer: "https://member-1.example.com", wantCA: "M1", wantCluster: "prod-member-1"},
		"named, not placed yet":       {claim: claim("member-1", "", nil), wantServer: "https://member-1.example.com", wantCA: "M1", wantCluster: "prod-member-1"},
		"no cluster fits":             {claim: claim("", "", noFit), wantStatus: http.StatusConflict},
		"member without a kubeconfig": {claim: claim("", "member-2", nil), wantStatus: http.StatusInternalServerError},
	} {
		t.Run(name, func(t *testing.T) {
			ep, clusterName, err := s.endpointOf(context.Background(), tc.claim)
			if tc.wantStatus != 0 {
				var ae *apiError
				status := http.StatusInternalServerError
				if errors.As(err, &ae) {
					status = ae.status
				}
				if err == nil || status != tc.wantStatus {
					t.Fatalf("err = %v (status %d), want status %d", err, status, tc.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.Server != tc.wantServer || string(ep.CAData) != tc.wantCA || clusterName != tc.wantCluster {
				t.Errorf("got %s %q as %s, want %s %q as %s", ep.Server, ep.CAData, clusterName, tc.wantServer, tc.wantCA, tc.wantCluster)
			}
		})
	}
}
