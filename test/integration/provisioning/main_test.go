// Package provisioning tests namespace provisioning end to end on the real local
// control plane: claim to Ready, tenant access, drift healing, idle resyncs,
// deletion and network policy meaning.
package provisioning

import (
	"fmt"
	"os"
	"testing"

	"github.com/naas-dev/naas/internal/testenv"
)

var (
	env          *testenv.Environment
	platformAddr string
)

func TestMain(m *testing.M) {
	e, err := testenv.Start(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env = e
	p, stop, err := env.StartPlatform()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		env.Stop()
		os.Exit(1)
	}
	platformAddr = p.Addr()
	code := m.Run()
	stop()
	env.Stop()
	os.Exit(code)
}
