// Package testenv starts the real local control plane (etcd, kube-apiserver and
// kube-controller-manager built from the Kubernetes modules) for integration
// tests: one environment per test package, started from TestMain, in a temporary
// directory on free ports, with the naas CRDs installed and a roster of static
// token users that tests act as. Missing binaries are a test failure that says
// how to build them, never a silent skip. PostgresForTest starts a real PostgreSQL server the same way, for the
// stores that keep naas's records in one (skipped only with NAAS_TEST_POSTGRES=skip).
package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/kubeaudit"
	"github.com/naas-dev/naas/internal/localcp"
)

// DefaultUsers are the static token users every environment has. Each user is in
// the group "team-<name>"; "platform-admin" is also a naas platform admin.
var DefaultUsers = []User{
	{Name: "alice", Groups: []string{"team-alice"}},
	{Name: "bob", Groups: []string{"team-bob"}},
	{Name: "carol", Groups: []string{"team-carol"}},
	{Name: "dave", Groups: []string{"team-dave"}},
	{Name: "erin", Groups: []string{"team-erin"}},
	{Name: "mallory", Groups: []string{"team-mallory"}},
	{Name: "platform-admin", Groups: []string{localcp.PlatformAdminGroup}},
}

// User is a static token user of the test environment.
type User struct {
	Name   string
	Groups []string
}

// Options configure an environment.
type Options struct {
	// Users are added to DefaultUsers.
	Users []User
	// NoControllerManager skips kube-controller-manager, for packages that need
	// neither namespace deletion nor quota status.
	NoControllerManager bool
	// CRDPaths are extra CRD files or directories to install besides config/crd.
	CRDPaths []string
	// NoNaasCRDs leaves out config/crd, for tests that install another release's CRDs themselves.
	NoNaasCRDs bool
	// APIServerArgs are extra kube-apiserver flags (localcp.Options.ExtraAPIServerArgs).
	APIServerArgs []string
	// AdmissionPlugins replace the local control plane's admission plugins (localcp.Options.AdmissionPlugins).
	AdmissionPlugins []string
	// ControllerManagerArgs are extra kube-controller-manager flags (localcp.Options.ExtraControllerManagerArgs).
	ControllerManagerArgs []string
	// Seed, for MainWithPlatform, makes the objects every test of the package starts from, once naas is up and
	// before the tests run.
	Seed func() error
	// AsServiceAccount runs naas (StartPlatform) as the Helm chart does: as the ServiceAccount naas in
	// naas-system, with exactly the rights of platform.OperatorClusterRole and platform.SystemNamespaceRole,
	// authenticated with a TokenRequest token, instead of as a cluster admin.
	AsServiceAccount bool
	// ExtraOperatorRules are granted to that ServiceAccount besides naas's own rules, as the chart's
	// rbac.extraRules do (e.g. the kinds a test's templates create).
	ExtraOperatorRules []rbacv1.PolicyRule
	// Nodes starts kube-scheduler and kwok with that many simulated nodes (localcp.DefaultNodes), so that pods are
	// scheduled by their requests and become Running. Off by default: most tests need no running pods.
	Nodes int
	// WebhooksThroughService has StartPlatform register naas's webhooks through a Service (ThroughWebhookService),
	// as in a real install, rather than at a loopback URL.
	WebhooksThroughService bool
}

// Environment is a running local control plane for tests.
type Environment struct {
	// Config is a cluster-admin configuration.
	Config *rest.Config
	// NaasConfig is the configuration StartPlatform runs naas with: Config, or naas's ServiceAccount with
	// Options.AsServiceAccount.
	NaasConfig *rest.Config
	// Client is a cluster-admin client with the naas types registered.
	Client client.Client
	// Scheme knows the Kubernetes and naas types.
	Scheme *runtime.Scheme
	// RepoRoot is the repository root.
	RepoRoot string
	// ControlPlane is the running control plane.
	ControlPlane *localcp.ControlPlane

	// AuditLog records the requests of naas on a member (StartMember); nil otherwise.
	AuditLog *kubeaudit.Log

	dir    string
	tokens map[string]string
	// memberIdentity is the user naas acts as on a member (StartMember).
	memberIdentity string
	// cleanup runs at Stop.
	cleanup   []func()
	tokenFile sync.Once
	// webhooksThroughService is Options.WebhooksThroughService.
	webhooksThroughService bool
}

// Start starts an environment. Call Stop when done.
func Start(opts Options) (*Environment, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	minor, err := localcp.SelectedMinor()
	if err != nil {
		return nil, err
	}
	binDir, err := ControlPlaneBinDir(root)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "naas-testenv-")
	if err != nil {
		return nil, err
	}
	env := &Environment{RepoRoot: root, dir: dir, tokens: map[string]string{}, webhooksThroughService: opts.WebhooksThroughService}
	var users []localcp.TokenUser
	for _, u := range append(append([]User{}, DefaultUsers...), opts.Users...) {
		tok := localcp.NewToken()
		env.tokens[u.Name] = tok
		users = append(users, localcp.TokenUser{Token: tok, Name: u.Name, UID: u.Name, Groups: u.Groups})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := func() (*localcp.ControlPlane, error) {
		return localcp.Start(ctx, localcp.Options{
			BinDir:                     binDir,
			DataDir:                    dir,
			Users:                      users,
			NoControllerManager:        opts.NoControllerManager,
			Ephemeral:                  true,
			ExtraAPIServerArgs:         opts.APIServerArgs,
			AdmissionPlugins:           opts.AdmissionPlugins,
			ExtraControllerManagerArgs: opts.ControllerManagerArgs,
			Nodes:                      localcp.DefaultNodes(opts.Nodes),
		})
	}
	cp, err := start()
	// The control plane's ports are free when chosen and bound a moment later: another test package running
	// beside this one (go test runs packages in parallel) can take one in between. Choose again, twice at most.
	for try := 0; try < 2 && err != nil && strings.Contains(err.Error(), "address already in use"); try++ {
		cp, err = start()
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start the local control plane: %w", err)
	}
	env.ControlPlane = cp
	env.Config = cp.Config
	if err := checkServerMinor(env.Config, minor); err != nil {
		env.Stop()
		return nil, err
	}
	env.Scheme = NewScheme()
	if env.Client, err = client.New(env.Config, client.Options{Scheme: env.Scheme}); err != nil {
		env.Stop()
		return nil, err
	}
	paths := opts.CRDPaths
	if !opts.NoNaasCRDs {
		paths = append([]string{filepath.Join(root, "config", "crd")}, paths...)
	}
	if len(paths) == 0 {
		return env, nil
	}
	if _, err := envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{Paths: paths, ErrorIfPathMissing: true}); err != nil {
		env.Stop()
		return nil, fmt.Errorf("install CRDs: %w", err)
	}
	env.NaasConfig = env.Config
	if opts.AsServiceAccount {
		if env.NaasConfig, err = installServiceAccount(ctx, env.Config, env.Client, opts.ExtraOperatorRules); err != nil {
			env.Stop()
			return nil, err
		}
	}
	return env, nil
}

// NewScheme returns a scheme with the Kubernetes and naas types.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = naasv1alpha1.AddToScheme(s)
	return s
}

// Stop stops the control plane and removes its directory.
func (e *Environment) Stop() {
	if e.ControlPlane != nil {
		e.ControlPlane.Stop()
	}
	_ = os.RemoveAll(e.dir)
	for _, f := range e.cleanup {
		f()
	}
}

// Token returns the bearer token of a user of the environment.
func (e *Environment) Token(user string) string {
	tok, ok := e.tokens[user]
	if !ok {
		panic(fmt.Sprintf("testenv: no user %q; add it to Options.Users", user))
	}
	return tok
}

// UserConfig returns a client configuration that authenticates as user with its token.
func (e *Environment) UserConfig(user string) *rest.Config {
	cfg := rest.AnonymousClientConfig(e.Config)
	cfg.BearerToken = e.Token(user)
	return cfg
}

// UserClient returns a client that authenticates as user with its token.
func (e *Environment) UserClient(user string) client.Client {
	c, err := client.New(e.UserConfig(user), client.Options{Scheme: e.Scheme})
	if err != nil {
		panic(err)
	}
	return c
}

// Main runs a test package's tests in one environment: call it from TestMain. It
// stores the environment in *env for the tests, stops the environment (and the test
// PostgreSQL, if a test started it) after them and exits the process.
func Main(m *testing.M, env **Environment, opts Options) {
	e, err := Start(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		os.Exit(1)
	}
	*env = e
	code := m.Run()
	StopPostgres()
	e.Stop()
	os.Exit(code)
}

// RepoRoot finds the repository root from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/naas-dev/naas\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: repository root (go.mod of github.com/naas-dev/naas) not found above the working directory")
		}
		dir = parent
	}
}

// FreeAddr returns a loopback address with a port free at the time of the call.
func FreeAddr(t testing.TB) string {
	t.Helper()
	port, err := localcp.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}
