package cli

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/pflag"
)

// defaultGOGC is naas's garbage collection target: a collection when the heap has grown by half of what was live
// after the last one, where Go's default waits until it has doubled. naas's live heap is mostly its caches of
// long-lived objects (claims, tenants, the inventory), so a collection finds little to free and costs little
// CPU, while the default let the heap, and the process's memory, swing to twice the live heap between
// collections. Prometheus made the same change (GOGC 50 by default since v2.53).
const defaultGOGC = 50

// addGOGCFlag registers --gogc.
func addGOGCFlag(f *pflag.FlagSet, gogc *int) {
	f.IntVar(gogc, "gogc", defaultGOGC, "unless GOGC is set, Go's garbage collection target percentage: collect when the heap has grown by this percentage of what was live (Go's default 100; lower uses less memory and a little more CPU)")
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
