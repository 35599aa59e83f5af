package servercmd

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/pflag"
)

// defaultGOGC is naas's garbage collection target, Go's own: a collection when the heap has doubled since the
// last one. What bounds naas's memory is Go's soft memory limit, derived from the memory naas may use (see
// memoryOptions): under it the collector runs as rarely as the heap allows. A lower target (50 in naas before)
// held memory down without a limit, but at 200 admission requests a second and 10,000 namespaces it ran the
// collector twice as often, each run taking both cores for ~30 ms, and the webhooks' p99 latency was the
// requests that met one.
const defaultGOGC = 100

// addGOGCFlag registers --gogc.
func addGOGCFlag(f *pflag.FlagSet, gogc *int) {
	f.IntVar(gogc, "gogc", defaultGOGC, "unless GOGC is set, Go's garbage collection target percentage: collect when the heap has grown by this percentage of what was live (lower uses less memory and more CPU; the soft memory limit, see --memory-limit, bounds memory whatever this is)")
}

// setGOGC applies --gogc, unless the environment sets GOGC, which wins.
func setGOGC(gogc int) error {
	if os.Getenv("GOGC") != "" {
		return nil
	}
	if gogc <= 0 {
		return fmt.Errorf("--gogc must be a positive percentage, not %d (to tune the collector otherwise, set GOGC)", gogc)
	}
	debug.SetGCPercent(gogc)
	return nil
}
