package clusterconfig

import (
	"errors"
	"fmt"
	"net/url"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// MaxKubeconfigBytes bounds a member's kubeconfig: a Secret holds at most 1 MiB, and a kubeconfig of one context
// with inline certificates is a few KiB.
const MaxKubeconfigBytes = 256 << 10

// ParseKubeconfig reads a member cluster's kubeconfig as naas uses it: exactly one context, whose cluster has an
// https (or loopback http) server and whose credentials are inline. naas runs the kubeconfig inside its own
// process, so anything that would make it run a command (exec and auth-provider plugins) or read its own files
// (certificate, key and token paths) is refused: a kubeconfig must not reach beyond the cluster it names.
func ParseKubeconfig(b []byte) (*rest.Config, error) {
	if len(b) == 0 {
		return nil, errors.New("the kubeconfig is empty")
	}
	if len(b) > MaxKubeconfigBytes {
		return nil, fmt.Errorf("the kubeconfig is %d bytes, over the limit of %d", len(b), MaxKubeconfigBytes)
	}
	cfg, err := clientcmd.Load(b)
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig does not parse: %w", err)
	}
	if len(cfg.Contexts) != 1 {
		return nil, fmt.Errorf("the kubeconfig has %d contexts; give one with exactly one (kubectl config view --minify --flatten --context NAME)", len(cfg.Contexts))
	}
	var name string
	for n, ctx := range cfg.Contexts {
		name = n
		cl, ok := cfg.Clusters[ctx.Cluster]
		if !ok {
			return nil, fmt.Errorf("context %q names cluster %q, which the kubeconfig does not define", n, ctx.Cluster)
		}
		u, err := url.Parse(cl.Server)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("cluster %q: server %q is not an http(s) URL", ctx.Cluster, cl.Server)
		}
		if cl.CertificateAuthority != "" {
			return nil, fmt.Errorf("cluster %q: certificate-authority names a file; inline it as certificate-authority-data (kubectl config view --minify --flatten)", ctx.Cluster)
		}
		if cl.ProxyURL != "" {
			return nil, fmt.Errorf("cluster %q: proxy-url is not supported", ctx.Cluster)
		}
		user, ok := cfg.AuthInfos[ctx.AuthInfo]
		if !ok {
			return nil, fmt.Errorf("context %q names user %q, which the kubeconfig does not define", n, ctx.AuthInfo)
		}
		switch {
		case user.Exec != nil || user.AuthProvider != nil:
			return nil, fmt.Errorf("user %q runs a credential plugin; naas takes inline credentials only (a token, or a client certificate and key)", ctx.AuthInfo)
		case user.ClientCertificate != "" || user.ClientKey != "" || user.TokenFile != "":
			return nil, fmt.Errorf("user %q names credential files; inline them as client-certificate-data, client-key-data or token (kubectl config view --minify --flatten)", ctx.AuthInfo)
		case user.Impersonate != "" || len(user.ImpersonateGroups) > 0:
			return nil, fmt.Errorf("user %q impersonates; give naas credentials of its own", ctx.AuthInfo)
		case user.Token == "" && len(user.ClientCertificateData) == 0 && user.Username == "":
			return nil, fmt.Errorf("user %q has no credentials; give a token or a client certificate and key", ctx.AuthInfo)
		}
	}
	rc, err := clientcmd.NewNonInteractiveClientConfig(*cfg, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig is not usable: %w", err)
	}
	return rc, nil
}
