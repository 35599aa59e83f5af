package fleetquota

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

// tenant makes a tenant whose admin is alice and developer bob, with a tenant-wide quota of pods (none when 0).
func tenant(t *testing.T, name string, pods int) {
	t.Helper()
	testenv.Tenant(name).Admin("alice").Developer("bob").With(func(s *naasv1alpha1.TenantSpec) {
		if pods > 0 {
			s.Quota = corev1.ResourceList{corev1.ResourcePods: resource.MustParse(fmt.Sprint(pods))}
		}
	}).Create(t, env)
}

// namespaceOn makes a claim of the tenant's placed on cluster, and waits until its namespace there is usable and
// bob may create pods in it.
func namespaceOn(t *testing.T, name, tenant, cluster string) {
	t.Helper()
	env.Create(t, testenv.Claim(name, tenant).Tier("dev").With(func(s *naasv1alpha1.NamespaceClaimSpec) { s.Cluster = cluster }).Obj())
	if c := env.WaitReady(t, name); c.Status.Cluster != cluster {
		t.Fatalf("claim %s placed on %q, want %s", name, c.Status.Cluster, cluster)
	}
	ctx := context.Background()
	m := members[cluster]
	m.WaitUsable(t, name)
	// bob's role binding is there: a dry run passes RBAC and every admission step without a side effect.
	testenv.Eventually(t, waitTimeout, "bob may create pods in "+name+" on "+cluster, func() error {
		return m.UserClient("bob").Create(ctx, testenv.RestrictedPod(name, "probe"), client.DryRunAll)
	})
}

// bobOn is bob's client of a member, as kubectl with his kubeconfig of that member.
func bobOn(cluster string) client.Client { return members[cluster].UserClient("bob") }

// overQuota reports whether err is the tenant-wide quota's refusal.
func overQuota(err error) bool {
	return apierrors.IsForbidden(err) && strings.Contains(err.Error(), "would exceed its tenant-wide quota")
}

// createPod creates a pod as bob on cluster, retrying errors other than the tenant quota's refusal (a conflict
// on a busy machine), and returns nil or the refusal.
func createPod(t *testing.T, cluster, namespace, name string) error {
	t.Helper()
	var err error
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		err = bobOn(cluster).Create(context.Background(), testenv.RestrictedPod(namespace, name))
		if err == nil || overQuota(err) || apierrors.IsAlreadyExists(err) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("create pod %s/%s on %s: %v", namespace, name, cluster, err)
	return err
}

// deletePod deletes a pod on cluster and waits until it is gone.
func deletePod(t *testing.T, cluster, namespace, name string) {
	t.Helper()
	ctx := context.Background()
	c := members[cluster].Client
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if err := c.Delete(ctx, pod, client.GracePeriodSeconds(0)); client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, waitTimeout, "pod "+namespace+"/"+name+" gone", func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(pod), &corev1.Pod{}); !apierrors.IsNotFound(err) {
			return testenv.Errorf("still there (%v)", err)
		}
		return nil
	})
}

// podsOf counts the pods in the namespaces given, on every member.
func podsOf(t *testing.T, namespaces ...string) int {
	t.Helper()
	n := 0
	for _, m := range members {
		for _, ns := range namespaces {
			pods := &corev1.PodList{}
			if err := m.Client.List(context.Background(), pods, client.InNamespace(ns)); err != nil {
				t.Fatal(err)
			}
			n += len(pods.Items)
		}
	}
	return n
}

// TestFleetQuota_ConcurrentPodsOnTwoMembersAdmitExactlyTheQuota spreads a tenant over four namespaces on two
// members and creates twice its quota of pods on both members at once: exactly the quota is admitted, the
// tenant's status counts them over the fleet, and deleting one lets exactly one more in, on the other member.
func TestFleetQuota_ConcurrentPodsOnTwoMembersAdmitExactlyTheQuota(t *testing.T) {
	const quota, attempts = 6, 12
	tenant(t, "spread", quota)
	namespaces := map[string][]string{member1: {"spread-1a", "spread-1b"}, member2: {"spread-2a", "spread-2b"}}
	var all []string
	for cluster, names := range namespaces {
		for _, ns := range names {
			namespaceOn(t, ns, "spread", cluster)
			all = append(all, ns)
		}
	}

	var wg sync.WaitGroup
	admitted := make([]bool, attempts)
	refusals := make([]error, attempts)
	where := func(i int) (string, string) {
		cluster := []string{member1, member2}[i%2]
		return cluster, namespaces[cluster][(i/2)%2]
	}
	for i := range attempts {
		wg.Go(func() {
			cluster, ns := where(i)
			err := createPod(t, cluster, ns, fmt.Sprintf("p-%02d", i))
			admitted[i], refusals[i] = err == nil, err
		})
	}
	wg.Wait()
	got := 0
	for i := range attempts {
		if admitted[i] {
			got++
		} else if !strings.Contains(refusals[i].Error(), `tenant "spread"`) {
			t.Errorf("attempt %d refused without naming the tenant: %v", i, refusals[i])
		}
	}
	if got != quota {
		t.Fatalf("%d pods admitted over both members, want exactly %d", got, quota)
	}
	if n := podsOf(t, all...); n != quota {
		t.Fatalf("%d pods exist over both members, want exactly %d", n, quota)
	}
	// The tenant's status counts every member.
	testenv.Eventually(t, waitTimeout, "tenant spread's status.used", func() error {
		tn := &naasv1alpha1.Tenant{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "spread"}, tn); err != nil {
			return err
		}
		if used := tn.Status.Used[corev1.ResourcePods]; used.Value() != quota {
			return fmt.Errorf("status.used = %v, want pods=%d", tn.Status.Used, quota)
		}
		return nil
	})

	// Deleting a pod on one member frees room for one, on the other.
	var freed string
	for i := range attempts {
		if cluster, ns := where(i); admitted[i] && cluster == member1 {
			deletePod(t, cluster, ns, fmt.Sprintf("p-%02d", i))
			freed = ns
			break
		}
	}
	if freed == "" {
		t.Fatal("no pod was admitted on member-1")
	}
	if err := createPod(t, member2, "spread-2a", "after-1"); err != nil {
		t.Fatalf("a pod on member-2 once one on member-1 is deleted: %v", err)
	}
	if err := createPod(t, member1, freed, "after-2"); !overQuota(err) {
		t.Fatalf("one more pod past the quota: %v, want refused for the tenant-wide quota", err)
	}
}

// TestFleetQuota_AnotherTenantsUsageNeverCounts: pods of another tenant, with or without a quota, on the same
// members never count against this tenant's quota.
func TestFleetQuota_AnotherTenantsUsageNeverCounts(t *testing.T) {
	tenant(t, "neighbour", 10)
	tenant(t, "loose", 0)
	tenant(t, "small", 2)
	namespaceOn(t, "neighbour-1", "neighbour", member1)
	namespaceOn(t, "loose-2", "loose", member2)
	namespaceOn(t, "small-1", "small", member1)
	namespaceOn(t, "small-2", "small", member2)
	for i := range 3 {
		if err := createPod(t, member1, "neighbour-1", fmt.Sprintf("n-%d", i)); err != nil {
			t.Fatalf("neighbour's pod: %v", err)
		}
		if err := createPod(t, member2, "loose-2", fmt.Sprintf("l-%d", i)); err != nil {
			t.Fatalf("loose's pod: %v", err)
		}
	}
	if err := createPod(t, member1, "small-1", "s-1"); err != nil {
		t.Fatalf("small's first pod: %v", err)
	}
	if err := createPod(t, member2, "small-2", "s-2"); err != nil {
		t.Fatalf("small's second pod: %v", err)
	}
	err := createPod(t, member2, "small-2", "s-3")
	if !overQuota(err) || !strings.Contains(err.Error(), "limited to pods=2") || !strings.Contains(err.Error(), "already used pods=2") {
		t.Fatalf("small's third pod: %v, want refused with its own usage (pods=2), not its neighbours'", err)
	}
}

// TestFleetQuota_NaasDownFailsClosedOnlyForTenantsWithAQuota stops naas: on a member, a tenant without a
// tenant-wide quota keeps creating pods; one with a quota is refused, saying which webhook could not be called;
// naas back, it is admitted again.
func TestFleetQuota_NaasDownFailsClosedOnlyForTenantsWithAQuota(t *testing.T) {
	tenant(t, "free", 0)
	tenant(t, "held", 5)
	namespaceOn(t, "free-1", "free", member1)
	namespaceOn(t, "held-1", "held", member1)

	// The member's webhook selects the namespaces of tenants with a quota, and only those.
	testenv.Eventually(t, waitTimeout, "member-1's tenant quota webhook selects held, not free", func() error {
		vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		if err := members[member1].Client.Get(context.Background(), client.ObjectKey{Name: platform.WebhookConfigurationName}, vwc); err != nil {
			return err
		}
		for _, w := range vwc.Webhooks {
			if w.Name != platform.TenantQuotaWebhookName {
				continue
			}
			for _, r := range w.NamespaceSelector.MatchExpressions {
				if r.Key == naasv1alpha1.LabelTenant && slices.Contains(r.Values, "held") && !slices.Contains(r.Values, "free") {
					return nil
				}
			}
			return fmt.Errorf("selector %+v", w.NamespaceSelector)
		}
		return errors.New("no tenant quota webhook")
	})

	naas.Stop()
	t.Cleanup(func() {
		if err := startNaas(); err != nil {
			t.Fatalf("restart naas: %v", err)
		}
	})
	ctx := context.Background()
	if err := bobOn(member1).Create(ctx, testenv.RestrictedPod("free-1", "while-down")); err != nil {
		t.Errorf("a pod of a tenant without a tenant-wide quota while naas is down: %v, want admitted", err)
	}
	err := bobOn(member1).Create(ctx, testenv.RestrictedPod("held-1", "while-down"))
	if err == nil || !strings.Contains(err.Error(), platform.TenantQuotaWebhookName) {
		t.Fatalf("a pod of a tenant with a tenant-wide quota while naas is down: %v, want refused naming %s", err, platform.TenantQuotaWebhookName)
	}
	t.Logf("refused while naas is down: %v", err)

	if err := startNaas(); err != nil {
		t.Fatalf("restart naas: %v", err)
	}
	// naas listens on a new port: the member's webhook follows.
	if err := createPod(t, member1, "held-1", "after"); err != nil {
		t.Fatalf("a pod once naas is back: %v", err)
	}
}

// TestFleetQuota_UnreachableMemberStopsGrowthRatherThanMiscounting pauses a member that holds namespaces of a tenant
// whose quota is full: once a pod is deleted on the other member, a new one needs a count, which cannot read the
// paused member, so it is refused saying so; the member back, it is admitted.
func TestFleetQuota_UnreachableMemberStopsGrowthRatherThanMiscounting(t *testing.T) {
	tenant(t, "split", 2)
	namespaceOn(t, "split-1", "split", member1)
	namespaceOn(t, "split-2", "split", member2)
	for _, p := range []struct{ cluster, ns, name string }{{member1, "split-1", "a"}, {member2, "split-2", "b"}} {
		if err := createPod(t, p.cluster, p.ns, p.name); err != nil {
			t.Fatal(err)
		}
	}
	deletePod(t, member1, "split-1", "a")

	m := members[member2]
	if err := m.PauseAPIServer(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := m.ResumeAPIServer(); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(resume)
	err := bobOn(member1).Create(context.Background(), testenv.RestrictedPod("split-1", "c"))
	if err == nil || !strings.Contains(err.Error(), "cluster member-2, which naas cannot read now") {
		t.Fatalf("a pod while a member holding the tenant's namespaces does not answer: %v, want refused saying why", err)
	}
	t.Logf("refused: %v", err)
	resume()
	if err := createPod(t, member1, "split-1", "c"); err != nil {
		t.Fatalf("a pod once the member answers: %v", err)
	}
	testenv.Eventually(t, waitTimeout, "members ready again", func() error { return clustersReady(context.Background()) })
}

// TestFleetQuota_NoOneCanTakeANamespaceOutOfTheCount: on a member, neither the tenant's developer or admin nor a
// user allowed by RBAC to update namespaces can change naas's tenant label on a namespace (which the member's
// webhook selects on): the namespace-labels policy holds there, without naas.
func TestFleetQuota_NoOneCanTakeANamespaceOutOfTheCount(t *testing.T) {
	tenant(t, "sticky", 3)
	namespaceOn(t, "sticky-1", "sticky", member1)
	ctx := context.Background()
	m := members[member1]
	// mallory is in no tenant, but a cluster admin of the member let her update namespaces.
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "fleetquota-namespace-editor"}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "update", "patch"},
	}}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "fleetquota-namespace-editor"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "mallory"}}}
	for _, o := range []client.Object{role, binding} {
		if err := m.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Client.Delete(context.Background(), o) })
	}
	for _, user := range []string{"bob", "alice", "mallory"} {
		for what, change := range map[string]func(l map[string]string){
			"remove the tenant label":     func(l map[string]string) { delete(l, naasv1alpha1.LabelTenant) },
			"name another tenant":         func(l map[string]string) { l[naasv1alpha1.LabelTenant] = "loose" },
			"remove the managed-by label": func(l map[string]string) { delete(l, naasv1alpha1.LabelManagedBy) },
		} {
			var err error
			testenv.Eventually(t, waitTimeout, user+" is refused by RBAC or the policy", func() error {
				ns := &corev1.Namespace{}
				if err = m.Client.Get(ctx, client.ObjectKey{Name: "sticky-1"}, ns); err != nil {
					return err
				}
				change(ns.Labels)
				err = m.UserClient(user).Update(ctx, ns)
				if apierrors.IsConflict(err) {
					return err
				}
				return nil
			})
			if err == nil {
				t.Fatalf("%s could %s of a namespace on member-1", user, what)
			}
			if user == "mallory" && !strings.Contains(err.Error(), "naas labels of a managed namespace") {
				t.Errorf("%s, allowed by RBAC, to %s: %v, want refused by the namespace-labels policy", user, what, err)
			}
		}
	}
	ns := &corev1.Namespace{}
	if err := m.Client.Get(ctx, client.ObjectKey{Name: "sticky-1"}, ns); err != nil {
		t.Fatal(err)
	}
	if ns.Labels[naasv1alpha1.LabelTenant] != "sticky" || ns.Labels[naasv1alpha1.LabelManagedBy] != naasv1alpha1.ManagedByValue {
		t.Fatalf("namespace labels changed: %v", ns.Labels)
	}
}
