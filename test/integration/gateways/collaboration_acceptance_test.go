package gateways

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apiclient"
	"github.com/naas-dev/naas/internal/testenv"
)

// tplRestricted is a template with the restricted network profile, like the catalog's data template: it promises
// no egress beyond the tenant.
const tplRestricted = "gw-restricted"

// canSend evaluates, with an independent policy engine (cyclonus's matcher), whether a pod of namespace from may
// open a TCP connection to port 8080 of a pod of namespace to, under every network policy and namespace label
// of the cluster as the API server has them.
func canSend(from, to string) (bool, error) {
	ctx := context.Background()
	list := &networkingv1.NetworkPolicyList{}
	if err := env.Client.List(ctx, list); err != nil {
		return false, err
	}
	policies := make([]*networkingv1.NetworkPolicy, 0, len(list.Items))
	for i := range list.Items {
		policies = append(policies, &list.Items[i])
	}
	peer := func(name string) (*matcher.TrafficPeer, error) {
		ns := &corev1.Namespace{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
			return nil, err
		}
		return &matcher.TrafficPeer{
			Internal: &matcher.InternalPeer{Namespace: name, NamespaceLabels: ns.Labels, PodLabels: map[string]string{"app": "x"}},
			IP:       "10.1.0.1",
		}, nil
	}
	src, err := peer(from)
	if err != nil {
		return false, err
	}
	dst, err := peer(to)
	if err != nil {
		return false, err
	}
	res := matcher.BuildNetworkPolicies(true, policies).IsTrafficAllowed(&matcher.Traffic{
		Source: src, Destination: dst, ResolvedPort: 8080, Protocol: corev1.ProtocolTCP,
	})
	return res.IsAllowed(), nil
}

// waitSend waits until traffic from one namespace to another is allowed (or denied), as want says.
func waitSend(t *testing.T, from, to string, want bool) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("%s may send to %s: %v", from, to, want), func() error {
		got, err := canSend(from, to)
		if err != nil {
			return err
		}
		if got != want {
			return testenv.Errorf("%s may send to %s: %v", from, to, got)
		}
		return nil
	})
}

// auditedFor returns the audit log of a tenant as user reads it, oldest first, as "user action target result".
func auditedFor(t *testing.T, user, tenant string) []string {
	t.Helper()
	return auditLog(t, user, "tenant="+tenant+"&limit=500")
}

func getTenant(t *testing.T, name string) *naasv1alpha1.Tenant {
	t.Helper()
	tn := &naasv1alpha1.Tenant{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, tn); err != nil {
		t.Fatalf("get tenant %s: %v", name, err)
	}
	return tn
}

func wantAudited(t *testing.T, tenant string, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("audit log of tenant %s lacks %q; it has:\n%s", tenant, w, strings.Join(got, "\n"))
		}
	}
}

// TestCollaboration_EgressOpensOnlyWhenTheReceivingTenantAccepts has globex's admin let acmecorp into a globex
// namespace, and checks that acmecorp's namespaces still cannot send there until acmecorp's admin accepts, for
// one namespace and then tenant-wide; that a namespace of a restricted template never can; that acmecorp's
// developer, a user in no tenant and globex's admin cannot accept on acmecorp's behalf, through the API or the
// Kubernetes API; that withdrawing either side closes the path again; and that both tenants' audit logs record it.
func TestCollaboration_EgressOpensOnlyWhenTheReceivingTenantAccepts(t *testing.T) {
	ctx := context.Background()
	templates(t)
	template(t, tplRestricted, naasv1alpha1.Features{NetworkProfile: naasv1alpha1.NetworkRestricted})
	testenv.Tenant("acmecorp").Admin("alice").Developer("bob").Domains("acmecorp.example.com").Create(t, env)
	testenv.Tenant("globex").Admin("carol").Domains("globex.example.com").Create(t, env)
	env.CreateAs(t, "alice", claim("acmecorp-app", "acmecorp", tplPlain))
	env.CreateAs(t, "alice", claim("acmecorp-web", "acmecorp", tplPlain))
	env.CreateAs(t, "alice", claim("acmecorp-data", "acmecorp", tplRestricted))
	env.CreateAs(t, "carol", claim("globex-api", "globex", tplPlain))
	for _, n := range []string{"acmecorp-app", "acmecorp-web", "acmecorp-data", "globex-api"} {
		env.WaitReady(t, n)
	}

	// globex lets acmecorp in: its side is open, acmecorp's egress stays closed.
	grant := map[string]any{"tenant": "acmecorp", "access": "viewer", "allowIngress": true}
	if r := call(t, "carol", http.MethodPost, "/namespaces/globex-api/collaborators", grant); r.Status != http.StatusCreated {
		t.Fatalf("globex's admin lets acmecorp in: %s, want 201", r)
	}
	testenv.Eventually(t, 30*time.Second, "globex-api lets acmecorp in", func() error {
		ns := &corev1.Namespace{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "globex-api"}, ns); err != nil {
			return err
		}
		if ns.Labels[naasv1alpha1.LabelIngressFromPrefix+"acmecorp"] != naasv1alpha1.LabelIngressAllowed {
			return testenv.Errorf("labels %v", ns.Labels)
		}
		return env.Client.Get(ctx, client.ObjectKey{Namespace: "globex-api", Name: "naas-allow-from-tenant-acmecorp"}, &networkingv1.NetworkPolicy{})
	})
	for _, n := range []string{"acmecorp-app", "acmecorp-web", "acmecorp-data"} {
		env.WaitReady(t, n)
		if ok, err := canSend(n, "globex-api"); err != nil || ok {
			t.Errorf("after globex's grant alone, %s may send to globex-api: %v (%v), want not until acmecorp accepts", n, ok, err)
		}
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: n, Name: "naas-allow-egress-to-collaborations"}, &networkingv1.NetworkPolicy{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("%s has an egress policy to collaborations before acmecorp accepted any: %v", n, err)
		}
	}
	offers := call(t, "alice", http.MethodGet, "/tenants/acmecorp/accepted-collaborations", nil)
	if offers.Status != http.StatusOK || !strings.Contains(string(offers.Body), `"namespace":"globex-api"`) {
		t.Errorf("acmecorp's admin lists the offers: %s, want globex-api among them", offers)
	}

	// Nobody but acmecorp's admins accepts for acmecorp: not its developer, not a user in no tenant, not the
	// granting tenant's admin; neither through the naas API nor by writing the objects.
	for _, tc := range []struct {
		user string
		want int
	}{{"bob", http.StatusForbidden}, {"mallory", http.StatusNotFound}, {"carol", http.StatusNotFound}} {
		if r := call(t, tc.user, http.MethodPut, "/namespaces/acmecorp-app/accepted-collaborations/globex", nil); r.Status != tc.want {
			t.Errorf("%s accepts for namespace acmecorp-app: %s, want %d", tc.user, r, tc.want)
		}
		if r := call(t, tc.user, http.MethodPut, "/tenants/acmecorp/accepted-collaborations/globex", nil); r.Status != tc.want {
			t.Errorf("%s accepts for tenant acmecorp: %s, want %d", tc.user, r, tc.want)
		}
		if err := env.UpdateClaimAs(t, tc.user, "acmecorp-app", func(c *naasv1alpha1.NamespaceClaim) {
			c.Spec.AcceptedCollaborations = []string{"globex"}
		}); !apierrors.IsForbidden(err) {
			t.Errorf("%s sets acmecorp-app's spec.acceptedCollaborations: %v, want Forbidden", tc.user, err)
		}
		tn := &naasv1alpha1.Tenant{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "acmecorp"}, tn); err != nil {
			t.Fatal(err)
		}
		tn.Spec.AcceptedCollaborations = []string{"globex"}
		if err := env.UserClient(tc.user).Update(ctx, tn); !apierrors.IsForbidden(err) {
			t.Errorf("%s sets tenant acmecorp's spec.acceptedCollaborations: %v, want Forbidden", tc.user, err)
		}
	}
	// A namespace of a restricted template cannot accept, even by its admin.
	r := call(t, "alice", http.MethodPut, "/namespaces/acmecorp-data/accepted-collaborations/globex", nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "restricted network profile") {
		t.Errorf("acmecorp's admin accepts for the restricted acmecorp-data: %s, want 422 saying why", r)
	}
	if err := env.UpdateClaimAs(t, "alice", "acmecorp-data", func(c *naasv1alpha1.NamespaceClaim) {
		c.Spec.AcceptedCollaborations = []string{"globex"}
	}); !apierrors.IsInvalid(err) {
		t.Errorf("acmecorp's admin sets the restricted acmecorp-data's spec.acceptedCollaborations: %v, want Invalid", err)
	}
	for _, n := range []string{"acmecorp-app", "acmecorp-web", "acmecorp-data"} {
		if ok, err := canSend(n, "globex-api"); err != nil || ok {
			t.Errorf("after the refused attempts, %s may send to globex-api: %v (%v)", n, ok, err)
		}
	}

	// alice accepts for one namespace: it alone may send.
	if r := call(t, "alice", http.MethodPut, "/namespaces/acmecorp-app/accepted-collaborations/globex", nil); r.Status != http.StatusCreated {
		t.Fatalf("acmecorp's admin accepts for acmecorp-app: %s, want 201", r)
	}
	waitSend(t, "acmecorp-app", "globex-api", true)
	env.WaitReady(t, "acmecorp-web")
	for _, n := range []string{"acmecorp-web", "acmecorp-data"} {
		if ok, err := canSend(n, "globex-api"); err != nil || ok {
			t.Errorf("accepted for acmecorp-app only, %s may send to globex-api: %v (%v)", n, ok, err)
		}
	}

	// Tenant-wide, with the client the CLI uses: every namespace but the restricted one.
	alice, err := apiclient.New(apiclient.Options{Server: "http://" + naas.Addr(), Token: apiclient.StaticToken(env.Token("alice"))})
	if err != nil {
		t.Fatal(err)
	}
	accepted, added, err := alice.AcceptCollaboration(ctx, "acmecorp", "", "globex")
	if err != nil || !added || !slices.Equal(accepted.Accepted, []string{"globex"}) {
		t.Fatalf("acmecorp's admin accepts tenant-wide: %+v, added %v, %v; want globex added", accepted, added, err)
	}
	if a, err := alice.AcceptedCollaborations(ctx, "", "acmecorp-data"); err != nil || len(a.Effective) != 0 {
		t.Errorf("the restricted acmecorp-data accepts %+v (%v), want none effective", a, err)
	}
	if a, err := alice.AcceptedCollaborations(ctx, "", "acmecorp-web"); err != nil || !slices.Equal(a.Effective, []string{"globex"}) {
		t.Errorf("acmecorp-web accepts %+v (%v), want globex effective (tenant-wide)", a, err)
	}
	waitSend(t, "acmecorp-web", "globex-api", true)
	env.WaitReady(t, "acmecorp-data")
	if ok, err := canSend("acmecorp-data", "globex-api"); err != nil || ok {
		t.Errorf("accepted tenant-wide, the restricted acmecorp-data may send to globex-api: %v (%v)", ok, err)
	}
	// Acceptance is one way: globex's namespaces still cannot send to acmecorp's.
	if ok, err := canSend("globex-api", "acmecorp-app"); err != nil || ok {
		t.Errorf("globex-api may send to acmecorp-app: %v (%v), want no: acmecorp let nobody in", ok, err)
	}

	// Withdrawn tenant-wide: only the namespace that accepted for itself still sends.
	if r := call(t, "alice", http.MethodDelete, "/tenants/acmecorp/accepted-collaborations/globex", nil); r.Status != http.StatusOK {
		t.Fatalf("withdraw the tenant-wide acceptance: %s, want 200", r)
	}
	waitSend(t, "acmecorp-web", "globex-api", false)
	if ok, err := canSend("acmecorp-app", "globex-api"); err != nil || !ok {
		t.Errorf("after the tenant-wide withdrawal, acmecorp-app, which accepted for itself, may send: %v (%v), want true", ok, err)
	}
	if r := call(t, "alice", http.MethodDelete, "/tenants/acmecorp/accepted-collaborations/globex", nil); r.Status != http.StatusNotFound {
		t.Errorf("withdraw again: %s, want 404", r)
	}

	// globex revokes its grant: the accepted path closes too.
	if r := call(t, "carol", http.MethodDelete, "/namespaces/globex-api/collaborators/acmecorp", nil); r.Status != http.StatusOK {
		t.Fatalf("globex revokes its grant: %s, want 200", r)
	}
	waitSend(t, "acmecorp-app", "globex-api", false)

	// And acmecorp withdraws the namespace's acceptance: its egress policy goes.
	if r := call(t, "alice", http.MethodDelete, "/namespaces/acmecorp-app/accepted-collaborations/globex", nil); r.Status != http.StatusOK {
		t.Fatalf("withdraw the namespace's acceptance: %s, want 200", r)
	}
	testenv.Eventually(t, 30*time.Second, "acmecorp-app's egress policy to collaborations removed", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: "acmecorp-app", Name: "naas-allow-egress-to-collaborations"}, &networkingv1.NetworkPolicy{})
		if !apierrors.IsNotFound(err) {
			return testenv.Errorf("got %v, want NotFound", err)
		}
		return nil
	})

	// A platform admin replacing the tenant's definition keeps its admins' acceptances. (Last: the replacement
	// also drops the tenant's domains, which the API's tenant body does not carry.)
	if r := call(t, "alice", http.MethodPut, "/tenants/acmecorp/accepted-collaborations/globex", nil); r.Status != http.StatusCreated {
		t.Fatalf("acmecorp's admin accepts tenant-wide again: %s, want 201", r)
	}
	replaced := map[string]any{"name": "acmecorp", "members": []map[string]string{
		{"kind": "User", "name": "alice", "role": "admin"}, {"kind": "User", "name": "bob", "role": "developer"},
	}}
	if r := call(t, "platform-admin", http.MethodPut, "/tenants/acmecorp", replaced); r.Status != http.StatusOK {
		t.Fatalf("a platform admin replaces tenant acmecorp: %s", r)
	}
	if tn := getTenant(t, "acmecorp"); !slices.Equal(tn.Spec.AcceptedCollaborations, []string{"globex"}) {
		t.Errorf("after the tenant was replaced, it accepts %v, want [globex]", tn.Spec.AcceptedCollaborations)
	}

	// Both tenants' admins read every step in their own tenant's log: the grant, the acceptances and withdrawals,
	// and, on the accepting side, the refused attempts to accept on its behalf.
	wantAudited(t, "acmecorp", auditedFor(t, "alice", "acmecorp"),
		"carol namespace.collaborator.add acmecorp allowed",
		"bob collaboration.accept globex denied",
		"mallory collaboration.accept globex denied",
		"carol collaboration.accept globex denied",
		"alice collaboration.accept globex allowed",
		"alice collaboration.revoke globex allowed",
		"carol namespace.collaborator.remove acmecorp allowed",
	)
	wantAudited(t, "globex", auditedFor(t, "carol", "globex"),
		"carol namespace.collaborator.add acmecorp allowed",
		"alice collaboration.accept globex allowed",
		"alice collaboration.revoke globex allowed",
		"carol namespace.collaborator.remove acmecorp allowed",
	)
}
