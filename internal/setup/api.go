package setup

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apiserver"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/portal"
	"github.com/naas-dev/naas/internal/ratelimit"
)

// APIOptions configure the REST API and the portal.
type APIOptions struct {
	// TokenFile is a static token file (kube-apiserver's format) whose users may use the API.
	TokenFile string

	// OIDCIssuerURL is the https URL of an OpenID Connect issuer whose tokens authenticate API callers; empty
	// turns OIDC off. The other OIDC settings mirror kube-apiserver's --oidc-* flags (see authn.OIDCConfig).
	OIDCIssuerURL string
	// OIDCAudience is the "aud" a token must carry (the client id, or the API's identifier). Required with an
	// issuer.
	OIDCAudience string
	// OIDCUsernameClaim names the claim holding the user name; "sub" when empty.
	OIDCUsernameClaim string
	// OIDCGroupsClaim names the claim holding the groups; "groups" when empty.
	OIDCGroupsClaim string
	// OIDCUsernamePrefix and OIDCGroupsPrefix are put in front of OIDC user and group names.
	OIDCUsernamePrefix, OIDCGroupsPrefix string
	// OIDCCAFile holds the certificate authorities of the issuer's serving certificate; the host's roots when
	// empty.
	OIDCCAFile string

	// OIDCClientID is the OAuth client id the CLI's device flow and the kubeconfigs' kubelogin sign in with;
	// OIDCAudience when empty.
	OIDCClientID string
	// OIDCClientScopes are the scopes clients ask for besides "openid".
	OIDCClientScopes []string
	// OIDCClientSecret is the portal's client secret at the issuer, for a confidential client; empty for a public
	// one (PKCE protects the code either way). NAAS_OIDC_CLIENT_SECRET is read when the flag is not given.
	OIDCClientSecret string
	// OIDCRedirectURL is where the issuer sends browsers back after portal sign-in; <portal URL>/auth/oidc/callback
	// when empty. The portal offers single sign-on when OIDCIssuerURL and OIDCClientID are set.
	OIDCRedirectURL string

	// PortalSessionTTL is how long a portal sign-in lasts; portal.DefaultSessionTTL when zero. OIDC sessions end
	// at the ID token's expiry too.
	PortalSessionTTL time.Duration

	// ClusterServer is the URL users reach the cluster's API server at, for the kubeconfigs the API hands out;
	// the URL naas itself uses when empty.
	ClusterServer string
	// ClusterCAFile holds the PEM certificate authorities of ClusterServer; with ClusterServer set and this
	// empty, the host's roots; with both empty, the CA naas itself trusts.
	ClusterCAFile string
	// ClusterName names the cluster in those kubeconfigs; apiserver.DefaultClusterName when empty.
	ClusterName string

	// RateLimit limits requests per user and per tenant. The zero value means ratelimit.DefaultConfig(); to turn
	// one kind of limit off, set its rate to rate.Inf. Set through AddFlags, the values are taken as given, and
	// a rate of 0 turns that kind off.
	RateLimit ratelimit.Config
	// AuthFailures limits failed authentications (API requests with a bad token, portal sign-ins) per client
	// address. The zero value means ratelimit.DefaultFailureConfig(); a rate of rate.Inf turns it off.
	AuthFailures ratelimit.FailureConfig
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header names the client address that
	// AuthFailures limits; none by default, so that a client cannot choose the address it is counted under.
	TrustedProxies []string
	// AdminTokenFile is where naas up wrote the platform admin's token, for the portal's sign-in hint; empty
	// under naas serve.
	AdminTokenFile string
	// Database is the DSN of the database that holds the audit log: postgres://... for a PostgreSQL database that
	// replicas share, or sqlite://PATH (see audit.Open). Empty: the SQLite file AuditDB, or <DataDir>/audit.db.
	Database string
	// AuditDB is the path of an SQLite audit database; <DataDir>/audit.db when empty. Superseded by Database.
	AuditDB string
	// MaxBodyBytes bounds request bodies; apiserver.DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
	// Cost configures cost allocation (see cost.go).
	Cost CostOptions

	// rateLimitFromFlags says RateLimit came from flags, zeros included.
	rateLimitFromFlags bool
}

// AddFlags registers the API flags.
func (o *APIOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.TokenFile, "token-file", o.TokenFile,
		`static API users, in kube-apiserver's token file format (token,user,uid,"group1,group2")`)
	o.AddServingFlags(fs)
}

// AddServingFlags registers every API flag but --token-file, for commands that define that flag themselves
// (naas up writes the API's token file from its own).
func (o *APIOptions) AddServingFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.OIDCIssuerURL, "oidc-issuer-url", o.OIDCIssuerURL,
		"https URL of an OpenID Connect issuer (Azure AD, Keycloak, Dex...) whose tokens authenticate API callers; it must equal the tokens' \"iss\"")
	fs.StringVar(&o.OIDCAudience, "oidc-audience", o.OIDCAudience,
		`the "aud" OIDC tokens must carry: the client id, or the API identifier (Azure AD: api://<app-id>)`)
	fs.StringVar(&o.OIDCUsernameClaim, "oidc-username-claim", authn.DefaultUsernameClaim,
		`OIDC claim holding the user name, e.g. email (Dex), preferred_username (Keycloak, Azure AD)`)
	fs.StringVar(&o.OIDCGroupsClaim, "oidc-groups-claim", authn.DefaultGroupsClaim,
		`OIDC claim holding the groups (a dotted path such as realm_access.roles reaches into nested claims)`)
	fs.StringVar(&o.OIDCUsernamePrefix, "oidc-username-prefix", o.OIDCUsernamePrefix, `prefix of OIDC user names, e.g. "oidc:"`)
	fs.StringVar(&o.OIDCGroupsPrefix, "oidc-groups-prefix", o.OIDCGroupsPrefix, `prefix of OIDC group names, e.g. "oidc:"`)
	fs.StringVar(&o.OIDCCAFile, "oidc-ca-file", o.OIDCCAFile, "PEM certificate authorities of the OIDC issuer's serving certificate (default: the host's roots)")

	fs.StringVar(&o.OIDCClientID, "oidc-client-id", o.OIDCClientID,
		"OAuth client id the naas CLI (device flow) and kubeconfigs (kubelogin) sign in with; a public client (default: --oidc-audience)")
	fs.StringSliceVar(&o.OIDCClientScopes, "oidc-client-scopes", o.OIDCClientScopes,
		`scopes clients ask the OIDC issuer for besides "openid", e.g. email,groups,offline_access`)
	fs.StringVar(&o.OIDCClientSecret, "oidc-client-secret", o.OIDCClientSecret,
		"the portal's OAuth client secret, for a confidential client (default: $NAAS_OIDC_CLIENT_SECRET; empty for a public client)")
	fs.StringVar(&o.OIDCRedirectURL, "oidc-redirect-url", o.OIDCRedirectURL,
		"where the OIDC issuer sends browsers back after portal sign-in; register it with the issuer (default <portal-url>/auth/oidc/callback)")
	fs.DurationVar(&o.PortalSessionTTL, "portal-session-ttl", portal.DefaultSessionTTL,
		"how long a portal sign-in lasts (OIDC sign-ins also end when the ID token expires)")
	fs.StringVar(&o.ClusterServer, "cluster-server", o.ClusterServer,
		"URL users reach the cluster's API server at, written into the kubeconfigs naas hands out (default: the URL naas uses)")
	fs.StringVar(&o.ClusterCAFile, "cluster-ca-file", o.ClusterCAFile,
		"PEM certificate authorities of --cluster-server, written into those kubeconfigs (default: the CA naas trusts, or none with --cluster-server)")
	fs.StringVar(&o.ClusterName, "cluster-name", o.ClusterName,
		"name of the cluster in those kubeconfigs, and prefix of their context and user names (default \"naas\")")

	def := ratelimit.DefaultConfig()
	o.RateLimit, o.rateLimitFromFlags = def, true
	fs.Float64Var((*float64)(&o.RateLimit.PerUser), "rate-limit-per-user", float64(def.PerUser),
		"sustained API requests per second of one user; 0 turns per-user limits off")
	fs.IntVar(&o.RateLimit.UserBurst, "rate-limit-user-burst", def.UserBurst, "API requests one user may make at once")
	fs.Float64Var((*float64)(&o.RateLimit.PerTenant), "rate-limit-per-tenant", float64(def.PerTenant),
		"sustained API requests per second of all users of one tenant together; 0 turns per-tenant limits off")
	fs.IntVar(&o.RateLimit.TenantBurst, "rate-limit-tenant-burst", def.TenantBurst, "API requests a tenant's users may make at once")

	fs.StringVar(&o.Database, "database", cmp.Or(o.Database, os.Getenv("NAAS_DATABASE")),
		"database of the audit log: postgres://USER@HOST:PORT/DB?sslmode=verify-full for one that replicas share (password from PGPASSWORD or PGPASSFILE, or in the DSN), or sqlite://PATH (default: $NAAS_DATABASE, else sqlite://<data-dir>/audit.db)")
	fs.StringSliceVar(&o.TrustedProxies, "trusted-proxies", o.TrustedProxies,
		"addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client, for the limit on failed authentications per client address (default: none; the connection's address counts)")
	fs.StringVar(&o.AuditDB, "audit-db", o.AuditDB, "path of the audit database, SQLite (default <data-dir>/audit.db)")
	_ = fs.MarkDeprecated("audit-db", "use --database sqlite://PATH") // The flag was just defined.
	fs.Int64Var(&o.MaxBodyBytes, "api-max-body-bytes", apiserver.DefaultMaxBodyBytes, "largest API request body accepted, in bytes")
	o.addCostFlags(fs)
}

// database returns the DSN of the audit database: Database, else AuditDB or <dataDir>/audit.db as SQLite; empty
// when none is set.
func (o *APIOptions) database(dataDir string) (string, error) {
	switch {
	case o.Database != "" && o.AuditDB != "":
		return "", errors.New("--database and --audit-db are both set: keep --database (--audit-db PATH is --database sqlite://PATH)")
	case o.Database != "":
		return o.Database, nil
	case o.AuditDB != "":
		return "sqlite://" + o.AuditDB, nil
	case dataDir != "":
		return "sqlite://" + filepath.Join(dataDir, "audit.db"), nil
	}
	return "", nil
}

// CheckDatabase checks the database flags without opening anything, so that a command fails at once on a bad
// DSN, before it starts what takes time.
func (o *APIOptions) CheckDatabase(dataDir string) error {
	dsn, err := o.database(dataDir)
	if err != nil || dsn == "" {
		return err
	}
	if err := audit.CheckDSN(dsn); err != nil {
		return fmt.Errorf("--database: %w", err)
	}
	return nil
}

func (o *APIOptions) rateLimitConfig() ratelimit.Config {
	if !o.rateLimitFromFlags && o.RateLimit == (ratelimit.Config{}) {
		return ratelimit.DefaultConfig()
	}
	return o.RateLimit
}

// authFailures builds the limit on failed authentications per client address and the proxies trusted to name
// the client.
func (o *APIOptions) authFailures() (*ratelimit.Failures, []netip.Prefix, error) {
	cfg := o.AuthFailures
	if cfg == (ratelimit.FailureConfig{}) {
		cfg = ratelimit.DefaultFailureConfig()
	}
	failures, err := ratelimit.NewFailures(cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	var proxies []netip.Prefix
	for _, s := range o.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, nil, fmt.Errorf("--trusted-proxies: %q is neither an address nor a CIDR", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		proxies = append(proxies, p)
	}
	return failures, proxies, nil
}

// authenticator builds the union of the configured authenticators; nil when none is configured.
func (o *APIOptions) authenticator(ctx context.Context) (authn.Authenticator, []string, error) {
	var (
		union   authn.Union
		methods []string
	)
	if o.TokenFile != "" {
		tf, err := authn.LoadTokenFile(o.TokenFile)
		if err != nil {
			return nil, nil, fmt.Errorf("API authentication (--token-file): %w", err)
		}
		union = append(union, tf)
		methods = append(methods, "token file "+o.TokenFile)
	}
	if o.OIDCIssuerURL != "" {
		oidc, err := authn.NewOIDC(ctx, authn.OIDCConfig{
			IssuerURL:      o.OIDCIssuerURL,
			Audience:       o.OIDCAudience,
			UsernameClaim:  o.OIDCUsernameClaim,
			UsernamePrefix: o.OIDCUsernamePrefix,
			GroupsClaim:    o.OIDCGroupsClaim,
			GroupsPrefix:   o.OIDCGroupsPrefix,
			CAFile:         o.OIDCCAFile,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("API authentication (--oidc-*): %w", err)
		}
		union = append(union, oidc)
		methods = append(methods, "OIDC issuer "+o.OIDCIssuerURL)
	} else if o.OIDCAudience != "" {
		return nil, nil, errors.New("API authentication: --oidc-audience is set but --oidc-issuer-url is not; set both, or neither")
	}
	if len(union) == 0 {
		return nil, nil, nil
	}
	return union, methods, nil
}

// apiState is what registerAPI sets up that the rest of the platform uses.
type apiState struct {
	// audit is the audit store; nil when the API has neither authentication nor a data directory.
	audit  audit.Store
	server *apiserver.Server
}

// closeAPI closes the audit store once the requests in flight are answered. It runs after the manager stopped,
// so that nothing is left to audit.
func (p *Platform) closeAPI() error {
	if p.api.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.api.server.Drain(ctx)
	}
	if p.api.audit == nil {
		return nil
	}
	return p.api.audit.Close()
}

// apiMetrics are registered once per process: the registry is process-global, and a process may start the
// platform more than once (the integration tests restart it).
var apiMetrics = sync.OnceValue(func() *apiserver.Metrics { return apiserver.NewMetrics(metrics.Registry) })

// registerAPI registers the REST API and portal handlers on p.Mux.
func (p *Platform) registerAPI(ctx context.Context) error {
	o := p.opts.API
	auth, methods, err := o.authenticator(ctx)
	if err != nil {
		return err
	}
	dsn, err := o.database(p.opts.DataDir)
	if err != nil {
		return err
	}
	switch {
	case dsn != "":
		store, err := audit.Open(ctx, dsn)
		if err != nil {
			return fmt.Errorf("--database: %w", err)
		}
		p.api.audit = store
	case auth != nil:
		return errors.New("the REST API needs an audit database: set --database or --data-dir")
	}
	limiter, err := ratelimit.New(o.rateLimitConfig())
	if err != nil {
		return fmt.Errorf("API rate limits: %w", err)
	}
	failures, proxies, err := o.authFailures()
	if err != nil {
		return fmt.Errorf("API authentication limits: %w", err)
	}
	mgr := p.Manager
	asCaller, err := apiserver.NewImpersonatingClient(p.opts.Config, client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return fmt.Errorf("create the impersonating client: %w", err)
	}
	cfg := apiserver.Config{
		Cache:         mgr.GetClient(),
		Reader:        mgr.GetAPIReader(),
		AsCaller:      asCaller,
		AsNaas:        mgr.GetClient(),
		Limiter:       limiter,
		Log:           ctrl.Log.WithName("api"),
		Metrics:       apiMetrics(),
		MaxBodyBytes:  o.MaxBodyBytes,
		Authenticator: auth,
		Audit:         p.api.audit,

		SystemNamespace: p.systemNamespace,
	}
	if cfg.Costs, err = p.registerCost(); err != nil {
		return err
	}
	cfg.AuthFailures, cfg.TrustedProxies = failures, proxies
	if cfg.Client, err = p.clientConfig(); err != nil {
		return err
	}
	// Namespaces on members get kubeconfigs of their member's API server, read from its kubeconfig Secret.
	cfg.Client.Member = func(ctx context.Context, name string) (cluster.Endpoint, error) {
		return cluster.EndpointOf(ctx, mgr.GetClient(), mgr.GetAPIReader(), p.systemNamespace, name)
	}
	// The portal's session cookie authenticates API requests too (the kubeconfig download, say); writes so
	// authenticated must carry the session's CSRF token (GuardAPI).
	// Sessions live in cookies sealed under a key every replica shares, so that they work on any replica and
	// survive restarts.
	direct, err := client.New(p.opts.Config, client.Options{Scheme: mgr.GetScheme()})
	if err != nil {
		return err
	}
	sessionKey, err := portalSessionKey(ctx, direct, p.systemNamespace)
	if err != nil {
		return err
	}
	sessions, err := portal.NewSessions(portal.SessionOptions{TTL: o.PortalSessionTTL, Key: sessionKey})
	if err != nil {
		return fmt.Errorf("portal sessions (--portal-session-ttl): %w", err)
	}
	cfg.AuthOptions = sessions.AuthOptions()
	cfg.Guard = sessions.GuardAPI
	srv, err := apiserver.New(cfg)
	if err != nil {
		return err
	}
	p.Mux.Handle(restv1.Prefix+"/", srv.Handler())
	p.api.server = srv
	if len(methods) == 0 {
		p.opts.Progress("REST API on %s answers 401: no authentication configured (--token-file, --oidc-issuer-url)", restv1.Prefix)
	} else {
		p.opts.Progress("REST API on %s: authentication by %s; audit log in %s", restv1.Prefix, strings.Join(methods, " and "), audit.Redact(dsn))
	}
	return p.registerPortal(ctx, srv, sessions, auth, failures, proxies)
}

// registerPortal serves the portal at "/", over the API's handler.
func (p *Platform) registerPortal(ctx context.Context, srv *apiserver.Server, sessions *portal.Sessions, auth authn.Authenticator,
	failures *ratelimit.Failures, proxies []netip.Prefix) error {
	o := p.opts.API
	sso, err := o.portalOIDC(p.opts.Bundle.PortalURL)
	if err != nil {
		return err
	}
	mgr := p.Manager
	pcfg := portal.Config{
		API:           srv.Handler(),
		Sessions:      sessions,
		Authenticator: auth,
		Cache:         mgr.GetClient(),
		Reader:        mgr.GetAPIReader(),
		OIDC:          sso,
		PublicURL:     p.opts.Bundle.PortalURL,
		Log:           ctrl.Log.WithName("portal"),
	}
	pcfg.AuthFailures, pcfg.TrustedProxies, pcfg.AdminTokenFile = failures, proxies, o.AdminTokenFile
	pt, err := portal.New(ctx, pcfg)
	if err != nil {
		return err
	}
	p.Mux.Handle("/", pt.Handler())
	// Progress streams stay open until provisioning ends; end them when naas stops, so the HTTP server can.
	if err := mgr.Add(everyReplica(func(ctx context.Context) error {
		<-ctx.Done()
		pt.Shutdown()
		return nil
	})); err != nil {
		return err
	}
	if sso != nil {
		p.opts.Progress("portal on / : sign-in with %s (client %s, callback %s) or a token", o.OIDCIssuerURL, sso.ClientID, sso.RedirectURL)
	}
	return nil
}

// portalOIDC is the portal's single sign-on configuration: nil unless both an issuer and a client id are set.
func (o *APIOptions) portalOIDC(portalURL string) (*portal.OIDCConfig, error) {
	secret := cmp.Or(o.OIDCClientSecret, os.Getenv("NAAS_OIDC_CLIENT_SECRET"))
	if o.OIDCIssuerURL == "" || o.OIDCClientID == "" {
		if o.OIDCRedirectURL != "" || o.OIDCClientSecret != "" {
			return nil, errors.New("portal sign-in: --oidc-redirect-url and --oidc-client-secret take effect with --oidc-issuer-url and --oidc-client-id; set those too, or neither")
		}
		return nil, nil
	}
	redirect := o.OIDCRedirectURL
	if redirect == "" {
		if portalURL == "" {
			return nil, errors.New("portal sign-in: set --oidc-redirect-url (or --portal-url) to the URL browsers reach the portal's /auth/oidc/callback at")
		}
		redirect = strings.TrimSuffix(portalURL, "/") + "/auth/oidc/callback"
	}
	hc, err := authn.NewIssuerClient(o.OIDCCAFile)
	if err != nil {
		return nil, fmt.Errorf("portal sign-in (--oidc-ca-file): %w", err)
	}
	scopes := o.OIDCClientScopes
	if len(scopes) == 0 {
		scopes = []string{"profile", "email"}
	}
	return &portal.OIDCConfig{
		IssuerURL: o.OIDCIssuerURL, ClientID: o.OIDCClientID, ClientSecret: secret, RedirectURL: redirect,
		Scopes: scopes, HTTPClient: hc,
	}, nil
}

// clientConfig is what the API tells clients about the cluster and signing in.
func (p *Platform) clientConfig() (apiserver.ClientConfig, error) {
	o := p.opts.API
	cc := apiserver.ClientConfig{
		ClusterServer: o.ClusterServer,
		ClusterName:   o.ClusterName,
		OIDCIssuerURL: o.OIDCIssuerURL,
		OIDCClientID:  cmp.Or(o.OIDCClientID, o.OIDCAudience),
		OIDCScopes:    o.OIDCClientScopes,
	}
	if cc.ClusterServer == "" {
		cc.ClusterServer = p.opts.Config.Host
		cc.ClusterCAData = p.opts.Config.CAData
		if len(cc.ClusterCAData) == 0 && p.opts.Config.CAFile != "" && o.ClusterCAFile == "" {
			o.ClusterCAFile = p.opts.Config.CAFile
		}
	}
	if o.ClusterCAFile != "" {
		data, err := os.ReadFile(o.ClusterCAFile)
		if err != nil {
			return cc, fmt.Errorf("--cluster-ca-file: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(data) {
			return cc, fmt.Errorf("--cluster-ca-file %s holds no PEM certificate; give the CA bundle of the cluster's API server", o.ClusterCAFile)
		}
		cc.ClusterCAData = data
	}
	return cc, nil
}

// recordOutcome audits a provisioning outcome of the namespace claim controller.
func (p *Platform) recordOutcome(ctx context.Context, claim *naasv1alpha1.NamespaceClaim, ready bool, reason, message string) {
	if p.api.audit == nil {
		return
	}
	e := audit.Event{
		User:      p.Identity,
		Action:    audit.ActionProvisionReady,
		Tenant:    claim.Spec.Tenant,
		Namespace: claim.Name,
		Result:    audit.ResultSuccess,
		Reason:    reason + ": " + message,
		Details:   map[string]string{"template": claim.Spec.Template, "tier": claim.Status.Tier, "phase": claim.Status.Phase},
	}
	if !ready {
		e.Action, e.Result = audit.ActionProvisionFailed, audit.ResultFailure
	}
	if err := p.api.audit.Record(ctx, e); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Cannot audit a provisioning outcome", "namespace", claim.Name, "ready", ready)
	}
}
