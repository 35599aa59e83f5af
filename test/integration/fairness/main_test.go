// Package fairness tests naas's API Priority and Fairness objects on a real kube-apiserver: which level each
// tenant's requests land in, and that one tenant flooding the API server with lists leaves another tenant's
// requests their latency.
package fairness

import (
	"testing"

	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

// The API server runs with the local control plane's seats, sized to the machine's CPUs
// (localcp.ServerConcurrency), as naas up runs it.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, testenv.Options{})
}
