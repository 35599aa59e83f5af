package placement

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

func meta(c *naasv1alpha1.Cluster, typ string) bool {
	return apimeta.IsStatusConditionTrue(c.Status.Conditions, typ)
}

func selector(kv ...string) *metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

// tenant makes a tenant whose admin is alice and developer bob, placed by sel with tolerations.
func tenant(t *testing.T, name string, sel *metav1.LabelSelector, change ...func(*naasv1alpha1.TenantSpec)) {
	t.Helper()
	b := testenv.Tenant(name).Admin("alice").Developer("bob").With(func(s *naasv1alpha1.TenantSpec) {
		s.Placement = &naasv1alpha1.Placement{ClusterSelector: sel}
		for _, c := range change {
			c(s)
		}
	})
	b.Create(t, env)
}

// claim makes a claim as a platform admin would (GitOps).
func claim(t *testing.T, name, tenant, tier, cluster string) {
	t.Helper()
	c := testenv.Claim(name, tenant).Template(template).Tier(tier).With(func(s *naasv1alpha1.NamespaceClaimSpec) { s.Cluster = cluster }).Obj()
	env.Create(t, c)
	t.Cleanup(func() { env.DeleteClaim(name) })
}

// waitPlaced waits until the claim is placed and Ready, and returns it.
func waitPlaced(t *testing.T, name string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	c := env.WaitReady(t, name)
	if c.Status.Cluster == "" {
		t.Fatalf("claim %s is Ready without a cluster", name)
	}
	return c
}

// waitNoFit waits until the claim says no cluster fits, and returns the message.
func waitNoFit(t *testing.T, name string) string {
	t.Helper()
	c := env.WaitCondition(t, name, naasv1alpha1.ConditionPlaced, metav1.ConditionFalse, naasv1alpha1.ReasonNoClusterFits)
	if c.Status.Cluster != "" {
		t.Errorf("claim %s has cluster %s and says no cluster fits", name, c.Status.Cluster)
	}
	return apimeta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionPlaced).Message
}

// clusterClient is the client of a cluster of the fleet, by Cluster name.
func clusterClient(name string) client.Client {
	if m, ok := members[name]; ok {
		return m.Client
	}
	return env.Client
}

// namespaceOn reports whether namespace name exists on cluster.
func namespaceOn(t *testing.T, cluster, name string) bool {
	t.Helper()
	err := clusterClient(cluster).Get(context.Background(), client.ObjectKey{Name: name}, &corev1.Namespace{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// onlyOn checks that namespace name exists on cluster and on no other cluster of the fleet.
func onlyOn(t *testing.T, cluster, name string) {
	t.Helper()
	for _, c := range []string{naasv1alpha1.LocalClusterName, member1, member2} {
		if got := namespaceOn(t, c, name); got != (c == cluster) {
			t.Errorf("namespace %s on cluster %s: %v, want %v", name, c, got, c == cluster)
		}
	}
}

// nowhere checks that namespace name exists on no cluster of the fleet.
func nowhere(t *testing.T, name string) {
	t.Helper()
	onlyOn(t, "", name)
}

// waitMember waits until the API knows user as a member of tenant.
func waitMember(t *testing.T, user, tenant string) {
	t.Helper()
	testenv.Eventually(t, testenv.WaitTimeout, user+" is a member of tenant "+tenant, func() error {
		if r := testenv.Call(t, env.Token(user), http.MethodGet, naas+restv1.Prefix+"/tenants/"+tenant, nil, nil); r.Status != http.StatusOK {
			return errors.New(r.String())
		}
		return nil
	})
}

func updateCluster(t *testing.T, name string, change func(*naasv1alpha1.Cluster)) {
	t.Helper()
	testenv.Eventually(t, testenv.WaitTimeout, "update cluster "+name, func() error {
		c := &naasv1alpha1.Cluster{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		change(c)
		return env.Client.Update(context.Background(), c)
	})
}

func TestPlacement_TenantSelectorPlacesOnAMatchingMember(t *testing.T) {
	tenant(t, "sel", selector("environment", "dev"))
	claim(t, "sel-app", "sel", tierSmall, "")
	c := waitPlaced(t, "sel-app")
	if c.Status.Cluster != member1 {
		t.Fatalf("placed on %s, want %s", c.Status.Cluster, member1)
	}
	onlyOn(t, member1, "sel-app")
	msg := apimeta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionPlaced).Message
	for _, want := range []string{"placed on member-1", "member-2: its labels do not match the cluster selector of tenant sel", "local:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Placed message %q does not say %q", msg, want)
		}
	}
}

func TestPlacement_TierNarrowsToProdClusters(t *testing.T) {
	tenant(t, "tiered", selector("fleet-test", "member"))
	claim(t, "tiered-prod", "tiered", tierProd, "")
	if c := waitPlaced(t, "tiered-prod"); c.Status.Cluster != member2 {
		t.Fatalf("tier %s placed on %s, want %s (environment=prod)", tierProd, c.Status.Cluster, member2)
	}
	onlyOn(t, member2, "tiered-prod")
}

func TestPlacement_TaintKeepsOutTenantsThatDoNotTolerateIt(t *testing.T) {
	updateCluster(t, member1, func(c *naasv1alpha1.Cluster) {
		c.Spec.Taints = []naasv1alpha1.ClusterTaint{{Key: "dedicated", Value: "gpu", Effect: naasv1alpha1.ClusterTaintNoSchedule}}
	})
	t.Cleanup(func() { updateCluster(t, member1, func(c *naasv1alpha1.Cluster) { c.Spec.Taints = nil }) })
	tenant(t, "taint", selector("environment", "dev"))
	claim(t, "taint-app", "taint", tierSmall, "")
	if msg := waitNoFit(t, "taint-app"); !strings.Contains(msg, "dedicated=gpu:NoSchedule") {
		t.Errorf("no-fit message %q does not name the taint", msg)
	}
	nowhere(t, "taint-app")

	env.UpdateTenant(t, "taint", func(tn *naasv1alpha1.Tenant) {
		tn.Spec.Placement.Tolerations = []naasv1alpha1.ClusterToleration{{Key: "dedicated", Value: "gpu"}}
	})
	if c := waitPlaced(t, "taint-app"); c.Status.Cluster != member1 {
		t.Fatalf("placed on %s once tolerated, want %s", c.Status.Cluster, member1)
	}
}

func TestPlacement_CordonedClusterTakesNoNewNamespaces(t *testing.T) {
	tenant(t, "cordon", selector("environment", "dev"))
	claim(t, "cordon-before", "cordon", tierSmall, "")
	waitPlaced(t, "cordon-before")
	updateCluster(t, member1, func(c *naasv1alpha1.Cluster) { c.Spec.Cordoned = true })
	uncordon := func() { updateCluster(t, member1, func(c *naasv1alpha1.Cluster) { c.Spec.Cordoned = false }) }
	t.Cleanup(uncordon)

	claim(t, "cordon-after", "cordon", tierSmall, "")
	if msg := waitNoFit(t, "cordon-after"); !strings.Contains(msg, "cordoned") {
		t.Errorf("no-fit message %q does not say the cluster is cordoned", msg)
	}
	nowhere(t, "cordon-after")
	// What was placed before stays, and is kept.
	env.WaitReady(t, "cordon-before")
	onlyOn(t, member1, "cordon-before")

	uncordon() // the Cluster's change retries the claim at once
	if c := waitPlaced(t, "cordon-after"); c.Status.Cluster != member1 {
		t.Fatalf("placed on %s after the uncordon, want %s", c.Status.Cluster, member1)
	}
}

func TestPlacement_NamedClusterIsHonouredAndNeverFallenBackFrom(t *testing.T) {
	tenant(t, "named", selector("fleet-test", "member"))
	claim(t, "named-2", "named", tierSmall, member2)
	if c := waitPlaced(t, "named-2"); c.Status.Cluster != member2 {
		t.Fatalf("placed on %s, want the named %s", c.Status.Cluster, member2)
	}
	onlyOn(t, member2, "named-2")

	updateCluster(t, member2, func(c *naasv1alpha1.Cluster) { c.Spec.Cordoned = true })
	t.Cleanup(func() { updateCluster(t, member2, func(c *naasv1alpha1.Cluster) { c.Spec.Cordoned = false }) })
	claim(t, "named-cordoned", "named", tierSmall, member2)
	msg := waitNoFit(t, "named-cordoned")
	if !strings.Contains(msg, "cordoned") {
		t.Errorf("no-fit message %q does not say why", msg)
	}
	testenv.Consistently(t, 3*time.Second, "the claim does not fall back to member-1", func() error {
		if c := env.GetClaim(t, "named-cordoned"); c.Status.Cluster != "" {
			return fmt.Errorf("placed on %s", c.Status.Cluster)
		}
		return nil
	})
	nowhere(t, "named-cordoned")
}

func TestPlacement_NoFittingClusterSaysWhyAndCreatesNothing(t *testing.T) {
	tenant(t, "nofit", selector("environment", "staging"))
	claim(t, "nofit-app", "nofit", tierSmall, "")
	msg := waitNoFit(t, "nofit-app")
	for _, want := range []string{"no cluster fits", "member-1:", "member-2:", "local:", "environment=staging"} {
		if !strings.Contains(msg, want) {
			t.Errorf("no-fit message %q does not say %q", msg, want)
		}
	}
	c := env.GetClaim(t, "nofit-app")
	if ready := apimeta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionReady); ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != naasv1alpha1.ReasonNoClusterFits {
		t.Errorf("Ready = %+v, want False with reason %s", ready, naasv1alpha1.ReasonNoClusterFits)
	}
	nowhere(t, "nofit-app")
}

func TestPlacement_ATenantIsSpreadOverItsClusters(t *testing.T) {
	tenant(t, "spread", selector("fleet-test", "member"))
	count := map[string]int{}
	for i := range 4 {
		name := fmt.Sprintf("spread-%d", i)
		claim(t, name, "spread", tierSmall, "")
		count[waitPlaced(t, name).Status.Cluster]++
	}
	if count[member1] != 2 || count[member2] != 2 {
		t.Errorf("the tenant's 4 namespaces are placed %v, want 2 on each member", count)
	}
}

func TestPlacement_APlacedNamespaceNeverMoves(t *testing.T) {
	tenant(t, "stay", selector("environment", "dev"))
	claim(t, "stay-app", "stay", tierSmall, "")
	before := waitPlaced(t, "stay-app")
	updateCluster(t, member1, func(c *naasv1alpha1.Cluster) { c.Labels["environment"] = "qa" })
	t.Cleanup(func() { updateCluster(t, member1, func(c *naasv1alpha1.Cluster) { c.Labels["environment"] = "dev" }) })
	env.UpdateTenant(t, "stay", func(tn *naasv1alpha1.Tenant) { tn.Spec.DisplayName = "touched, to run the claim again" })
	testenv.Consistently(t, 5*time.Second, "the namespace stays where it was placed", func() error {
		c := env.GetClaim(t, "stay-app")
		placed := apimeta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionPlaced)
		was := apimeta.FindStatusCondition(before.Status.Conditions, naasv1alpha1.ConditionPlaced)
		if c.Status.Cluster != member1 || placed.Message != was.Message || !apimeta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady) {
			return fmt.Errorf("cluster %s, Placed %q, Ready %v", c.Status.Cluster, placed.Message, apimeta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady))
		}
		return nil
	})
	onlyOn(t, member1, "stay-app")
}

// TestPlacement_CapacityHoldsUnderAConcurrentBurst creates, all at once, more claims than member-2 has room for:
// exactly burstRoom are placed, the others say there is not enough room, and none is made anywhere else.
func TestPlacement_CapacityHoldsUnderAConcurrentBurst(t *testing.T) {
	tenant(t, "burst", selector("environment", "prod"))
	const n = burstRoom + 3
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("burst-%d", i)
			errs[i] = env.Client.Create(context.Background(), testenv.Claim(name, "burst").Template(template).Tier(tierBurst).Obj())
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(func() { env.DeleteClaim(fmt.Sprintf("burst-%d", i)) })
	}
	placed, full := 0, 0
	testenv.Eventually(t, 2*testenv.WaitTimeout, "every burst claim is placed or says there is no room", func() error {
		placed, full = 0, 0
		for i := range n {
			c := env.GetClaim(t, fmt.Sprintf("burst-%d", i))
			cond := apimeta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionPlaced)
			switch {
			case c.Status.Cluster == member2:
				placed++
			case c.Status.Cluster != "":
				return fmt.Errorf("%s placed on %s", c.Name, c.Status.Cluster)
			case cond != nil && cond.Reason == naasv1alpha1.ReasonNoClusterFits && strings.Contains(cond.Message, "not enough room"):
				full++
			default:
				return fmt.Errorf("%s is not decided yet", c.Name)
			}
		}
		return nil
	})
	if placed != burstRoom || full != n-burstRoom {
		t.Fatalf("%d placed and %d without room, want %d and %d", placed, full, burstRoom, n-burstRoom)
	}
	// Deleting one frees its room for one of the others.
	for i := range n {
		if c := env.GetClaim(t, fmt.Sprintf("burst-%d", i)); c.Status.Cluster != "" {
			env.WaitReady(t, c.Name)
			env.DeleteClaim(c.Name)
			break
		}
	}
	testenv.Eventually(t, 2*testenv.WaitTimeout, "one of the waiting claims takes the freed room", func() error {
		got := 0
		for i := range n {
			c := &naasv1alpha1.NamespaceClaim{}
			if err := env.Client.Get(context.Background(), client.ObjectKey{Name: fmt.Sprintf("burst-%d", i)}, c); err == nil && c.Status.Cluster != "" && c.DeletionTimestamp.IsZero() {
				got++
			}
		}
		if got != burstRoom {
			return fmt.Errorf("%d placed", got)
		}
		return nil
	})
}

func TestPlacement_NamespaceOnTheMemberThatIsNotNaasIsNeverTaken(t *testing.T) {
	if err := members[member1].Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "foreign-ns"}}); err != nil {
		t.Fatal(err)
	}
	tenant(t, "foreign", selector("fleet-test", "member"))
	claim(t, "foreign-ns", "foreign", tierSmall, member1)
	env.WaitCondition(t, "foreign-ns", naasv1alpha1.ConditionNamespace, metav1.ConditionFalse, naasv1alpha1.ReasonNamespaceConflict)
	ns := &corev1.Namespace{}
	if err := members[member1].Client.Get(context.Background(), client.ObjectKey{Name: "foreign-ns"}, ns); err != nil {
		t.Fatal(err)
	}
	if ns.Labels[naasv1alpha1.LabelManagedBy] != "" {
		t.Errorf("naas took over the namespace: labels %v", ns.Labels)
	}
}

// TestPlacement_NamespaceCapHoldsAcrossTheFleet sends a burst of requests, placed over both members, past the
// tenant's namespace cap: exactly the cap is admitted.
func TestPlacement_NamespaceCapHoldsAcrossTheFleet(t *testing.T) {
	const limit, n = 4, 12
	tenant(t, "capped", selector("fleet-test", "member"), func(s *naasv1alpha1.TenantSpec) { s.MaxNamespaces = ptr.To[int32](limit) })
	waitMember(t, "bob", "capped")
	var wg sync.WaitGroup
	created := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("capped-%d", i)
			r := testenv.Call(t, env.Token("bob"), http.MethodPost, naas+restv1.Prefix+"/namespaces/request", restv1.NamespaceRequest{
				Name: name, Tenant: "capped", Template: template,
			}, nil)
			created[i] = r.Status == http.StatusAccepted
		})
	}
	wg.Wait()
	got := 0
	clusters := map[string]int{}
	for i := range n {
		name := fmt.Sprintf("capped-%d", i)
		if created[i] {
			got++
			t.Cleanup(func() { env.DeleteClaim(name) })
			clusters[waitPlaced(t, name).Status.Cluster]++
		}
	}
	if got != limit {
		t.Fatalf("%d namespaces admitted, want exactly %d", got, limit)
	}
	if clusters[naasv1alpha1.LocalClusterName] != 0 {
		t.Errorf("placed %v, want only on the members", clusters)
	}
}

// TestPlacement_DeveloperCannotPlaceOutsideTheTenantsPlacement: not through the API, not with kubectl, not by
// changing spec.cluster later; a user in no tenant gets nothing either.
func TestPlacement_DeveloperCannotPlaceOutsideTheTenantsPlacement(t *testing.T) {
	tenant(t, "fenced", selector("environment", "dev"))
	waitMember(t, "bob", "fenced")
	url := naas + restv1.Prefix + "/namespaces/request"

	r := testenv.Call(t, env.Token("bob"), http.MethodPost, url, restv1.NamespaceRequest{Name: "fenced-api", Tenant: "fenced", Template: template, Cluster: member2}, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "may not be placed on cluster member-2") ||
		!strings.Contains(string(r.Body), "member-1") {
		t.Errorf("API request for a cluster outside the tenant's placement: %s, want 422 saying why and which it may use", r)
	}
	r = testenv.Call(t, env.Token("bob"), http.MethodPost, url, restv1.NamespaceRequest{Name: "fenced-nosuch", Tenant: "fenced", Template: template, Cluster: "nosuch"}, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "no such cluster is registered") {
		t.Errorf("API request for an unregistered cluster: %s, want 422 saying it is not registered", r)
	}

	err := env.UserClient("bob").Create(context.Background(), testenv.Claim("fenced-kubectl", "fenced").Template(template).
		With(func(s *naasv1alpha1.NamespaceClaimSpec) { s.Cluster = member2 }).Obj())
	if err == nil || !strings.Contains(err.Error(), "may not be placed on cluster member-2") {
		t.Errorf("kubectl create of a claim on member-2: %v, want refused with the reason", err)
	}
	for _, name := range []string{"fenced-api", "fenced-nosuch", "fenced-kubectl"} {
		if env.ClaimExists(t, name) {
			t.Errorf("claim %s exists", name)
		}
	}

	// A claim placed where it may be cannot be moved, nor a claim without a cluster be given one.
	r = testenv.Call(t, env.Token("bob"), http.MethodPost, url, restv1.NamespaceRequest{Name: "fenced-ok", Tenant: "fenced", Template: template, Cluster: member1}, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("request on member-1: %s", r)
	}
	t.Cleanup(func() { env.DeleteClaim("fenced-ok") })
	waitPlaced(t, "fenced-ok")
	for _, to := range []string{member2, ""} {
		err := env.UpdateClaimAs(t, "bob", "fenced-ok", func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Cluster = to })
		if err == nil {
			t.Errorf("bob changed spec.cluster to %q", to)
		}
	}
	env.Create(t, testenv.Claim("fenced-free", "fenced").Template(template).Obj())
	t.Cleanup(func() { env.DeleteClaim("fenced-free") })
	waitPlaced(t, "fenced-free")
	if err := env.UpdateClaimAs(t, "bob", "fenced-free", func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Cluster = member1 }); err == nil ||
		!strings.Contains(err.Error(), "immutable") {
		t.Errorf("setting spec.cluster after creation: %v, want refused as immutable", err)
	}
	if c := env.GetClaim(t, "fenced-ok"); c.Status.Cluster != member1 {
		t.Errorf("fenced-ok is on %s", c.Status.Cluster)
	}

	// mallory is in no tenant.
	r = testenv.Call(t, env.Token("mallory"), http.MethodPost, url, restv1.NamespaceRequest{Name: "mallory-ns", Tenant: "fenced", Template: template, Cluster: member1}, nil)
	if r.Status < 400 {
		t.Errorf("mallory's request: %s, want refused", r)
	}
	err = env.UserClient("mallory").Create(context.Background(), testenv.Claim("mallory-ns", "fenced").Template(template).
		With(func(s *naasv1alpha1.NamespaceClaimSpec) { s.Cluster = member1 }).Obj())
	if err == nil {
		t.Error("mallory created a claim in tenant fenced")
	}
	if env.ClaimExists(t, "mallory-ns") {
		t.Error("claim mallory-ns exists")
	}
	nowhere(t, "mallory-ns")
}

// TestPlacement_KubeconfigPointsAtTheMember: the namespace's kubeconfig reaches its member's API server with the
// user's own token.
func TestPlacement_KubeconfigPointsAtTheMember(t *testing.T) {
	tenant(t, "kube", selector("environment", "prod"))
	claim(t, "kube-app", "kube", tierSmall, "")
	waitPlaced(t, "kube-app")
	env.WaitReadable(t, "bob", "kube-app")
	r := testenv.Call(t, env.Token("bob"), http.MethodGet, naas+restv1.Prefix+"/namespaces/kube-app/kubeconfig", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("kubeconfig: %s", r)
	}
	if !strings.Contains(string(r.Body), members[member2].Config.Host) {
		t.Errorf("kubeconfig does not point at member-2 (%s):\n%s", members[member2].Config.Host, r.Body)
	}
	if strings.Contains(string(r.Body), env.Config.Host) {
		t.Errorf("kubeconfig points at the management cluster:\n%s", r.Body)
	}
}

// TestPlacement_UnreachableClusterIsSkippedForNewClaims pauses member-1's API server: new claims go to member-2.
func TestPlacement_UnreachableClusterIsSkippedForNewClaims(t *testing.T) {
	tenant(t, "unreach", selector("fleet-test", "member"))
	if err := members[member1].PauseAPIServer(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := members[member1].ResumeAPIServer(); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(resume)
	// Generous: how soon a member is marked is the registry's figure (bench 9-unreachable), not this test's.
	testenv.Eventually(t, 5*testenv.WaitTimeout, "member-1 is marked not reachable", func() error {
		c := &naasv1alpha1.Cluster{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: member1}, c); err != nil {
			return err
		}
		if meta(c, naasv1alpha1.ClusterReachable) {
			return errors.New("still reachable")
		}
		return nil
	})
	for i := range 2 {
		name := fmt.Sprintf("unreach-%d", i)
		claim(t, name, "unreach", tierSmall, "")
		c := env.WaitCondition(t, name, naasv1alpha1.ConditionPlaced, metav1.ConditionTrue, "")
		if c.Status.Cluster != member2 {
			t.Errorf("%s placed on %s while member-1 does not answer, want %s", name, c.Status.Cluster, member2)
		}
	}
	resume()
}
