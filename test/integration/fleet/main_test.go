// Package fleet tests naas managing namespaces on several clusters, with three real local control planes: the
// management cluster and two members. It covers registration (status, conditions, what is installed on each
// member and kept there), provisioning on a member (bundle, drift, deletion), guardrails that hold on a member
// while naas is down, a member that stops answering and comes back, and the removal of a member.
package fleet

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var (
	env              *testenv.Environment
	member1, member2 *testenv.Environment
	naas             *testenv.Platform
)

const (
	memberOne = "member-1"
	memberTwo = "member-2"
)

// statusPeriod is the tests' HeartbeatStatusPeriod: short, so that a change on a member that nothing watches
// (a node's capacity) shows within the tests' bounds.
const statusPeriod = 10 * time.Second

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "fleet: %v\n", err)
		return 1
	}
	if member1, err = testenv.StartMember(testenv.Options{}); err != nil {
		return fail(err)
	}
	defer member1.Stop()
	if member2, err = testenv.StartMember(testenv.Options{}); err != nil {
		return fail(err)
	}
	defer member2.Stop()
	if env, err = testenv.Start(testenv.Options{AsServiceAccount: true}); err != nil {
		return fail(err)
	}
	defer env.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for name, member := range map[string]*testenv.Environment{memberOne: member1, memberTwo: member2} {
		if _, err := env.RegisterMember(ctx, name, member, map[string]string{"environment": "test", "region": name}); err != nil {
			return fail(err)
		}
	}
	if err := startNaas(); err != nil {
		return fail(err)
	}
	defer func() { naas.Stop() }()
	return m.Run()
}

// startNaas starts naas against the management cluster, as the tests' global naas.
func startNaas() error { return startNaasWith(statusPeriod) }

// startNaasWith starts the tests' global naas with the HeartbeatStatusPeriod period.
func startNaasWith(period time.Duration) error {
	p, stop, err := env.StartPlatform(func(o *setup.Options) { o.Fleet.HeartbeatStatusPeriod = period })
	if err != nil {
		return err
	}
	naas = testenv.NewPlatform(p, stop)
	return nil
}
