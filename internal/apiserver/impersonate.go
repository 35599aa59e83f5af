package apiserver

import (
	"context"
	"errors"
	"net/http"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/authn"
)

// callerKey is the context key of the user a request to the API server is made on behalf of.
type callerKey struct{}

// withCaller returns a copy of ctx under which the client of NewImpersonatingClient acts as u.
func withCaller(ctx context.Context, u *authn.User) context.Context {
	return context.WithValue(ctx, callerKey{}, u)
}

// errNoCaller is returned for a request of the impersonating client made without a caller: it would otherwise
// run with naas's own, much wider, rights.
var errNoCaller = errors.New("refusing to call the Kubernetes API server without a caller to impersonate")

// NewImpersonatingClient returns a client that makes every request as the user carried by the request's
// context (see withCaller) by sending Kubernetes impersonation headers: Impersonate-User with the user name
// and one Impersonate-Group per group (the API server adds system:authenticated). The identity of cfg must be
// allowed to impersonate: the verb "impersonate" on users and groups (and serviceaccounts, for callers that
// are service accounts). A request without a caller fails rather than run as naas. opts should carry the
// manager's RESTMapper, since discovery made without a caller would fail.
func NewImpersonatingClient(cfg *rest.Config, opts client.Options) (client.Client, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &impersonator{next: rt} })
	return client.New(cfg, opts)
}

type impersonator struct {
	next http.RoundTripper
}

func (t *impersonator) RoundTrip(req *http.Request) (*http.Response, error) {
	u, _ := req.Context().Value(callerKey{}).(*authn.User)
	if u == nil || u.Name == "" {
		return nil, errNoCaller
	}
	req = req.Clone(req.Context())
	for k := range req.Header {
		// Never let anything else choose whom to impersonate.
		if len(k) > len("Impersonate-") && http.CanonicalHeaderKey(k[:len("Impersonate-")]) == "Impersonate-" {
			req.Header.Del(k)
		}
	}
	req.Header.Set(transport.ImpersonateUserHeader, u.Name)
	for _, g := range u.Groups {
		req.Header.Add(transport.ImpersonateGroupHeader, g)
	}
	return t.next.RoundTrip(req)
}
