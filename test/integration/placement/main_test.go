// Package placement tests where naas places namespaces in a fleet: a management control plane and two member
// control planes registered as Clusters, naas running against the management one. It covers the tenant's,
// template's and tier's selectors, taints and tolerations, cordons, a claim naming its cluster, capacity under a
// concurrent burst, spreading a tenant, placements that never move, unreachable members, and what a developer,
// another tenant or a user in no tenant cannot do about where namespaces go.
package placement

import (
	"context"
	"fmt"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var (
	env *testenv.Environment
	// members are the member control planes, by Cluster name.
	members = map[string]*testenv.Environment{}
	naas    string // the REST API's base URL
)

// Members: member-1 is environment=dev with room for anything; member-2 is environment=prod with memory for
// exactly burstRoom namespaces of tier fleet-burst (besides the few small ones other tests place there).
const (
	member1   = "member-1"
	member2   = "member-2"
	burstRoom = 3
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "placement: "+format+"\n", args...)
		return 1
	}
	if env, err = testenv.Start(testenv.Options{}); err != nil {
		return fail("start the management control plane: %v", err)
	}
	defer env.Stop()
	// member-2: room for exactly burstRoom namespaces of 1Ti, next to up to 100Gi of small ones.
	room := resource.MustParse(fmt.Sprintf("%dTi", burstRoom))
	room.Add(resource.MustParse("100Gi"))
	for name, memory := range map[string]resource.Quantity{member1: resource.MustParse("100Ti"), member2: room} {
		member, err := testenv.StartMember(testenv.Options{})
		if err != nil {
			return fail("%v", err)
		}
		defer member.Stop()
		members[name] = member
		if err := addNode(member, memory); err != nil {
			return fail("node of %s: %v", name, err)
		}
	}
	p, stop, err := env.StartPlatform(func(o *setup.Options) {
		o.API.TokenFile = env.APITokenFile()
		o.API.AuditDB = env.Path("audit.db")
	})
	if err != nil {
		return fail("start naas: %v", err)
	}
	defer stop()
	naas = "http://" + p.Addr()
	ctx := context.Background()
	for name, labels := range map[string]map[string]string{
		member1: {"environment": "dev", "fleet-test": "member"},
		member2: {"environment": "prod", "fleet-test": "member"},
	} {
		if _, err := env.RegisterMember(ctx, name, members[name], labels); err != nil {
			return fail("register %s: %v", name, err)
		}
	}
	if err := seed(ctx); err != nil {
		return fail("seed: %v", err)
	}
	return m.Run()
}

// addNode adds a node with the allocatable memory given and plenty of CPU: naas sums nodes' allocatable.
func addNode(member *testenv.Environment, memory resource.Quantity) error {
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}
	if err := member.Client.Create(ctx, node); err != nil {
		return err
	}
	node.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000"), corev1.ResourceMemory: memory}
	node.Status.Allocatable = node.Status.Capacity
	return member.Client.Status().Update(ctx, node)
}

// Tiers and templates of the tests.
const (
	tierSmall = "fleet-small" // 100m CPU, 128Mi
	tierProd  = "fleet-prod"  // only on environment=prod
	tierBurst = "fleet-burst" // 1Ti of memory: member-2 has room for burstRoom of them
	template  = "fleet"
)

// seed makes the catalog of the tests and waits until naas finds both members ready with their nodes counted.
func seed(ctx context.Context) error {
	quota := func(cpu, mem string) corev1.ResourceList {
		return corev1.ResourceList{"limits.cpu": resource.MustParse(cpu), "limits.memory": resource.MustParse(mem)}
	}
	for _, o := range []client.Object{
		&naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: tierSmall}, Spec: naasv1alpha1.TierSpec{Quota: quota("100m", "128Mi")}},
		&naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: tierProd}, Spec: naasv1alpha1.TierSpec{Quota: quota("100m", "128Mi"),
			ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"environment": "prod"}}}},
		&naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: tierBurst}, Spec: naasv1alpha1.TierSpec{Quota: quota("100m", "1Ti")}},
		&naasv1alpha1.NamespaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: template}, Spec: naasv1alpha1.NamespaceTemplateSpec{
			DisplayName: "Fleet", DefaultTier: tierSmall}},
	} {
		if err := env.Client.Create(ctx, o); err != nil {
			return fmt.Errorf("create %s: %w", o.GetName(), err)
		}
	}
	return testenv.Poll(2*testenv.WaitTimeout, func() error {
		for _, name := range []string{member1, member2} {
			c := &naasv1alpha1.Cluster{}
			if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
				return err
			}
			if !meta(c, naasv1alpha1.ClusterReady) || c.Status.Allocatable.Memory().IsZero() {
				return fmt.Errorf("cluster %s: not ready with its allocatable yet: %+v", name, c.Status)
			}
		}
		return nil
	})
}
