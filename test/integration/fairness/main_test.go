// Package fairness tests naas's API Priority and Fairness objects on a real kube-apiserver: which level each
// tenant's requests land in, and that one tenant flooding the API server with lists leaves another tenant's
// requests their latency.
package fairness

import (
	"testing"

	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

// The API server runs with few seats (60, where the default is 600), as a busy production server has few to
// spare: the flood then fills its level's seats rather than only the machine's CPU, which is what priority and
// fairness decides about.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, testenv.Options{APIServerArgs: []string{
		"--max-requests-inflight=40",
		"--max-mutating-requests-inflight=20",
	}})
}
