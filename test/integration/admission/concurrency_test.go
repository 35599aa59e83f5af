package admission

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/quota"
	"github.com/naas-dev/naas/internal/testenv"
)

// parallel runs f(i) for i in [0, n) at once and returns the errors by index.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func TestConcurrency_NamespaceCapHoldsExactlyUnderParallelClaims(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("burst").Developer("bob").
		With(func(s *naasv1alpha1.TenantSpec) { s.MaxNamespaces = ptr.To[int32](5) }).Create(t, env)
	bob := as("bob")
	errs := parallel(20, func(i int) error {
		return bob.Create(ctx, claim(fmt.Sprintf("burst-%02d", i), "burst", "dev"))
	})
	var created []string
	denials := 0
	for i, err := range errs {
		name := fmt.Sprintf("burst-%02d", i)
		switch {
		case err == nil:
			created = append(created, name)
			t.Cleanup(func() { env.DeleteClaim(name) })
		case apierrors.IsInvalid(err) && strings.Contains(err.Error(), `tenant "burst" already has 5 namespaces and allows at most 5 (spec.maxNamespaces)`) &&
			strings.Contains(err.Error(), "delete a namespace or ask a platform admin to raise the limit"):
			denials++
		default:
			t.Errorf("claim %s: unexpected answer: %v", name, err)
		}
	}
	if len(created) != 5 || denials != 15 {
		t.Fatalf("20 parallel claims against a cap of 5: %d created (%v), %d clear denials; want exactly 5 and 15", len(created), created, denials)
	}

	namespaces := func() (int, error) {
		list := &corev1.NamespaceList{}
		err := env.Client.List(ctx, list, client.MatchingLabels{naasv1alpha1.LabelTenant: "burst"})
		return len(list.Items), err
	}
	testenv.Eventually(t, 60*time.Second, "5 namespaces", func() error {
		if n, err := namespaces(); err != nil || n != 5 {
			return testenv.Errorf("%d namespaces (%v)", n, err)
		}
		return nil
	})
	testenv.Consistently(t, 2*time.Second, "no sixth namespace", func() error {
		if n, err := namespaces(); err != nil || n != 5 {
			return testenv.Errorf("%d namespaces (%v)", n, err)
		}
		return nil
	})

	// A deleted namespace frees its slot at once.
	env.DeleteClaim(created[0])
	testenv.Eventually(t, 60*time.Second, "a new claim once one is deleted", func() error {
		return bob.Create(ctx, claim("burst-next", "burst", "dev"))
	})
	t.Cleanup(func() { env.DeleteClaim("burst-next") })
}

func TestConcurrency_TenantQuotaHoldsAcrossNamespacesUnderParallelPods(t *testing.T) {
	ctx := context.Background()
	const namespaces, pods, capPods = 5, 50, 12
	hard := corev1.ResourceList{
		corev1.ResourcePods:        resource.MustParse(fmt.Sprint(capPods)),
		corev1.ResourceRequestsCPU: resource.MustParse(fmt.Sprintf("%dm", capPods*100)),
	}
	tn := testenv.Tenant("swarm").Developer("bob").
		With(func(s *naasv1alpha1.TenantSpec) { s.Quota = hard }).Create(t, env)
	for i := range namespaces {
		env.Provision(t, claim(fmt.Sprintf("swarm-%d", i), "swarm", "dev"))
	}
	if err := env.EventuallyAs(t, "bob", func(c client.Client) error {
		return c.Create(ctx, testenv.RestrictedPod("swarm-0", "warmup"))
	}); err != nil {
		t.Fatalf("first pod: %v", err)
	}
	if err := env.Client.Delete(ctx, testenv.RestrictedPod("swarm-0", "warmup"), client.GracePeriodSeconds(0)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "warm-up pod gone", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: "swarm-0", Name: "warmup"}, &corev1.Pod{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return testenv.Errorf("still there (%v)", err)
	})

	// Watch usage from the outside while the pods race: it must never exceed the cap.
	stopWatching := make(chan struct{})
	watched := make(chan error, 1)
	go func() {
		defer close(watched)
		for {
			select {
			case <-stopWatching:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if n, err := countPods(ctx, "swarm"); err == nil && n > capPods {
				watched <- fmt.Errorf("%d pods exist, over the tenant cap of %d", n, capPods)
				return
			}
		}
	}()

	bob := as("bob")
	errs := parallel(pods, func(i int) error {
		pod := testenv.RestrictedPod(fmt.Sprintf("swarm-%d", i%namespaces), fmt.Sprintf("p-%02d", i))
		for {
			err := bob.Create(ctx, pod)
			if !apierrors.IsConflict(err) && !apierrors.IsServerTimeout(err) { // kube's own quota may ask to retry
				return err
			}
		}
	})
	close(stopWatching)
	if err := <-watched; err != nil {
		t.Error(err)
	}
	admitted, refused := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			admitted++
		case apierrors.IsForbidden(err) && strings.Contains(err.Error(), `tenant "swarm" would exceed its tenant-wide quota (spec.quota, the sum over all its namespaces)`):
			refused++
		default:
			t.Errorf("pod %d: unexpected answer: %v", i, err)
		}
	}
	t.Logf("%d pods admitted, %d refused by the tenant quota", admitted, refused)
	if admitted != capPods || refused != pods-capPods {
		t.Errorf("%d parallel pods across %d namespaces against a cap of %d: %d admitted, %d refused; want exactly %d and %d",
			pods, namespaces, capPods, admitted, refused, capPods, pods-capPods)
	}
	if n, err := countPods(ctx, "swarm"); err != nil || n != capPods {
		t.Errorf("%d pods exist (%v), want %d", n, err, capPods)
	}

	// status.used shows the usage, within the cap.
	testenv.Eventually(t, 30*time.Second, "status.used", func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(tn), tn); err != nil {
			return err
		}
		used := tn.Status.Used[corev1.ResourcePods]
		if used.Cmp(resource.MustParse(fmt.Sprint(capPods))) != 0 {
			return testenv.Errorf("status.used = %v", tn.Status.Used)
		}
		if !quota.Covers(hard, tn.Status.Used) {
			return testenv.Errorf("status.used %v exceeds the quota %v", tn.Status.Used, hard)
		}
		return nil
	})

	// Deleting pods frees their share for the next ones at once.
	for i := range namespaces {
		if err := env.Client.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(fmt.Sprintf("swarm-%d", i)), client.GracePeriodSeconds(0)); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 30*time.Second, "a pod fits once others are deleted", func() error {
		return bob.Create(ctx, testenv.RestrictedPod("swarm-1", "after-delete"))
	})
	denied(t, "dry run over the cap", func() error {
		extra := testenv.RestrictedPod("swarm-2", "extra")
		extra.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("2")
		extra.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU] = resource.MustParse("2")
		return bob.Create(ctx, extra, client.DryRunAll)
	}(), metav1.StatusReasonForbidden, "requested requests.cpu=2; already used requests.cpu=100m; limited to requests.cpu=1200m")
}

// countPods counts the pods of a tenant that its quota charges.
func countPods(ctx context.Context, tenantName string) (int, error) {
	nsList := &corev1.NamespaceList{}
	if err := env.Client.List(ctx, nsList, client.MatchingLabels{naasv1alpha1.LabelTenant: tenantName}); err != nil {
		return 0, err
	}
	n := 0
	for _, ns := range nsList.Items {
		list := &corev1.PodList{}
		if err := env.Client.List(ctx, list, client.InNamespace(ns.Name)); err != nil {
			return 0, err
		}
		for i := range list.Items {
			if quota.Charged(&list.Items[i], time.Now()) && list.Items[i].DeletionTimestamp == nil {
				n++
			}
		}
	}
	return n, nil
}
