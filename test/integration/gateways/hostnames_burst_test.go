package gateways

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// Two tenants create 500 claims each at once, 16 at a time, with the platform's base domain on, so that every
// claim reserves its default hostname: none is refused. (With one hostname ledger for the whole base domain, 50
// of them ran into the webhook's 3 s timeout.) The claims wait for approval, so that the test measures admission,
// not provisioning; bench/ reports the latency.
func TestHostnames_TwoTenantBurstWithTheBaseDomainHasNoRefusals(t *testing.T) {
	ctx := context.Background()
	const perTenant, workers = 500, 16
	tpl := &naasv1alpha1.NamespaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "gw-approval"},
		Spec:       naasv1alpha1.NamespaceTemplateSpec{DisplayName: "approval", DefaultTier: "dev", RequiresApproval: true},
	}
	if err := env.Client.Create(ctx, tpl); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	testenv.Tenant("burst-a").Admin("alice").Create(t, env)
	testenv.Tenant("burst-b").Admin("bob").Create(t, env)

	type job struct{ user, tenant, name string }
	jobs := make(chan job, 2*perTenant)
	for i := range perTenant {
		jobs <- job{"alice", "burst-a", fmt.Sprintf("burst-a-%03d", i)}
		jobs <- job{"bob", "burst-b", fmt.Sprintf("burst-b-%03d", i)}
	}
	close(jobs)
	users := map[string]client.Client{"alice": env.UserClient("alice"), "bob": env.UserClient("bob")}
	var mu sync.Mutex
	var refused []string
	var created []string
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				err := users[j.user].Create(ctx, claim(j.name, j.tenant, tpl.Name))
				mu.Lock()
				if err != nil {
					refused = append(refused, fmt.Sprintf("%s: %v", j.name, err))
				} else {
					created = append(created, j.name)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d claims admitted in %s", len(created), time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { deleteClaims(t, created) })
	if len(refused) > 0 {
		t.Errorf("%d of %d claims refused, want none; the first: %v", len(refused), 2*perTenant, refused[:min(5, len(refused))])
	}
	// Each holds its default hostname.
	for _, name := range []string{"burst-a-000", "burst-b-499"} {
		c := env.GetClaim(t, name)
		if want := fmt.Sprintf("%s.%s.%s", name, c.Spec.Tenant, baseDomain); len(c.Spec.Hostnames) != 1 || c.Spec.Hostnames[0] != want {
			t.Errorf("claim %s holds %v, want %s", name, c.Spec.Hostnames, want)
		}
	}
}

// deleteClaims deletes claims, 16 at a time, and waits until they are gone.
func deleteClaims(t *testing.T, names []string) {
	t.Helper()
	ctx := context.Background()
	ch := make(chan string, len(names))
	for _, n := range names {
		ch <- n
	}
	close(ch)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range ch {
				_ = env.Client.Delete(ctx, &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: n}})
			}
		}()
	}
	wg.Wait()
	testenv.Eventually(t, 3*time.Minute, "the burst's claims gone", func() error {
		for _, n := range names {
			if env.ClaimExists(t, n) {
				return testenv.Errorf("claim %s still there", n)
			}
		}
		return nil
	})
}
