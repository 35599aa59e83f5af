// Package fleetquota tests that a Tenant's tenant-wide quota (spec.quota) holds across a fleet, with three real
// local control planes: the management cluster and two members. Pods created on both members at once are
// admitted up to the quota exactly; deleting one frees room; a tenant without a quota keeps working on a member
// while naas is down, and one with a quota is refused there, saying why; a member that holds the tenant's
// namespaces and does not answer stops its growth rather than letting it be counted wrong; and neither a developer
// nor another tenant can take a namespace out of the count.
package fleetquota

import (
	"context"
	"fmt"
	"os"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

var (
	env     *testenv.Environment
	members = map[string]*testenv.Environment{}
	naas    *testenv.Platform
)

const (
	member1 = "member-1"
	member2 = "member-2"
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "fleetquota: "+format+"\n", args...)
		return 1
	}
	if env, err = testenv.Start(testenv.Options{}); err != nil {
		return fail("start the management control plane: %v", err)
	}
	defer env.Stop()
	for _, name := range []string{member1, member2} {
		member, err := testenv.StartMember(testenv.Options{})
		if err != nil {
			return fail("%v", err)
		}
		defer member.Stop()
		members[name] = member
	}
	if err := startNaas(); err != nil {
		return fail("start naas: %v", err)
	}
	defer func() { naas.Stop() }()
	ctx := context.Background()
	for _, name := range []string{member1, member2} {
		if _, err := env.RegisterMember(ctx, name, members[name], map[string]string{"fleet-test": "member"}); err != nil {
			return fail("register %s: %v", name, err)
		}
	}
	if err := testenv.Poll(2*testenv.WaitTimeout, func() error { return clustersReady(ctx) }); err != nil {
		return fail("members not ready: %v", err)
	}
	return m.Run()
}

// startNaas starts naas against the management cluster, as the tests' global naas.
func startNaas() error {
	p, stop, err := env.StartPlatform()
	if err != nil {
		return err
	}
	naas = testenv.NewPlatform(p, stop)
	return nil
}

// clustersReady says whether naas finds both members Ready.
func clustersReady(ctx context.Context) error {
	for _, name := range []string{member1, member2} {
		c := &naasv1alpha1.Cluster{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		if !apimeta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ClusterReady) {
			return fmt.Errorf("cluster %s is not Ready: %+v", name, c.Status.Conditions)
		}
	}
	return nil
}

// waitTimeout bounds what waits on naas and three control planes on a busy machine.
const waitTimeout = 2 * testenv.WaitTimeout
