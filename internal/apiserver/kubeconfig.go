package apiserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/tenancy"
)

// DefaultClusterName names the cluster in the kubeconfigs the API hands out when ClientConfig.ClusterName is
// empty.
const DefaultClusterName = "naas"

// ClientConfig is what the API tells its clients about how to reach the cluster and how to sign in: the
// kubeconfigs of GET /namespaces/{namespace}/kubeconfig and the public GET /auth/config.
type ClientConfig struct {
	// ClusterServer is the URL users reach the target cluster's API server at. Kubeconfigs cannot be made
	// without it (503 saying how to set it).
	ClusterServer string
	// ClusterCAData are the PEM certificate authorities of ClusterServer's serving certificate; none means the
	// client host's roots.
	ClusterCAData []byte
	// ClusterName names the cluster in kubeconfigs, and prefixes their context and user names, so that
	// kubeconfigs of several naas installations merge without clashes. DefaultClusterName when empty.
	ClusterName string
	// Member returns where users reach a member cluster's API server (the server and CA of the member's
	// kubeconfig Secret), for the kubeconfigs of namespaces placed there; nil knows no members.
	Member func(ctx context.Context, cluster string) (cluster.Endpoint, error)
	// OIDCIssuerURL is the issuer of the OIDC tokens the API accepts; empty when OIDC is off.
	OIDCIssuerURL string
	// OIDCClientID is the OAuth client id clients sign in with (the CLI's device flow, kubelogin).
	OIDCClientID string
	// OIDCScopes are the scopes clients ask for besides "openid"; e.g. "email", "groups", "offline_access".
	OIDCScopes []string
}

func (c ClientConfig) clusterName() string {
	if c.ClusterName == "" {
		return DefaultClusterName
	}
	return c.ClusterName
}

func (s *Server) getAuthConfig(w http.ResponseWriter, _ *http.Request) {
	out := restv1.AuthConfig{}
	if c := s.cfg.Client; c.OIDCIssuerURL != "" {
		out.OIDC = &restv1.OIDCClient{IssuerURL: c.OIDCIssuerURL, ClientID: c.OIDCClientID, Scopes: c.OIDCScopes}
	}
	s.writeJSON(w, http.StatusOK, out)
}

// getKubeconfig answers a kubeconfig for the namespace: the target cluster, a context whose namespace is the
// namespace, and the caller's own credentials, never naas's. Anyone who may view the namespace gets one; what
// they may do with it is up to the cluster's RBAC, which naas sets up per tenant role.
func (s *Server) getKubeconfig(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.claimFor(w, r, tenancy.ActionView)
	if !ok {
		return
	}
	mode := r.URL.Query().Get("auth")
	switch mode {
	case "", restv1.KubeconfigAuthExec, restv1.KubeconfigAuthToken:
	default:
		s.fail(w, r, malformed("auth", "enum", "query parameter auth must be %q or %q; got %q",
			restv1.KubeconfigAuthExec, restv1.KubeconfigAuthToken, mode))
		return
	}
	cc := s.cfg.Client
	if cc.ClusterServer == "" {
		s.fail(w, r, errorf(http.StatusServiceUnavailable, restv1.ProblemUnavailable,
			"naas does not know the URL of the cluster's API server; the platform team must start naas with --cluster-server"))
		return
	}
	token, found := authn.TokenFrom(r.Context())
	if !found {
		s.fail(w, r, fmt.Errorf("kubeconfig of %s: the request carries no bearer token", c.Name))
		return
	}
	user := stateOf(r).userName()
	ep, name, err := s.endpointOf(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cfg := s.kubeconfig(c.Name, user, token, mode, ep, name)
	body, err := clientcmd.Write(*cfg)
	if err != nil {
		s.fail(w, r, fmt.Errorf("encode the kubeconfig of %s: %w", c.Name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", restv1.KubeconfigContentType)
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", c.Name+".kubeconfig"))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store") // It holds the caller's credentials.
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// kubeconfig builds the kubeconfig of namespace for user, who authenticated with token. An OIDC token gets an
// exec credential plugin unless mode asks for the token itself; any other token is embedded as is (the static
// tokens of the token file are the kube-apiserver's too).
func (s *Server) kubeconfig(namespace, user, token, mode string, ep cluster.Endpoint, clusterName string) *clientcmdapi.Config {
	cc := s.cfg.Client
	userName := cc.clusterName() + "-" + user
	contextName := cc.clusterName() + "-" + namespace
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{Server: ep.Server, CertificateAuthorityData: ep.CAData}
	auth := &clientcmdapi.AuthInfo{Token: token}
	if mode != restv1.KubeconfigAuthToken && cc.OIDCIssuerURL != "" && issuerOf(token) == cc.OIDCIssuerURL {
		auth = &clientcmdapi.AuthInfo{Exec: oidcExec(cc)}
	}
	cfg.AuthInfos[userName] = auth
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: userName, Namespace: namespace}
	cfg.CurrentContext = contextName
	return cfg
}

// endpointOf is the API server the namespace of claim c lives on, and the cluster's name in kubeconfigs: the
// management cluster's (ClientConfig.ClusterServer) for "local", else the member's, named <name>-<member> so
// that kubeconfigs of several members merge without clashes.
func (s *Server) endpointOf(ctx context.Context, c *naasv1alpha1.NamespaceClaim) (cluster.Endpoint, string, error) {
	cc := s.cfg.Client
	member := c.Status.Cluster
	if member == "" && c.Spec.Cluster != "" {
		member = c.Spec.Cluster
	}
	if placed := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionPlaced); member == "" && placed != nil && placed.Status != metav1.ConditionTrue {
		return cluster.Endpoint{}, "", conflict("namespace %q is not placed on a cluster yet: %s", c.Name, placed.Message)
	}
	if member == "" || member == naasv1alpha1.LocalClusterName || cc.Member == nil {
		return cluster.Endpoint{Server: cc.ClusterServer, CAData: cc.ClusterCAData}, cc.clusterName(), nil
	}
	ep, err := cc.Member(ctx, member)
	if err != nil {
		return cluster.Endpoint{}, "", fmt.Errorf("kubeconfig of %s on cluster %s: %w", c.Name, member, err)
	}
	return ep, cc.clusterName() + "-" + member, nil
}

// oidcExec is the exec credential plugin of kubelogin (https://github.com/int128/kubelogin), which signs the
// user in to the issuer in a browser (or with the device flow) and caches and refreshes their token.
func oidcExec(cc ClientConfig) *clientcmdapi.ExecConfig {
	args := []string{"oidc-login", "get-token", "--oidc-issuer-url=" + cc.OIDCIssuerURL, "--oidc-client-id=" + cc.OIDCClientID}
	for _, scope := range cc.OIDCScopes {
		args = append(args, "--oidc-extra-scope="+scope)
	}
	return &clientcmdapi.ExecConfig{
		APIVersion:      "client.authentication.k8s.io/v1",
		Command:         "kubectl",
		Args:            args,
		InteractiveMode: clientcmdapi.IfAvailableExecInteractiveMode,
		InstallHint: "This kubeconfig signs you in with kubelogin, the kubectl oidc-login plugin: install it with " +
			"`kubectl krew install oidc-login` (https://github.com/int128/kubelogin), or download a kubeconfig with an " +
			"embedded token (naas kubeconfig --auth=token).",
	}
}

// issuerOf returns the "iss" claim of token when it is a JWT, and "" otherwise. The token was verified by the
// authenticator already; this only tells an OIDC token from a static one.
func issuerOf(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Issuer
}
