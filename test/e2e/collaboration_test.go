package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/testenv"
)

// TestCLI_CollaborationNeedsBothTenants is issue 15's scenario on `naas up`: globex's admin lets acme into a
// globex namespace; acme's namespaces get no egress to it until acme's admin accepts, its data namespace never
// does, acme's developer, a user in no tenant and globex's admin cannot accept for acme, and both tenants' audit
// logs show the grant and the acceptance.
func TestCLI_CollaborationNeedsBothTenants(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(tokens, []byte(
		"tok-alice-0123456789,alice,alice,\"team-alice\"\n"+
			"tok-bob-0123456789,bob,bob,\"team-bob\"\n"+
			"tok-carol-0123456789,carol,carol,\"team-carol\"\n"+
			"tok-dave-0123456789,dave,dave,\"team-dave\"\n"), 0o600); err != nil {
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
	admin, alice, bob, carol, dave := newCLIUser(t, "admin"), newCLIUser(t, "alice"), newCLIUser(t, "bob"), newCLIUser(t, "carol"), newCLIUser(t, "dave")
	admin.naas(t, 0, "login", "--server", server, "--token", strings.TrimSpace(string(adminToken)))
	for _, u := range []*cliUser{alice, bob, carol, dave} {
		u.naas(t, 0, "login", "--server", server, "--token", "tok-"+u.name+"-0123456789")
	}
	admin.naas(t, 0, "tenant", "create", "acme", "--admin", "user:alice", "--developer", "user:bob")
	admin.naas(t, 0, "tenant", "create", "globex", "--admin", "user:carol")
	alice.naas(t, 0, "request", "acme-app", "--tenant", "acme", "--template", "standard", "--set", "owner_email=alice@example.com", "--wait")
	alice.naas(t, 0, "request", "acme-db", "--tenant", "acme", "--template", "data", "--wait")
	carol.naas(t, 0, "request", "globex-api", "--tenant", "globex", "--template", "standard", "--set", "owner_email=carol@example.com", "--wait")

	ctx := context.Background()
	c := up.client(t)
	egressPolicy := func(namespace string) error {
		return c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "naas-allow-egress-to-collaborations"}, &networkingv1.NetworkPolicy{})
	}

	// globex grants: an offer for acme, nothing opened on acme's side.
	r := carol.naas(t, 0, "collaboration", "grant", "globex-api", "acme", "--allow-ingress")
	cliContains(t, r, r.stdout, "tenant acme now has viewer access to namespace globex-api", "once an admin of acme accepts")
	r = alice.naas(t, 0, "collaboration", "list", "--tenant", "acme")
	cliContains(t, r, r.stdout, "Accepted for tenant acme (every namespace): none", "globex-api", "globex")
	for _, ns := range []string{"acme-app", "acme-db"} {
		if err := egressPolicy(ns); !apierrors.IsNotFound(err) {
			t.Errorf("after globex's grant alone, %s has an egress policy to collaborations (%v)", ns, err)
		}
	}

	// Only acme's admins accept for acme.
	cliFails(t, bob.run(t, naasBinary(t), []string{"collaboration", "accept", "globex", "--tenant", "acme"}), cliExitError,
		`only admins of tenant "acme"`, "")
	cliFails(t, dave.run(t, naasBinary(t), []string{"collaboration", "accept", "globex", "--tenant", "acme"}), cliExitError,
		`tenant "acme" not found`, "")
	cliFails(t, carol.run(t, naasBinary(t), []string{"collaboration", "accept", "globex", "--namespace", "acme-app"}), cliExitError,
		`namespace "acme-app" not found`, "")
	cliFails(t, alice.run(t, naasBinary(t), []string{"collaboration", "accept", "globex", "--namespace", "acme-db"}), cliExitError,
		"restricted network profile", "")

	r = alice.naas(t, 0, "collaboration", "accept", "globex", "--tenant", "acme")
	cliContains(t, r, r.stdout, "every namespace of tenant acme now accepts the collaboration of tenant globex")
	testenv.Eventually(t, time.Minute, "acme-app may send to the namespaces globex lets acme in", func() error { return egressPolicy("acme-app") })
	if err := egressPolicy("acme-db"); !apierrors.IsNotFound(err) {
		t.Errorf("accepted tenant-wide, the data namespace acme-db has an egress policy to collaborations (%v)", err)
	}

	// Both audit logs.
	r = alice.naas(t, 0, "audit", "--tenant", "acme", "--since", "1h")
	cliContains(t, r, r.stdout, "namespace.collaborator.add", "collaboration.accept", "carol", "bob")
	r = carol.naas(t, 0, "audit", "--tenant", "globex", "--since", "1h")
	cliContains(t, r, r.stdout, "namespace.collaborator.add", "collaboration.accept", "alice")

	// Withdrawn: closed again.
	alice.naas(t, 0, "collaboration", "withdraw", "globex", "--tenant", "acme")
	testenv.Eventually(t, time.Minute, "acme-app's egress policy to collaborations removed", func() error {
		if err := egressPolicy("acme-app"); !apierrors.IsNotFound(err) {
			return testenv.Errorf("got %v, want NotFound", err)
		}
		return nil
	})
}
