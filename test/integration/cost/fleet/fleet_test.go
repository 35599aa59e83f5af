// Package fleet tests cost collection across a fleet, with two real local control planes: the management
// cluster and a member. Each cluster's hours are stored under its name and priced with its own PriceBook; a member
// that stops answering gets no hours (never zero ones) until it answers again, when its missed hours are
// back-filled.
package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var env, member *testenv.Environment

const memberName = "member-1"

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "cost fleet: %v\n", err)
		return 1
	}
	var err error
	if member, err = testenv.StartMember(testenv.Options{}); err != nil {
		return fail(err)
	}
	defer member.Stop()
	if env, err = testenv.Start(testenv.Options{AsServiceAccount: true}); err != nil {
		return fail(err)
	}
	defer env.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := env.RegisterMember(ctx, memberName, member, nil); err != nil {
		return fail(err)
	}
	return m.Run()
}

// TestCost_EachClusterItsRowsAndPricesAndAnUnreachableMemberBackfilled: tenant far has far-local (dev) on the
// management cluster and far-remote (dev) on member-1, each with a pod of 1 core and 2 GiB. The default book
// prices a core-hour at £0.03 and a GiB-hour at £0.004; member-1's own book at twice that. An hour, charged half
// (dev-discount): far-local (0.03 + 0.008) × 0.5 = £0.019, far-remote (0.06 + 0.016) × 0.5 = £0.038.
func TestCost_EachClusterItsRowsAndPricesAndAnUnreachableMemberBackfilled(t *testing.T) {
	ctx := testenv.Context(t)
	var fake atomic.Int64 // The cost clock: real time until the test sets it.
	clock := func() time.Time {
		if v := fake.Load(); v != 0 {
			return time.Unix(0, v)
		}
		return time.Now()
	}
	dbPath := filepath.Join(t.TempDir(), "audit.db")
	p, stop, err := env.StartPlatform(func(o *setup.Options) {
		o.API = setup.APIOptions{TokenFile: env.APITokenFile(), AuditDB: dbPath, Cost: setup.CostOptions{Now: clock, Interval: 200 * time.Millisecond}}
	})
	if err != nil {
		t.Fatalf("start naas: %v", err)
	}
	t.Cleanup(stop)
	base := "http://" + p.Addr() + restv1.Prefix
	env.WaitCluster(t, memberName, naasv1alpha1.ClusterReady, metav1.ConditionTrue)

	// The default book (seeded by naas) in GBP; member-1's at twice its prices.
	testenv.Eventually(t, testenv.WaitTimeout, "the default price book in GBP", func() error {
		book := &naasv1alpha1.PriceBook{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "default"}, book); err != nil {
			return err
		}
		book.Spec.Currency, book.Spec.CPUCoreHour, book.Spec.MemoryGiBHour = "GBP", "0.03", "0.004"
		return env.Client.Update(ctx, book)
	})
	env.Create(t, &naasv1alpha1.PriceBook{ObjectMeta: metav1.ObjectMeta{Name: memberName}, Spec: naasv1alpha1.PriceBookSpec{
		Cluster: memberName, Currency: "GBP", CPUCoreHour: "0.06", MemoryGiBHour: "0.008",
	}})

	testenv.Tenant("far").Admin("alice").Create(t, env)
	for _, c := range []struct{ name, cluster string }{{"far-local", ""}, {"far-remote", memberName}} {
		env.Create(t, testenv.Claim(c.name, "far").Template("standard").Tier("dev").Param("owner_email", "owner@example.com").
			With(func(s *naasv1alpha1.NamespaceClaimSpec) { s.Cluster = c.cluster }).Obj())
		env.WaitReady(t, c.name)
	}
	env.WaitUsable(t, "far-local")
	member.WaitUsable(t, "far-remote")
	for _, c := range []struct {
		on        *testenv.Environment
		namespace string
	}{{env, "far-local"}, {member, "far-remote"}} {
		runPod(t, c.on, "node-"+c.namespace, c.namespace)
	}
	// The first whole hour everything ran.
	h0 := time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	hour := func(n int) time.Time { return h0.Add(time.Duration(n) * time.Hour) }
	store := openStore(t, dbPath)

	// The hour h0 ends: each cluster's is stored, under its name and at its prices.
	fake.Store(hour(1).Add(5 * time.Minute).UnixNano())
	waitHours(t, store, memberName, hour(0))
	waitHours(t, store, naasv1alpha1.LocalClusterName, hour(0))
	rep := report(t, base, "alice", "aggregate=namespace&tenant=far", hour(0), hour(1))
	if diff := charged(rep); diff != fmt.Sprint(map[string]string{"far-local": "0.019", "far-remote": "0.038"}) {
		t.Errorf("far's namespaces in hour 0 = %s; want far-local £0.019, far-remote £0.038 (member-1's prices)", diff)
	}
	byCluster := report(t, base, "platform-admin", "aggregate=cluster&tenant=far", hour(0), hour(1))
	if got := charged(byCluster); got != fmt.Sprint(map[string]string{"local": "0.019", memberName: "0.038"}) {
		t.Errorf("far by cluster in hour 0 = %s; want local £0.019, member-1 £0.038", got)
	}

	// member-1 stops answering; two more hours end. The management cluster's are stored, member-1's are not.
	if err := member.PauseAPIServer(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = member.ResumeAPIServer()
		}
	})
	env.WaitCluster(t, memberName, naasv1alpha1.ClusterReachable, metav1.ConditionFalse)
	fake.Store(hour(3).Add(5 * time.Minute).UnixNano())
	waitHours(t, store, naasv1alpha1.LocalClusterName, hour(0), hour(1), hour(2))
	if got := storedHours(t, store, memberName, hour(0), hour(3)); !slices.Equal(got, []time.Time{hour(0)}) {
		t.Errorf("member-1's hours while it does not answer = %v; want only %s: no hour written for it", got, hour(0))
	}
	gap := report(t, base, "alice", "aggregate=namespace&tenant=far", hour(1), hour(3))
	if got := charged(gap); got != fmt.Sprint(map[string]string{"far-local": "0.038"}) {
		t.Errorf("far while member-1 does not answer = %s; want far-local's two hours, £0.038, and no line of far-remote", got)
	}

	// member-1 answers again: its missed hours are back-filled, at its prices.
	if err := member.ResumeAPIServer(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	env.WaitCluster(t, memberName, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	waitHours(t, store, memberName, hour(0), hour(1), hour(2))
	rep = report(t, base, "alice", "aggregate=namespace&tenant=far", hour(0), hour(3))
	if got := charged(rep); got != fmt.Sprint(map[string]string{"far-local": "0.057", "far-remote": "0.114"}) {
		t.Errorf("far over the three hours = %s; want far-local £0.057, far-remote £0.114", got)
	}
}

// runPod makes a node on the cluster and a running pod of 1 core and 2 GiB in namespace bound to it.
func runPod(t *testing.T, on *testenv.Environment, nodeName, namespace string) {
	t.Helper()
	ctx := testenv.Context(t)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}
	on.Create(t, node)
	t.Cleanup(func() { _ = on.Client.Delete(context.Background(), node) })
	node.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi")}
	node.Status.Allocatable = node.Status.Capacity
	if err := on.Client.Status().Update(ctx, node); err != nil {
		t.Fatal(err)
	}
	pod := testenv.RestrictedPod(namespace, "app")
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("2Gi")}
	pod.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: res, Limits: res.DeepCopy()}
	pod.Spec.NodeName = nodeName
	// No kubelet: tolerate the taints the node lifecycle controller puts on the node, or it evicts the pod.
	pod.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	on.Create(t, pod)
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &metav1.Time{Time: time.Now().Add(-time.Minute)}}
	if err := on.Client.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
}

// openStore opens naas's audit database beside naas, to read which hours it stored.
func openStore(t *testing.T, path string) audit.CostStore {
	t.Helper()
	s, err := audit.Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.(audit.CostStore)
}

func storedHours(t *testing.T, s audit.CostStore, cluster string, from, to time.Time) []time.Time {
	t.Helper()
	hours, err := s.CostHours(context.Background(), cluster, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return hours
}

// waitHours waits until the cluster's hours are stored.
func waitHours(t *testing.T, s audit.CostStore, cluster string, hours ...time.Time) {
	t.Helper()
	testenv.Eventually(t, 2*testenv.WaitTimeout, fmt.Sprintf("hours %v of %s stored", hours, cluster), func() error {
		got := storedHours(t, s, cluster, hours[0], hours[len(hours)-1].Add(time.Hour))
		if !slices.Equal(got, hours) {
			return fmt.Errorf("stored: %v", got)
		}
		return nil
	})
}

func report(t *testing.T, base, user, query string, from, to time.Time) restv1.CostReport {
	t.Helper()
	w := url.QueryEscape(from.Format(time.RFC3339) + "," + to.Format(time.RFC3339))
	r := testenv.Call(t, env.Token(user), http.MethodGet, base+"/analytics/costs?"+query+"&window="+w, nil, nil)
	var rep restv1.CostReport
	if r.Status != http.StatusOK {
		t.Fatalf("GET costs as %s: %s", user, r)
	}
	if err := json.Unmarshal(r.Body, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// charged is a report's charged amount per line, without zero lines and platform lines (idle, unallocated).
func charged(rep restv1.CostReport) string {
	m := map[string]string{}
	for _, l := range rep.Lines {
		if l.Charged != "0" && l.Key[0] != '_' {
			m[l.Key] = l.Charged
		}
	}
	return fmt.Sprint(m)
}
