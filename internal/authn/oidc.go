package authn

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Defaults of OIDCConfig.
const (
	DefaultUsernameClaim = "sub"
	DefaultGroupsClaim   = "groups"
)

// httpTimeout bounds each request to the issuer (discovery and key set), so a hung issuer cannot hold API
// requests forever.
const httpTimeout = 30 * time.Second

// OIDCConfig configures an OIDC authenticator. The claim settings mirror kube-apiserver's --oidc-* flags, so an
// issuer set up for the cluster works for naas too. Typical settings:
//
//   - Dex: UsernameClaim "email", GroupsClaim "groups".
//   - Keycloak: UsernameClaim "preferred_username", GroupsClaim "groups" (with a group membership mapper) or
//     "realm_access.roles".
//   - Azure AD (Entra ID): IssuerURL "https://login.microsoftonline.com/<tenant-id>/v2.0", UsernameClaim
//     "preferred_username" or "upn", GroupsClaim "groups" (object ids) or "roles" (app roles).
type OIDCConfig struct {
	// IssuerURL is the issuer's https URL; it must equal the "iss" claim of the tokens exactly, and
	// IssuerURL + "/.well-known/openid-configuration" must serve its discovery document.
	IssuerURL string
	// Audience is the value the "aud" claim of a token must contain: the client id for ID tokens, or the API's
	// identifier (for Azure AD, "api://<app-id>") for access tokens. Required.
	Audience string
	// UsernameClaim names the claim whose string value is the user name. Default "sub". With "email", a token
	// whose "email_verified" claim is false is refused.
	UsernameClaim string
	// UsernamePrefix is put in front of every user name, e.g. "oidc:" to keep OIDC users apart from the users of
	// the token file. Default none.
	UsernamePrefix string
	// GroupsClaim names the claim that holds the groups, either one string or a list of strings. A name with
	// dots that is not itself a claim is a path into nested objects ("realm_access.roles"). Default "groups". A
	// token without the claim has no groups.
	GroupsClaim string
	// GroupsPrefix is put in front of every group name. Default none.
	GroupsPrefix string
	// SigningAlgs are the JWS algorithms accepted. Default: those the discovery document lists, or RS256.
	SigningAlgs []string
	// CAFile names a PEM file of the certificate authorities that sign the issuer's serving certificate, for an
	// issuer with a private CA. Default: the host's roots. Mutually exclusive with HTTPClient.
	CAFile string
	// HTTPClient makes the requests to the issuer, for callers who need their own transport (and tests).
	HTTPClient *http.Client
	// Now is the clock expiry is checked against. Default time.Now.
	Now func() time.Time
}

// OIDC authenticates JWTs signed by an OpenID Connect issuer: it checks the signature against the issuer's key
// set (fetched through discovery and refreshed when a token names a key it has not seen), the issuer, the
// audience, the expiry and the not-before time, then reads the user name and groups from the configured claims.
// An OIDC is safe for concurrent use.
type OIDC struct {
	verifier       *oidc.IDTokenVerifier
	jwksURL        string
	usernameClaim  string
	usernamePrefix string
	groupsClaim    string
	groupsPrefix   string
}

var _ Authenticator = (*OIDC)(nil)

// NewOIDC discovers the issuer named in cfg and returns an authenticator for its tokens. ctx bounds discovery
// only; the key set is fetched when the first token arrives.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if err := validateOIDCConfig(cfg); err != nil {
		return nil, fmt.Errorf("invalid OIDC configuration: %w", err)
	}
	client := cfg.HTTPClient
	if client == nil {
		var err error
		if client, err = NewIssuerClient(cfg.CAFile); err != nil {
			return nil, err
		}
	}
	clientCtx := oidc.ClientContext(ctx, client)
	provider, err := oidc.NewProvider(clientCtx, cfg.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("discover OIDC issuer %s: %w", cfg.IssuerURL, err)
	}
	var discovery struct {
		JWKSURL string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&discovery); err != nil {
		return nil, fmt.Errorf("read discovery document of OIDC issuer %s: %w", cfg.IssuerURL, err)
	}
	if discovery.JWKSURL == "" {
		return nil, fmt.Errorf("discovery document of OIDC issuer %s has no jwks_uri", cfg.IssuerURL)
	}
	algs := cfg.SigningAlgs
	if len(algs) == 0 {
		algs = asymmetricAlgs(discovery.Algs)
	}
	// The key set's context only carries the HTTP client: go-oidc ignores its cancellation.
	keys := &classifyingKeySet{remote: oidc.NewRemoteKeySet(clientCtx, discovery.JWKSURL)}
	o := &OIDC{
		verifier: oidc.NewVerifier(cfg.IssuerURL, keys, &oidc.Config{
			ClientID:             cfg.Audience,
			SupportedSigningAlgs: algs,
			Now:                  cfg.Now,
		}),
		jwksURL:        discovery.JWKSURL,
		usernameClaim:  cmp.Or(cfg.UsernameClaim, DefaultUsernameClaim),
		usernamePrefix: cfg.UsernamePrefix,
		groupsClaim:    cmp.Or(cfg.GroupsClaim, DefaultGroupsClaim),
		groupsPrefix:   cfg.GroupsPrefix,
	}
	return o, nil
}

func validateOIDCConfig(cfg OIDCConfig) error {
	var errs []error
	u, err := url.Parse(cfg.IssuerURL)
	switch {
	case cfg.IssuerURL == "":
		errs = append(errs, errors.New("the issuer URL is required"))
	case err != nil:
		errs = append(errs, fmt.Errorf("the issuer URL: %w", err))
	case u.Scheme != "https" || u.Host == "":
		errs = append(errs, fmt.Errorf("the issuer URL %q must be an https URL: keys fetched over plain http could be forged", cfg.IssuerURL))
	case u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, fmt.Errorf("the issuer URL %q must not have a query or fragment", cfg.IssuerURL))
	}
	if cfg.Audience == "" {
		errs = append(errs, errors.New("the audience is required (the client id, or the API identifier the issuer puts in \"aud\")"))
	}
	if cfg.CAFile != "" && cfg.HTTPClient != nil {
		errs = append(errs, errors.New("set either a CA file or an HTTP client, not both"))
	}
	return errors.Join(errs...)
}

// NewIssuerClient returns an HTTP client for an OIDC issuer, as the authenticator uses: bounded in time and,
// with a CA file, trusting only the authorities in it. The portal's sign-in reaches the issuer with it too.
func NewIssuerClient(caFile string) (*http.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read OIDC CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("OIDC CA file %s holds no PEM certificates", caFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: transport, Timeout: httpTimeout}, nil
}

// asymmetricAlgs keeps the public-key algorithms of algs: a symmetric one (HS256) in a discovery document
// would let anyone holding the shared secret mint tokens, and go-oidc cannot verify it against a key set anyway.
func asymmetricAlgs(algs []string) []string {
	var out []string
	for _, a := range algs {
		switch a {
		case oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
			oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA:
			out = append(out, a)
		}
	}
	return out
}

// AuthenticateToken implements Authenticator.
func (o *OIDC) AuthenticateToken(ctx context.Context, token string) (*User, error) {
	var fetchErr error
	idToken, err := o.verifier.Verify(context.WithValue(ctx, keyFetchErrorKey{}, &fetchErr), token)
	if err != nil {
		if fetchErr != nil {
			return nil, fmt.Errorf("verify OIDC token: fetch the issuer's signing keys from %s: %w", o.jwksURL, fetchErr)
		}
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return nil, unauthenticated("the token expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
		}
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil {
		return nil, unauthenticated("the token's claims are not a JSON object: %v", err)
	}
	return o.userFrom(idToken.Subject, claims)
}

// userFrom maps verified claims to the user they name.
func (o *OIDC) userFrom(subject string, claims map[string]any) (*User, error) {
	raw, ok := lookupClaim(claims, o.usernameClaim)
	if !ok {
		return nil, unauthenticated("the token has no %q claim, which names the user; configure a username claim the issuer sets", o.usernameClaim)
	}
	name, ok := raw.(string)
	if !ok || name == "" {
		return nil, unauthenticated("the token's %q claim, which names the user, is not a non-empty string", o.usernameClaim)
	}
	if o.usernameClaim == "email" {
		// As kube-apiserver does: an address the issuer has not verified could belong to anyone.
		// Some issuers (AWS Cognito) send the boolean as a string.
		if v, present := claims["email_verified"]; present && v != true && v != "true" {
			return nil, unauthenticated("the token's email %q is not verified (email_verified is %v)", name, v)
		}
	}
	u := &User{Name: o.usernamePrefix + name, UID: subject}
	raw, ok = lookupClaim(claims, o.groupsClaim)
	if !ok {
		return u, nil
	}
	groups, err := stringOrList(raw)
	if err != nil {
		return nil, unauthenticated("the token's %q claim, which holds the groups: %v", o.groupsClaim, err)
	}
	for _, g := range groups {
		u.Groups = append(u.Groups, o.groupsPrefix+g)
	}
	return u, nil
}

// lookupClaim returns the claim called name or, when there is none and name has dots, the value at that path
// through nested objects (Keycloak's "realm_access.roles"). A claim literally named with dots, such as Auth0's
// "https://example.com/groups", wins over the path.
func lookupClaim(claims map[string]any, name string) (any, bool) {
	if v, ok := claims[name]; ok {
		return v, true
	}
	if !strings.Contains(name, ".") {
		return nil, false
	}
	var cur any = claims
	for part := range strings.SplitSeq(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// stringOrList accepts a claim that is one string or a list of strings.
func stringOrList(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %d is a %T, want a string", i, e)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("is a %T, want a string or a list of strings", v)
	}
}

// keyFetchErrorKey is the context key under which AuthenticateToken passes classifyingKeySet a place to report
// a failure to fetch the key set.
type keyFetchErrorKey struct{}

// classifyingKeySet tells a failure to fetch the issuer's keys apart from a bad signature. go-oidc reports both
// as a formatted error from Verify, but a token that merely could not be checked must not be answered with 401:
// the client would throw away a valid token. go-oidc's remote key set wraps every fetch failure (%w) and
// reports a signature that no key verifies as a bare error, which is what VerifySignature relies on;
// TestOIDC_UnreachableKeySetIsNotUnauthenticated pins it.
type classifyingKeySet struct {
	remote oidc.KeySet
}

// VerifySignature implements oidc.KeySet.
func (k *classifyingKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if err != nil && errors.Unwrap(err) != nil {
		if report, ok := ctx.Value(keyFetchErrorKey{}).(*error); ok {
			*report = err
		}
	}
	return payload, err
}
