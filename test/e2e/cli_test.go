package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// Exit codes of the naas command (internal/cli).
const (
	cliExitError   = 1
	cliExitUsage   = 2
	cliExitFailed  = 3
	cliExitTimeout = 4
)

// pluginBinary returns bin/kubectl-naas, failing the test with how to build it when missing.
func pluginBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(filepath.Dir(naasBinary(t)), "kubectl-naas")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run `make build` (make test does it for you)", bin)
	}
	return bin
}

// cliUser is someone running the CLI: their own configuration directory and kubeconfig, nothing shared.
type cliUser struct {
	name string
	home string
	env  []string
}

func newCLIUser(t *testing.T, name string) *cliUser {
	t.Helper()
	home := t.TempDir()
	u := &cliUser{name: name, home: home, env: []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"KUBECONFIG=" + filepath.Join(home, ".kube", "config"),
		"PATH=" + os.Getenv("PATH"),
	}}
	return u
}

// cliResult is one run of a command.
type cliResult struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return strings.Join(r.args, " ") + " (exit " + strconv.Itoa(r.code) + ")\nstdout:\n" + r.stdout + "stderr:\n" + r.stderr
}

// run runs bin with args as u, with standard input not a terminal (as in CI), and extra environment.
func (u *cliUser) run(t *testing.T, bin string, args []string, extraEnv ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append([]string{}, u.env...), extraEnv...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errOut, strings.NewReader("")
	err := cmd.Run()
	r := cliResult{args: append([]string{filepath.Base(bin)}, args...), stdout: out.String(), stderr: errOut.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	default:
		t.Fatalf("run %s: %v", strings.Join(r.args, " "), err)
	}
	return r
}

// naas runs bin/naas as u and fails the test unless it exits with code.
func (u *cliUser) naas(t *testing.T, code int, args ...string) cliResult {
	t.Helper()
	r := u.run(t, naasBinary(t), args)
	if r.code != code {
		t.Fatalf("%s: want exit %d", r, code)
	}
	return r
}

// cliContains fails the test unless s holds every want.
func cliContains(t *testing.T, r cliResult, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s\nlacks %q", r, w)
		}
	}
}

// cliFails checks an error answer: exit code, one "error:" line and one "fix:" line on stderr, nothing on
// stdout.
func cliFails(t *testing.T, r cliResult, code int, wantError, wantFix string) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: want exit %d", r, code)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "error: ") || !strings.HasPrefix(lines[1], "fix:") {
		t.Errorf("%s: want one error line and one fix line", r)
		return
	}
	if !strings.Contains(lines[0], wantError) || !strings.Contains(lines[1], wantFix) {
		t.Errorf("%s: want error %q and fix %q", r, wantError, wantFix)
	}
}

func TestCLI_FullLifecycleAgainstNaasUp(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(tokens, []byte(
		"tok-alice-0123456789,alice,alice,\"team-alice\"\n"+
			"tok-bob-0123456789,bob,bob,\"team-bob\"\n"+
			"tok-mallory-0123456789,mallory,mallory,\"team-mallory\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	up := startUp(t, dataDir, "--token-file", tokens)
	defer up.stop(t)
	server := "http://" + up.addr
	adminToken, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	admin, alice, bob, mallory := newCLIUser(t, "admin"), newCLIUser(t, "alice"), newCLIUser(t, "bob"), newCLIUser(t, "mallory")

	// Before signing in, every command says how to.
	cliFails(t, bob.run(t, naasBinary(t), []string{"list"}), cliExitError, "you have not signed in", "login --server URL")

	// Sign in; the configuration is in the XDG directory, readable by its owner only.
	r := admin.naas(t, 0, "login", "--server", server, "--token", strings.TrimSpace(string(adminToken)))
	cliContains(t, r, r.stdout, "Logged in to "+server, "(platform admin)")
	cfgFile := filepath.Join(admin.home, ".config", "naas", "config.yaml")
	if info, err := os.Stat(cfgFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("config %s: %v, %v; want mode 0600", cfgFile, info, err)
	}
	alice.naas(t, 0, "login", "--server", server, "--token", "tok-alice-0123456789")
	bob.naas(t, 0, "login", "--server", server, "--token", "tok-bob-0123456789")
	r = bob.naas(t, 0, "whoami")
	cliContains(t, r, r.stdout, "bob", "team-bob", "Platform admin:   no")
	cliFails(t, mallory.run(t, naasBinary(t), []string{"login", "--server", server, "--token", "wrong"}), cliExitError,
		"refused the token", "nothing was saved")

	// The catalog and tiers, in every output format.
	r = bob.naas(t, 0, "catalog")
	cliContains(t, r, r.stdout, "TEMPLATE", "standard", "microservice")
	r = bob.naas(t, 0, "catalog", "describe", "microservice")
	cliContains(t, r, r.stdout, "service_name", "--set service_name=...")
	r = bob.naas(t, 0, "tiers", "-o", "json")
	var tiers struct{ Items []struct{ Name string } }
	if err := json.Unmarshal([]byte(r.stdout), &tiers); err != nil || len(tiers.Items) != 3 {
		t.Errorf("%s: want the 3 tiers as JSON (%v)", r, err)
	}
	r = bob.naas(t, 0, "tiers", "-o", "yaml")
	cliContains(t, r, r.stdout, "items:", "name: dev")

	// A platform admin creates the tenant; a developer may not.
	cliFails(t, bob.run(t, naasBinary(t), []string{"tenant", "create", "shop", "--admin", "user:bob"}), cliExitError,
		"not a platform admin", "whoami")
	r = admin.naas(t, 0, "tenant", "create", "shop", "--admin", "user:alice", "--developer", "user:bob",
		"--viewer", "group:team-carol", "--max-namespaces", "5", "--tiers", "dev,staging", "--name-prefix", "shop-")
	cliContains(t, r, r.stdout, "tenant shop created with 3 members")
	r = alice.naas(t, 0, "tenant", "describe", "shop")
	cliContains(t, r, r.stdout, "user:alice", "admin", "user:bob", "developer", "group:team-carol", "viewer", "dev,staging", "shop-")
	alice.naas(t, 0, "tenant", "add-member", "shop", "--role", "viewer", "user:mallory")
	r = alice.naas(t, 0, "tenant", "list")
	cliContains(t, r, r.stdout, "shop", "admin")
	alice.naas(t, 0, "tenant", "remove-member", "shop", "user:mallory")

	// Bob requests a namespace and follows it: plain progress lines (stdout is not a terminal), exit 0.
	r = bob.naas(t, 0, "request", "shop-web", "--template", "standard", "--set", "owner_email=bob@example.com", "--wait")
	cliContains(t, r, r.stdout, "namespace shop-web requested in tenant shop", "shop-web: Namespace: done", "shop-web: Resource quota: done",
		"shop-web: phase Ready", "namespace shop-web is ready")
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("progress on a non-terminal holds terminal escapes:\n%s", r.stdout)
	}
	// Again: nothing new, still exit 0; with -o json stdout is the namespace alone, the progress on stderr.
	r = bob.naas(t, 0, "request", "shop-web", "--template", "standard", "--set", "owner_email=bob@example.com", "--wait", "-o", "json")
	var ns struct{ Name, Tenant, Phase, Tier string }
	if err := json.Unmarshal([]byte(r.stdout), &ns); err != nil || ns.Phase != "Ready" || ns.Tenant != "shop" {
		t.Errorf("%s: want the ready namespace as JSON on stdout (%v)", r, err)
	}
	cliContains(t, r, r.stderr, "phase Ready")

	r = bob.naas(t, 0, "list")
	cliContains(t, r, r.stdout, "NAME", "shop-web", "shop", "standard", "dev", "Ready", "bob")
	r = bob.naas(t, 0, "describe", "shop-web")
	cliContains(t, r, r.stdout, "Phase:", "Ready", "Steps:", "Network policies", "owner_email=bob@example.com")
	cliFails(t, mallory.run(t, naasBinary(t), []string{"describe", "shop-web"}, "NAAS_SERVER="+server, "NAAS_TOKEN=tok-mallory-0123456789"),
		cliExitError, `namespace "shop-web" not found`, "naas list")

	// Quota: tiers, not numbers.
	r = bob.naas(t, 0, "quota", "set", "shop-web", "--tier", "staging")
	cliContains(t, r, r.stdout, "moves to tier staging")
	r = bob.naas(t, cliExitUsage, "quota", "set", "shop-web", "--cpu", "3", "--memory", "6Gi")
	cliContains(t, r, r.stderr, "quotas per tier", "dev (cpu 2, memory 4Gi)", "quota set shop-web --tier staging")
	cliFails(t, bob.run(t, naasBinary(t), []string{"quota", "set", "shop-web", "--tier", "prod"}), cliExitError,
		`allows tiers dev, staging; got prod`, "correct tier")

	// The kubeconfig works for the developer in the namespace, and nowhere else.
	r = bob.naas(t, 0, "kubeconfig", "shop-web")
	kubeconfig := filepath.Join(bob.home, ".kube", "config")
	cliContains(t, r, r.stdout, "context naas-shop-web", kubeconfig, "made current")
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BearerToken != "tok-bob-0123456789" {
		t.Errorf("the kubeconfig does not carry bob's own token")
	}
	c, err := client.New(cfg, client.Options{Scheme: testenv.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cm := func(ns string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "from-cli"}}
	}
	if err := c.Create(ctx, cm("shop-web")); err != nil {
		t.Errorf("bob creating a ConfigMap in shop-web with his kubeconfig: %v", err)
	}
	if err := c.Create(ctx, cm("default")); !apierrors.IsForbidden(err) {
		t.Errorf("bob creating a ConfigMap in default: %v, want Forbidden", err)
	}
	r = bob.naas(t, 0, "kubeconfig", "shop-web", "--print")
	if kc, err := clientcmd.Load([]byte(r.stdout)); err != nil || kc.Contexts[kc.CurrentContext].Namespace != "shop-web" {
		t.Errorf("%s: --print is not a kubeconfig for shop-web (%v)", r, err)
	}

	// Shell completion knows the names of namespaces, templates and tiers.
	r = bob.naas(t, 0, "__complete", "describe", "shop-")
	cliContains(t, r, r.stdout, "shop-web")
	r = bob.naas(t, 0, "__complete", "request", "x", "--template", "micro")
	cliContains(t, r, r.stdout, "microservice")
	r = bob.naas(t, 0, "__complete", "quota", "set", "shop-web", "--tier", "")
	cliContains(t, r, r.stdout, "dev", "staging", "prod")

	// The kubectl plugin is the same client.
	r = bob.run(t, pluginBinary(t), []string{"list", "-o", "json"})
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "shop-web"`) {
		t.Errorf("%s: want shop-web listed by the plugin", r)
	}
	r = bob.run(t, pluginBinary(t), []string{"describe", "nope"})
	cliFails(t, r, cliExitError, `namespace "nope" not found`, "kubectl naas list")
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		r = bob.run(t, kubectl, []string{"naas", "whoami"}, "PATH="+filepath.Dir(pluginBinary(t))+":"+os.Getenv("PATH"))
		if r.code != 0 || !strings.Contains(r.stdout, "bob") {
			t.Errorf("%s: kubectl does not run the plugin", r)
		}
	}

	// Approvals: a template that needs one. The wait ends at its timeout (exit 4) while the namespace waits.
	if err := up.client(t).Create(ctx, &naasv1alpha1.NamespaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "gated"},
		Spec:       naasv1alpha1.NamespaceTemplateSpec{DisplayName: "Gated", RequiresApproval: true, DefaultTier: "dev"},
	}); err != nil {
		t.Fatal(err)
	}
	r = bob.naas(t, cliExitTimeout, "request", "shop-db", "--template", "gated", "--wait", "--timeout", "4s")
	cliContains(t, r, r.stdout, "Approval: waiting for approval", "naas approve shop-db")
	cliContains(t, r, r.stderr, "is not done after 4s")
	r = alice.naas(t, 0, "approvals")
	cliContains(t, r, r.stdout, "shop-db", "bob")
	alice.naas(t, 0, "approve", "shop-db", "--reason", "capacity planned")
	r = bob.naas(t, 0, "request", "shop-db", "--template", "gated", "--wait")
	cliContains(t, r, r.stdout, "namespace shop-db is ready")

	// A rejected namespace ends the wait with exit 3 and says why.
	bob.naas(t, 0, "request", "shop-cache", "--template", "gated")
	alice.naas(t, cliExitUsage, "reject", "shop-cache") // No reason.
	alice.naas(t, 0, "reject", "shop-cache", "--reason", "use the shared cache")
	cliFails(t, bob.run(t, naasBinary(t), []string{"request", "shop-cache", "--template", "gated", "--wait"}), cliExitFailed,
		"namespace shop-cache failed: Rejected", "rejection is final")

	// The audit log shows it all to the tenant's admin.
	r = alice.naas(t, 0, "audit", "--tenant", "shop", "--since", "1h")
	cliContains(t, r, r.stdout, "namespace.request", "quota.update", "approval.approve", "approval.reject", "tenant.member.add", "bob", "alice")
	r = bob.naas(t, 0, "audit", "-o", "json") // Bob's own events.
	var page struct{ Items []struct{ User string } }
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || len(page.Items) == 0 {
		t.Errorf("%s: want bob's events (%v)", r, err)
	}
	for _, e := range page.Items {
		if e.User != "bob" {
			t.Errorf("bob sees an event of %q", e.User)
		}
	}

	// Delete: a script must say --yes; then the namespaces go, and the tenant with them.
	cliFails(t, bob.run(t, naasBinary(t), []string{"delete", "shop-web"}), cliExitUsage, "without confirmation: pass --yes", "--help")
	r = bob.naas(t, 0, "delete", "shop-web", "--yes", "--wait")
	cliContains(t, r, r.stdout, "namespace shop-web is gone")
	bob.naas(t, 0, "delete", "shop-cache", "--yes", "--wait")
	cliFails(t, admin.run(t, naasBinary(t), []string{"tenant", "delete", "shop", "--yes"}), cliExitError,
		`tenant "shop" still has 1 namespaces (shop-db); delete them first`, "naas list --tenant shop")
	alice.naas(t, 0, "delete", "shop-db", "--yes", "--wait")
	testenv.Eventually(t, 30*time.Second, "tenant shop empty", func() error {
		if r := admin.run(t, naasBinary(t), []string{"tenant", "delete", "shop", "--yes"}); r.code != 0 {
			return testenv.Errorf("%s", r)
		}
		return nil
	})
	cliFails(t, alice.run(t, naasBinary(t), []string{"tenant", "describe", "shop"}), cliExitError, `not found`, "tenant list")
}

func TestCLI_BadCommandLinesAreUsageErrorsThatPointAtHelp(t *testing.T) {
	u := newCLIUser(t, "nobody")
	// No server is needed: the command line is checked first.
	env := []string{"NAAS_SERVER=http://127.0.0.1:1", "NAAS_TOKEN=x"}
	for _, tc := range []struct {
		args      []string
		wantError string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"list", "--frob"}, "unknown flag: --frob"},
		{[]string{"describe"}, "needs the namespace NAME"},
		{[]string{"describe", "a", "b"}, "takes one argument"},
		{[]string{"list", "-o", "xml"}, "-o xml is not an output format"},
		{[]string{"request", "a"}, "--template is required"},
		{[]string{"request", "a", "--template", "t", "--tenant", "t", "--set", "novalue"}, `--set "novalue": want key=value`},
		{[]string{"request", "a", "--wait", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{[]string{"tenant", "create", "x", "--admin", "alice"}, `subject "alice": want user:NAME, group:NAME`},
		{[]string{"tenant", "create", "x"}, "--admin is required"},
		{[]string{"tenant", "add-member", "x", "--role", "owner", "user:a"}, "--role must be admin, developer or viewer"},
		{[]string{"tenant", "frob"}, `unknown command "frob"`},
		{[]string{"quota", "set", "a"}, "--tier is required"},
		{[]string{"quota", "set", "a", "--tier", "dev", "--cpu", "2"}, "not both"},
		{[]string{"delete", "a"}, "pass --yes"},
		{[]string{"reject", "a"}, "--reason is required"},
		{[]string{"audit", "--since", "yesterday"}, `"yesterday" is not a time`},
		{[]string{"kubeconfig", "a", "--auth", "password"}, "--auth must be exec or token"},
		{[]string{"login", "--token", "a", "--token-stdin"}, "give --token or --token-stdin, not both"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := u.run(t, naasBinary(t), tc.args, env...)
			if r.code != cliExitUsage {
				t.Fatalf("%s: want exit %d", r, cliExitUsage)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], tc.wantError) || !strings.Contains(lines[1], "--help") {
				t.Errorf("%s: want the error %q and a fix that points at --help", r, tc.wantError)
			}
		})
	}
	// The plugin checks the same way, and names itself.
	r := u.run(t, pluginBinary(t), []string{"describe"}, env...)
	if r.code != cliExitUsage || !strings.Contains(r.stderr, "kubectl naas describe --help") {
		t.Errorf("%s: want a usage error naming kubectl naas", r)
	}
	// Shell completion scripts are there for the usual shells.
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := u.run(t, naasBinary(t), []string{"completion", shell}); r.code != 0 || len(r.stdout) < 100 {
			t.Errorf("%s: want a completion script", r)
		}
	}
}
