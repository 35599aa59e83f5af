// Package provisioning tests namespace provisioning end to end on the real local
// control plane: claim to Ready, tenant access, drift healing, idle resyncs,
// deletion and network policy meaning.
package provisioning

import (
	"testing"

	"github.com/naas-dev/naas/internal/testenv"
)

var (
	env *testenv.Environment
	// naas is the platform under test.
	naas *testenv.Platform
)

func TestMain(m *testing.M) {
	testenv.MainWithPlatform(m, &env, &naas, testenv.Options{AsServiceAccount: true})
}
