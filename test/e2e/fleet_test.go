package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/naas-dev/naas/internal/testenv"
)

// TestUp_ClustersThreeStartsALocalFleetThatTheCLIManages is the local fleet, as a user meets it: naas up
// --clusters 3 starts two members beside the management cluster and registers them; naas cluster list shows
// them Ready; cordon, describe and remove behave; and a restart on the same data directory finds the same
// members. Three control planes are heavy on a small machine, so this one test covers the whole surface.
func TestUp_ClustersThreeStartsALocalFleetThatTheCLIManages(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(tokens, []byte("tok-nobody-0123456789,nobody,nobody,\"team-nobody\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t) // Before naas up: a missing Chromium fails the test at once.
	dataDir := t.TempDir()
	up := startUp(t, dataDir, "--clusters", "3", "--token-file", tokens)
	out := up.out.String()
	for _, want := range []string{
		"Starting 2 member control planes", "member-1: kube-apiserver ready", "member-2: kube-apiserver ready",
		"cluster member-1 registered", "cluster member-2 registered",
		filepath.Join(dataDir, "members", "member-1", "kubeconfig"), filepath.Join(dataDir, "members", "member-2", "kubeconfig"),
		"environment=prod,naas.dev/region=local-2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("naas up output lacks %q:\n%s", want, out)
		}
	}
	hosts := memberHosts(t, out)

	adminToken, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	admin, nobody := newCLIUser(t, "admin"), newCLIUser(t, "nobody")
	server := "http://" + up.addr
	admin.naas(t, 0, "login", "--server", server, "--token", strings.TrimSpace(string(adminToken)))
	nobody.naas(t, 0, "login", "--server", server, "--token", "tok-nobody-0123456789")

	// Both members become Ready: naas reached them and installed its objects there.
	waitFleetReady(t, admin, "local", "member-1", "member-2")
	r := admin.naas(t, 0, "cluster", "list")
	cliContains(t, r, r.stdout, "NAME", "READY", "REACHABLE", "CORDONED", "VERSION", "NAMESPACES", "LABELS",
		"environment=dev, naas.dev/region=local-1")
	r = admin.naas(t, 0, "cluster", "describe", "member-1")
	cliContains(t, r, r.stdout, "Ready:", "yes", "Allocatable:", "Conditions:", "Installed")

	// Cordon and uncordon; removal asks for confirmation, and the management cluster stays.
	r = admin.naas(t, 0, "cluster", "cordon", "member-2")
	cliContains(t, r, r.stdout, "cluster member-2 cordoned")
	r = admin.naas(t, 0, "cluster", "list", "-o", "json")
	if !strings.Contains(r.stdout, `"cordoned": true`) {
		t.Errorf("member-2 is not cordoned: %s", r.stdout)
	}
	admin.naas(t, 0, "cluster", "uncordon", "member-2")
	cliFails(t, admin.run(t, naasBinary(t), []string{"cluster", "remove", "member-2"}), 2, "without confirmation", "")
	cliFails(t, admin.run(t, naasBinary(t), []string{"cluster", "remove", "local", "--yes"}), 1,
		"local is the management cluster", "naas cluster describe local")

	// Someone in no tenant sees no cluster and may change none.
	r = nobody.naas(t, 0, "cluster", "list")
	cliContains(t, r, r.stdout, "No cluster you may use")
	cliFails(t, nobody.run(t, naasBinary(t), []string{"cluster", "cordon", "member-1"}), 1,
		"managing clusters takes platform admin rights", "whoami")
	cliFails(t, nobody.run(t, naasBinary(t), []string{"cluster", "register", "x", "--kubeconfig", filepath.Join(dataDir, "members", "member-1", "kubeconfig")}), 1,
		"managing clusters takes platform admin rights", "whoami")

	// The portal's Clusters page: every cluster and its state for a platform admin, none for someone in no tenant.
	b.base = server
	b.open(t, "/")
	b.signIn(t, strings.TrimSpace(string(adminToken)))
	b.open(t, "/clusters")
	if h := b.text(t, "h1"); h != "All clusters" {
		t.Errorf("heading %q", h)
	}
	for _, want := range []string{"member-1", "member-2", "local", "ready", "environment=prod, naas.dev/region=local-2"} {
		if !strings.Contains(b.text(t, "table"), want) {
			t.Errorf("the clusters page lacks %q:\n%s", want, b.bodyText())
		}
	}
	if nav := b.text(t, `nav a[aria-current="page"]`); nav != "Clusters" {
		t.Errorf("current nav entry %q, want Clusters", nav)
	}
	b.checkPage(t, "clusters")
	b.do(t, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	testenv.Eventually(t, 30*time.Second, "signed out", func() error {
		if loc := b.location(); !strings.HasPrefix(loc, "/signin") {
			return fmt.Errorf("at %s", loc)
		}
		return nil
	})
	b.signIn(t, "tok-nobody-0123456789")
	b.open(t, "/clusters")
	if got := b.text(t, ".empty h2"); got != "No clusters" {
		t.Errorf("nobody's clusters page: %q\n%s", got, b.bodyText())
	}

	// A restart on the same data directory starts the same members, on the same addresses.
	up.stop(t)
	if left := processesMentioning(filepath.Join(dataDir, "members")); len(left) > 0 {
		t.Errorf("member processes outlived naas up:\n%s", strings.Join(left, "\n"))
	}
	up = startUp(t, dataDir, "--clusters", "3", "--token-file", tokens)
	defer up.stop(t)
	if again := memberHosts(t, up.out.String()); fmt.Sprint(again) != fmt.Sprint(hosts) {
		t.Errorf("after a restart the members are at %v, before at %v", again, hosts)
	}
	server = "http://" + up.addr
	admin.naas(t, 0, "login", "--server", server, "--token", strings.TrimSpace(string(adminToken)))
	waitFleetReady(t, admin, "local", "member-1", "member-2")
}

var memberLine = regexp.MustCompile(`(?m)^\s+(member-\d)\s+(https://\S+)\s`)

// memberHosts reads each member's API server URL from naas up's banner.
func memberHosts(t *testing.T, out string) map[string]string {
	t.Helper()
	hosts := map[string]string{}
	for _, m := range memberLine.FindAllStringSubmatch(out, -1) {
		hosts[m[1]] = m[2]
	}
	if len(hosts) != 2 {
		t.Fatalf("naas up lists members %v, want member-1 and member-2:\n%s", hosts, out)
	}
	return hosts
}

// waitFleetReady polls naas cluster list until every named cluster is Ready.
func waitFleetReady(t *testing.T, u *cliUser, names ...string) {
	t.Helper()
	testenv.EventuallyEvery(t, 3*time.Minute, 2*time.Second, "clusters Ready", func() error {
		r := u.run(t, naasBinary(t), []string{"cluster", "list", "-o", "json"})
		if r.code != 0 {
			return fmt.Errorf("%s", r)
		}
		var list struct {
			Items []struct {
				Name  string
				Ready bool
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
			return err
		}
		ready := map[string]bool{}
		for _, c := range list.Items {
			ready[c.Name] = c.Ready
		}
		for _, n := range names {
			if !ready[n] {
				return fmt.Errorf("%s is not Ready: %s", n, r.stdout)
			}
		}
		return nil
	})
}
