// Package upgrade tests what naas does when it starts against a cluster that the previous release set up: it
// upgrades the CRDs and rewrites none of the objects or namespaces already there. kube-apiserver's audit log,
// which records every request of naas's own user, is the witness.
package upgrade

import (
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
	// The previous release's CRDs are installed by the test, as that release installed them.
	testenv.MainAuditing(m, &env, &audit, naasUser, testenv.Options{NoNaasCRDs: true})
}
