package ha

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// takeoverDeadline is how soon after the leader dies the other replica must lead (issue 17).
const takeoverDeadline = 20 * time.Second

// The leader is killed (SIGKILL: no hand-over) in the middle of a burst of 200 claims. The other replica leads
// within 20 s, its REST API answers throughout (5xx only as 503 with Retry-After), and every claim reaches
// Ready with exactly its own namespace and objects: none twice, none without a claim.
func TestReplicas_LeaderKilledMidBurstLosesNothing(t *testing.T) {
	ctx := testenv.Context(t)
	c := newCluster(t)
	a, b := c.start(t, "a"), c.start(t, "b")
	lead := leader(t, a, b)
	survivor := a
	if lead == a {
		survivor = b
	}
	l, err := lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	holder := ptr.Deref(l.Spec.HolderIdentity, "")
	if holder == "" {
		t.Fatal("the lease has no holder while a replica leads")
	}

	const tenantName, claims, killAfter = "burst", 200, 60
	tn := &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: tenantName},
		Spec:       naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "bob", Role: naasv1alpha1.RoleDeveloper}}},
	}
	if err := env.Client.Create(ctx, tn); err != nil {
		t.Fatal(err)
	}
	names := make([]string, claims)
	for i := range names {
		names[i] = fmt.Sprintf("burst-%03d", i)
	}
	t.Cleanup(func() {
		for _, n := range names {
			_ = env.Client.Delete(context.Background(), &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: n}})
		}
		_ = env.Client.Delete(context.Background(), tn)
	})

	// Whatever the survivor answers is checked, from before the kill until every claim is Ready.
	var (
		mu        sync.Mutex
		bad       []string
		answered  atomic.Int64
		dead      atomic.Bool
		killedAt  time.Time
		killed    = make(chan struct{})
		killOnce  sync.Once
		completed atomic.Int64
	)
	checkSurvivor := func(what string, rep *reply, err error) {
		if err != nil {
			mu.Lock()
			bad = append(bad, fmt.Sprintf("%s: %v", what, err))
			mu.Unlock()
			return
		}
		answered.Add(1)
		if rep.status >= 500 && (rep.status != http.StatusServiceUnavailable || rep.retryAfter == "") {
			mu.Lock()
			bad = append(bad, fmt.Sprintf("%s: %d (Retry-After %q) %s", what, rep.status, rep.retryAfter, rep.body))
			mu.Unlock()
		}
	}
	probeCtx, stopProbe := context.WithCancel(ctx)
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		for probeCtx.Err() == nil {
			rep, err := call(probeCtx, survivor, "bob", http.MethodGet, "/api/v1/namespaces", nil)
			if probeCtx.Err() != nil {
				return
			}
			checkSurvivor("GET /api/v1/namespaces", rep, err)
			select {
			case <-probeCtx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()

	// The burst: 20 clients, alternating replicas; a request the dead replica cannot answer goes to the
	// survivor, as a Service would send it; a 503 is retried after its Retry-After.
	request := func(r *replica, name string) (*reply, error) {
		return call(ctx, r, "bob", http.MethodPost, "/api/v1/namespaces/request", map[string]any{
			"name": name, "tenant": tenantName, "template": "standard",
			"parameters": map[string]string{"owner_email": "bob@example.com"},
		})
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				target := []*replica{a, b}[i%2]
				retried := false
				for attempt := 0; ; attempt++ {
					if target != survivor && dead.Load() {
						target, retried = survivor, true
					}
					rep, err := request(target, names[i])
					if target == survivor {
						checkSurvivor("POST "+names[i], rep, err)
					}
					switch {
					case err != nil && target != survivor:
						target, retried = survivor, true // The leader died under this request.
						continue
					case err != nil:
					case rep.status == http.StatusAccepted:
					case (rep.status == http.StatusOK || rep.status == http.StatusConflict) && retried:
						// The dead replica had created it before it died: the retry finds it (the API answers
						// a replayed request 200), created once, as it should be.
					case rep.status == http.StatusServiceUnavailable && attempt < 20:
						s, _ := strconv.Atoi(rep.retryAfter)
						time.Sleep(time.Duration(max(s, 1)) * time.Second) // The client obeys Retry-After.
						retried = true
						continue
					default:
						mu.Lock()
						bad = append(bad, fmt.Sprintf("POST %s to %s: %d %s", names[i], target.name, rep.status, rep.body))
						mu.Unlock()
					}
					break
				}
				if completed.Add(1) == killAfter {
					killOnce.Do(func() {
						lead.kill()
						dead.Store(true)
						killedAt = time.Now()
						close(killed)
					})
				}
			}
		}()
	}
	for i := range claims {
		work <- i
	}
	close(work)
	wg.Wait()
	<-killed

	// The survivor leads within the deadline of the kill: the Lease changes hands. The new holder writes when it
	// acquired it (same machine, same clock), so the takeover is timed however late the test looks.
	var takeover time.Duration
	testenv.Eventually(t, 2*time.Minute, "another replica holds the lease", func() error {
		lease, err := lease(ctx)
		if err != nil {
			return err
		}
		h := ptr.Deref(lease.Spec.HolderIdentity, "")
		if h == "" || h == holder || lease.Spec.AcquireTime == nil {
			return fmt.Errorf("holder %q", h)
		}
		takeover = lease.Spec.AcquireTime.Sub(killedAt)
		return nil
	})
	if takeover > takeoverDeadline {
		t.Errorf("the survivor led %s after the leader was killed, want within %s", takeover.Round(time.Second), takeoverDeadline)
	}
	t.Logf("replica %s killed after %d claims; replica %s led %s later", lead.name, killAfter, survivor.name, takeover.Round(100*time.Millisecond))
	if ok, err := survivor.leads(); err != nil || !ok {
		t.Errorf("the survivor does not say it leads (%v)", err)
	}

	testenv.Eventually(t, 10*time.Minute, "every claim Ready", func() error {
		var list naasv1alpha1.NamespaceClaimList
		if err := env.Client.List(ctx, &list); err != nil {
			return err
		}
		ready := 0
		for _, cl := range list.Items {
			if cl.Spec.Tenant == tenantName && cl.Status.Phase == naasv1alpha1.PhaseReady {
				ready++
			}
		}
		if ready != claims {
			return fmt.Errorf("%d of %d claims Ready", ready, claims)
		}
		return nil
	})
	stopProbe()
	<-probeDone
	mu.Lock()
	if len(bad) > 0 {
		t.Errorf("the survivor's API failed %d times (only 503 with Retry-After is allowed):\n%s", len(bad), strings.Join(bad, "\n"))
	}
	mu.Unlock()
	if answered.Load() == 0 {
		t.Error("the survivor answered nothing")
	}

	checkNoDuplicatesOrOrphans(ctx, t, tenantName, names)
}

// checkNoDuplicatesOrOrphans checks that the tenant has exactly the claims named, each with its namespace, and
// that every namespace holds the same managed objects once: nothing twice, nothing without a claim.
func checkNoDuplicatesOrOrphans(ctx context.Context, t *testing.T, tenant string, names []string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var list naasv1alpha1.NamespaceClaimList
	if err := env.Client.List(ctx, &list); err != nil {
		t.Fatal(err)
	}
	var extra []string
	got := 0
	for _, cl := range list.Items {
		if cl.Spec.Tenant != tenant {
			continue
		}
		got++
		if !want[cl.Name] {
			extra = append(extra, cl.Name)
		}
	}
	if got != len(names) || len(extra) > 0 {
		t.Errorf("%d claims of tenant %s, want %d; not requested: %v", got, tenant, len(names), extra)
	}
	var nss corev1.NamespaceList
	if err := env.Client.List(ctx, &nss, client.MatchingLabels{naasv1alpha1.LabelTenant: tenant}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ns := range nss.Items {
		if !want[ns.Name] || ns.Labels[naasv1alpha1.LabelClaim] != ns.Name {
			t.Errorf("namespace %s (claim label %q) belongs to no claim of the burst", ns.Name, ns.Labels[naasv1alpha1.LabelClaim])
		}
		seen[ns.Name] = true
	}
	if len(seen) != len(names) {
		t.Errorf("%d namespaces of tenant %s, want %d", len(seen), tenant, len(names))
	}

	// Managed objects: per kind, every namespace of the burst holds the same number, and none is elsewhere.
	managed := client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}
	kinds := map[string]client.ObjectList{
		"ResourceQuota": &corev1.ResourceQuotaList{}, "LimitRange": &corev1.LimitRangeList{},
		"RoleBinding": &rbacv1.RoleBindingList{}, "NetworkPolicy": &networkingv1.NetworkPolicyList{},
	}
	for kind, l := range kinds {
		if err := env.Client.List(ctx, l, managed); err != nil {
			t.Fatal(err)
		}
		perNS := map[string]int{}
		items, err := meta.ExtractList(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range items {
			o, err := meta.Accessor(item)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(o.GetNamespace(), tenant+"-") {
				if !want[o.GetNamespace()] {
					t.Errorf("%s %s/%s is in a namespace of no claim", kind, o.GetNamespace(), o.GetName())
				}
				perNS[o.GetNamespace()]++
			}
		}
		counts := map[int][]string{}
		for _, n := range names {
			counts[perNS[n]] = append(counts[perNS[n]], n)
		}
		if len(counts) != 1 {
			var s []string
			for n, nss := range counts {
				sort.Strings(nss)
				s = append(s, fmt.Sprintf("%d in %d namespaces (e.g. %s)", n, len(nss), nss[0]))
			}
			t.Errorf("%s: namespaces differ: %s", kind, strings.Join(s, "; "))
		}
		if kind == "ResourceQuota" && perNS[names[0]] == 0 {
			t.Errorf("no ResourceQuota in %s", names[0])
		}
	}
}
