package ha

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// Two replicas admit requests for one tenant at once, each through its own REST API and both through the
// webhooks: the tenant's namespace cap holds exactly, neither one namespace more (a ledger write lost between
// replicas) nor one fewer (a reservation leaked by a refused request).
func TestReplicas_NamespaceCapExactWhenTwoReplicasAdmitInParallel(t *testing.T) {
	ctx := testenv.Context(t)
	c := newCluster(t)
	a, b := c.start(t, "a"), c.start(t, "b")
	leader(t, a, b) // One runs the controllers; both admit.

	const tenantName, maxNamespaces, requests = "capped", 10, 40
	tn := &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: tenantName},
		Spec: naasv1alpha1.TenantSpec{
			MaxNamespaces: ptr.To[int32](maxNamespaces),
			Owners:        []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "bob", Role: naasv1alpha1.RoleDeveloper}},
		},
	}
	if err := env.Client.Create(ctx, tn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), tn) })

	type outcome struct {
		replica string
		reply   *reply
		err     error
	}
	outcomes := make([]outcome, requests)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range requests {
		r := []*replica{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rep, err := call(ctx, r, "bob", http.MethodPost, "/api/v1/namespaces/request", map[string]any{
				"name": fmt.Sprintf("capped-%02d", i), "tenant": tenantName, "template": "standard",
				"parameters": map[string]string{"owner_email": "bob@example.com"},
			})
			outcomes[i] = outcome{replica: r.name, reply: rep, err: err}
		}()
	}
	close(start)
	wg.Wait()

	admitted := map[string]int{}
	for i, o := range outcomes {
		switch {
		case o.err != nil:
			t.Errorf("request %d to replica %s: %v", i, o.replica, o.err)
		case o.reply.status == http.StatusAccepted:
			admitted[o.replica]++
		case o.reply.status == http.StatusUnprocessableEntity:
		default:
			t.Errorf("request %d to replica %s: %d %s; want 202, or 422 over the cap", i, o.replica, o.reply.status, o.reply.body)
		}
	}
	if total := admitted["a"] + admitted["b"]; total != maxNamespaces {
		t.Errorf("%d requests admitted (%v by replica), want exactly %d", total, admitted, maxNamespaces)
	}
	if served := c.lb.ServedBy(); served[a.webhookAddr] == 0 || served[b.webhookAddr] == 0 {
		t.Errorf("the webhooks were not spread over both replicas: %v", served)
	}

	// What the cluster holds agrees: exactly the cap's claims, and as many namespaces once they are provisioned.
	var claims naasv1alpha1.NamespaceClaimList
	if err := env.Client.List(ctx, &claims); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, cl := range claims.Items {
		if cl.Spec.Tenant == tenantName {
			names = append(names, cl.Name)
		}
	}
	if len(names) != maxNamespaces {
		t.Fatalf("%d claims of tenant %s, want %d: %v", len(names), tenantName, maxNamespaces, names)
	}
	testenv.Eventually(t, 3*time.Minute, "the admitted claims' namespaces", func() error {
		var nss corev1.NamespaceList
		if err := env.Client.List(ctx, &nss, client.MatchingLabels{naasv1alpha1.LabelTenant: tenantName}); err != nil {
			return err
		}
		if len(nss.Items) != maxNamespaces {
			return fmt.Errorf("%d namespaces of tenant %s, want %d", len(nss.Items), tenantName, maxNamespaces)
		}
		return nil
	})
	t.Cleanup(func() {
		for _, n := range names {
			_ = env.Client.Delete(context.Background(), &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: n}})
		}
	})
}

// Two replicas admit claims for one hostname at once (the API server's webhook calls spread over both): exactly
// one claim holds it, however the hostname ledger's writes interleave.
func TestReplicas_HostnameHeldOnceWhenTwoReplicasAdmitInParallel(t *testing.T) {
	ctx := testenv.Context(t)
	c := newCluster(t)
	a, b := c.start(t, "a"), c.start(t, "b")
	tn := &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "hosts"},
		Spec: naasv1alpha1.TenantSpec{
			Domains: []string{"shared.example.com"},
			Owners:  []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "bob", Role: naasv1alpha1.RoleAdmin}},
		},
	}
	if err := env.Client.Create(ctx, tn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), tn) })

	const claims = 20
	before := c.lb.ServedBy()
	bob := env.UserClient("bob")
	for i := range claims {
		name := fmt.Sprintf("hosts-%02d", i)
		t.Cleanup(func() {
			_ = env.Client.Delete(context.Background(), &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: name}})
		})
	}
	winners := testenv.RaceForHostnames(t, claims, func(i int) (string, error) {
		name := fmt.Sprintf("hosts-%02d", i)
		return name, bob.Create(ctx, &naasv1alpha1.NamespaceClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: tn.Name, Template: "standard",
				Parameters: map[string]string{"owner_email": "bob@example.com"},
				Hostnames:  []string{"api.shared.example.com"}},
		})
	})
	if len(winners) != 1 {
		t.Errorf("%d claims hold api.shared.example.com: %v; want exactly one", len(winners), winners)
	}
	after := c.lb.ServedBy()
	if after[a.webhookAddr] == before[a.webhookAddr] || after[b.webhookAddr] == before[b.webhookAddr] {
		t.Errorf("the admissions were not spread over both replicas: %v, then %v", before, after)
	}
}
