package cacheindex_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) {
	testenv.Main(m, &env, testenv.Options{NoControllerManager: true})
}

// TestEach_HandsOverTheIndexedObjectsAsTheCacheHoldsThem indexes claims (SetupClaimIndexes) in a real cache and checks that
// Each finds exactly a tenant's claims, the same ones a List finds, and that they are the cache's own objects.
func TestEach_HandsOverTheIndexedObjectsAsTheCacheHoldsThem(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := cache.New(env.Config, cache.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	claim := &naasv1alpha1.NamespaceClaim{}
	if err := cacheindex.SetupClaimIndexes(ctx, c); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	for i, tenant := range []string{"each-a", "each-a", "each-b"} {
		obj := &naasv1alpha1.NamespaceClaim{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("each-%d", i)},
			Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: "standard"},
		}
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), obj) })
	}

	var first []*naasv1alpha1.NamespaceClaim
	testenv.Eventually(t, 10*time.Second, "the cache holds tenant each-a's claims", func() error {
		first = nil
		if err := cacheindex.Each(ctx, c, claim, cacheindex.ClaimTenant, "each-a", func(o *naasv1alpha1.NamespaceClaim) {
			first = append(first, o)
		}); err != nil {
			return err
		}
		if len(first) != 2 {
			return fmt.Errorf("found %d claims", len(first))
		}
		return nil
	})
	var names []string
	for _, o := range first {
		names = append(names, o.Name)
	}
	slices.Sort(names)
	list := &naasv1alpha1.NamespaceClaimList{}
	if err := c.List(ctx, list, client.MatchingFields{cacheindex.ClaimTenant: "each-a"}); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, o := range list.Items {
		listed = append(listed, o.Name)
	}
	slices.Sort(listed)
	if !slices.Equal(names, listed) || !slices.Equal(names, []string{"each-0", "each-1"}) {
		t.Errorf("Each found %v, List %v, want each-0 and each-1", names, listed)
	}
	// The same objects again, not copies.
	var again []*naasv1alpha1.NamespaceClaim
	if err := cacheindex.Each(ctx, c, claim, cacheindex.ClaimTenant, "each-a", func(o *naasv1alpha1.NamespaceClaim) { again = append(again, o) }); err != nil {
		t.Fatal(err)
	}
	for _, o := range again {
		if !slices.Contains(first, o) {
			t.Errorf("claim %s is a copy, not the cache's object", o.Name)
		}
	}
	if err := cacheindex.Each(ctx, c, claim, cacheindex.ClaimTenant, "no-such-tenant", func(o *naasv1alpha1.NamespaceClaim) {
		t.Errorf("found %s for a tenant without claims", o.Name)
	}); err != nil {
		t.Fatal(err)
	}
	if err := cacheindex.Each(ctx, c, claim, "spec.unindexed", "x", func(*naasv1alpha1.NamespaceClaim) {}); err == nil {
		t.Error("an index that does not exist is not an error")
	}
}
