// Package upgrade tests what naas does when it starts against a cluster that the previous release set up: it
// upgrades the CRDs and rewrites none of the objects or namespaces already there. kube-apiserver's audit log,
// which records every request of naas's own user, is the witness.
package upgrade

import (
	"fmt"
	"os"
	"testing"

	"github.com/naas-dev/naas/internal/kubeaudit"
	"github.com/naas-dev/naas/internal/testenv"
)

// naasUser is the user naas acts as in these tests, so that the audit log tells its requests apart from the
// test's own (the admin's).
const naasUser = "naas-controller"

var (
	env   *testenv.Environment
	audit *kubeaudit.Log
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "naas-upgrade-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	args, logPath, err := testenv.AuditUser(dir, naasUser)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	audit = &kubeaudit.Log{Path: logPath}
	e, err := testenv.Start(testenv.Options{
		Users: []testenv.User{{Name: naasUser, Groups: []string{"system:masters"}}},
		// The previous release's CRDs are installed by the test, as that release installed them.
		NoNaasCRDs: true,
		// Every request of naas's user, recorded before kube-apiserver answers (testenv.AuditUser).
		APIServerArgs: args,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env = e
	defer env.Stop()
	return m.Run()
}
