// Package isolation tests, on the real local control plane, what tenant users can see and grant through
// kube-apiserver itself (kubectl, GitOps), not only through naas's REST API: a user reads only the tenants and
// claims they belong to, gets or changes no other cluster-scoped object, and the RoleBindings tenant users make
// in their namespaces name only the tenant's members and service accounts, and are audited.
//
// The cast: tenant acme (alice admin, bob developer), tenant globex (carol admin), and dave, in no tenant.
package isolation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var (
	env *testenv.Environment
	// apiBase is the URL of naas's REST API.
	apiBase string
)

// The namespaces every test starts from.
const (
	acmeWeb    = "acme-web"
	globexApp  = "globex-app"
	acmeTenant = "acme"
	globex     = "globex"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	e, err := testenv.Start(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env = e
	defer env.Stop()
	dir, err := os.MkdirTemp("", "naas-isolation-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The REST API authenticates the environment's token users, to read the audit log as they would.
	var lines []string
	for _, u := range testenv.DefaultUsers {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%q", env.Token(u.Name), u.Name, u.Name, strings.Join(u.Groups, ",")))
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, stop, err := env.StartPlatform(func(o *setup.Options) {
		o.API.TokenFile = tokens
		o.API.AuditDB = filepath.Join(dir, "audit.db")
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	apiBase = "http://" + p.Addr()
	if err := seed(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// seed makes the two tenants and one namespace each, claimed by their admins with kubectl's calls.
func seed() error {
	ctx := context.Background()
	for _, t := range []*naasv1alpha1.Tenant{
		{ObjectMeta: metav1.ObjectMeta{Name: acmeTenant}, Spec: naasv1alpha1.TenantSpec{
			CostCenter: "cc-acme-secret",
			Owners: []naasv1alpha1.Owner{
				{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
				{Kind: naasv1alpha1.SubjectUser, Name: "bob", Role: naasv1alpha1.RoleDeveloper},
				// A CI service account outside the tenant's namespaces, a member by name.
				{Kind: naasv1alpha1.SubjectServiceAccount, Namespace: "ci", Name: "deployer", Role: naasv1alpha1.RoleDeveloper},
			},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: globex}, Spec: naasv1alpha1.TenantSpec{
			Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "carol", Role: naasv1alpha1.RoleAdmin}},
		}},
	} {
		if err := env.Client.Create(ctx, t); err != nil {
			return fmt.Errorf("create tenant %s: %w", t.Name, err)
		}
	}
	for user, c := range map[string]*naasv1alpha1.NamespaceClaim{
		"alice": claim(acmeWeb, acmeTenant),
		"carol": claim(globexApp, globex),
	} {
		if err := env.UserClient(user).Create(ctx, c); err != nil {
			return fmt.Errorf("%s creates claim %s: %w", user, c.Name, err)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, name := range []string{acmeWeb, globexApp} {
		for {
			c := &naasv1alpha1.NamespaceClaim{}
			err := env.Client.Get(ctx, client.ObjectKey{Name: name}, c)
			if err == nil && meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady) {
				break
			}
			if time.Now().After(deadline) {
				if err == nil {
					err = fmt.Errorf("conditions %v", c.Status.Conditions)
				}
				return fmt.Errorf("claim %s not Ready in time: %w", name, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func claim(name, tenant string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: "standard", Tier: "dev"},
	}
}

// as returns a client that acts as a static token user, as kubectl with that user's kubeconfig would.
func as(user string) client.Client { return env.UserClient(user) }

// auditEvents returns the events of tenant's audit log, newest first, as user reads them through the REST API.
func auditEvents(t *testing.T, user, tenant string) []restv1.AuditEvent {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, apiBase+restv1.Prefix+"/audit?tenant="+tenant+"&limit=500", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+env.Token(user))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s reads the audit log of tenant %s: HTTP %d", user, tenant, resp.StatusCode)
	}
	var page restv1.AuditPage
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	return page.Items
}
