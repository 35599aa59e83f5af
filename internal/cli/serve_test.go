package cli

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestServe_MemoryLimitRatioIsChecked(t *testing.T) {
	for _, ratio := range []float64{-0.1, 1.5} {
		o := &serveOptions{memLimit: ratio}
		err := o.setMemoryLimit(&cobra.Command{})
		if err == nil || !strings.Contains(err.Error(), "--auto-gomemlimit-ratio") {
			t.Errorf("ratio %g: %v, want an error naming the flag", ratio, err)
		}
	}
}

func TestServe_MemoryLimitLeavesAnExplicitGOMEMLIMITAlone(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "512MiB")
	before := debug.SetMemoryLimit(-1)
	cmd := &cobra.Command{}
	var out bytes.Buffer
	cmd.SetErr(&out)
	if err := (&serveOptions{memLimit: 0.9}).setMemoryLimit(cmd); err != nil {
		t.Fatal(err)
	}
	if after := debug.SetMemoryLimit(-1); after != before || out.Len() != 0 {
		t.Errorf("memory limit %d -> %d, output %q: an explicit GOMEMLIMIT must win", before, after, out.String())
	}
}
