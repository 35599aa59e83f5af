// Package upgrade tests what naas does when it starts against a cluster that the previous release set up: it
// upgrades the CRDs and rewrites none of the objects or namespaces already there. kube-apiserver's audit log,
// which records every request of naas's own user, is the witness.
package upgrade

import (
	"fmt"
	"os"
	"path/filepath"
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

// auditPolicy records every request of naas's user at the Metadata level, and nothing else.
var auditPolicy = fmt.Sprintf(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
  users: [%q]
- level: None
`, naasUser)

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
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	audit = &kubeaudit.Log{Path: filepath.Join(dir, "audit.log")}
	e, err := testenv.Start(testenv.Options{
		Users: []testenv.User{{Name: naasUser, Groups: []string{"system:masters"}}},
		// The previous release's CRDs are installed by the test, as that release installed them.
		NoNaasCRDs: true,
		APIServerArgs: []string{
			"--audit-policy-file=" + policy,
			"--audit-log-path=" + audit.Path,
			"--audit-log-format=json",
			// Blocking: an event is in the log before kube-apiserver answers.
			"--audit-log-mode=blocking",
			"--audit-log-maxsize=0",
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env = e
	defer env.Stop()
	return m.Run()
}
