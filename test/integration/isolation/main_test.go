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
	"errors"
	"fmt"
	"net/http"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var (
	env  *testenv.Environment
	naas *testenv.Platform
)

// The namespaces every test starts from.
const (
	acmeWeb    = "acme-web"
	globexApp  = "globex-app"
	acmeTenant = "acme"
	globex     = "globex"
)

func TestMain(m *testing.M) {
	opts := testenv.Options{Seed: seed, AsServiceAccount: true}
	// The REST API authenticates the environment's token users, to read the audit log as they would.
	testenv.MainWithPlatform(m, &env, &naas, opts, func(o *setup.Options) {
		o.API.TokenFile = env.APITokenFile()
		o.API.AuditDB = env.Path("audit.db")
	})
}

// seed makes the two tenants and one namespace each, claimed by their admins with kubectl's calls.
func seed() error {
	ctx := context.Background()
	for _, t := range []*naasv1alpha1.Tenant{
		testenv.Tenant(acmeTenant).Admin("alice").Developer("bob").
			// A CI service account outside the tenant's namespaces, a member by name.
			ServiceAccount("ci", "deployer", naasv1alpha1.RoleDeveloper).
			With(func(s *naasv1alpha1.TenantSpec) { s.CostCenter = "cc-acme-secret" }).Obj(),
		testenv.Tenant(globex).Admin("carol").Obj(),
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
	for _, name := range []string{acmeWeb, globexApp} {
		if err := testenv.Poll(testenv.WaitTimeout, func() error {
			_, err := env.ClaimCondition(name, naasv1alpha1.ConditionReady, metav1.ConditionTrue, "")
			return err
		}); err != nil {
			return fmt.Errorf("claim %s not Ready in time: %w", name, err)
		}
	}
	// The tenant-access controller gives members their reads of the tenant and its claims on its own schedule,
	// not before the claims are Ready: wait until each member reads them.
	for user, c := range map[string][2]string{"alice": {acmeTenant, acmeWeb}, "carol": {globex, globexApp}} {
		if err := testenv.Poll(testenv.WaitTimeout, func() error {
			return errors.Join(env.UserClient(user).Get(ctx, client.ObjectKey{Name: c[0]}, &naasv1alpha1.Tenant{}),
				env.UserClient(user).Get(ctx, client.ObjectKey{Name: c[1]}, &naasv1alpha1.NamespaceClaim{}))
		}); err != nil {
			return fmt.Errorf("%s cannot read tenant %s and claim %s in time: %w", user, c[0], c[1], err)
		}
	}
	return nil
}

// claim is a claim of the standard template in the dev tier.
func claim(name, tenant string) *naasv1alpha1.NamespaceClaim {
	return testenv.Claim(name, tenant).Tier("dev").Obj()
}

// as returns a client that acts as a static token user, as kubectl with that user's kubeconfig would.
func as(user string) client.Client { return env.UserClient(user) }

// auditEvents returns the events of tenant's audit log, newest first, as user reads them through the REST API.
func auditEvents(t *testing.T, user, tenant string) []restv1.AuditEvent {
	t.Helper()
	r := testenv.Call(t, env.Token(user), http.MethodGet, "http://"+naas.Addr()+restv1.Prefix+"/audit?tenant="+tenant+"&limit=500", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("%s reads the audit log of tenant %s: %s", user, tenant, r)
	}
	var page restv1.AuditPage
	if err := json.Unmarshal(r.Body, &page); err != nil {
		t.Fatal(err)
	}
	return page.Items
}
