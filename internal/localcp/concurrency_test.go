package localcp

import (
	"slices"
	"testing"
)

func TestServerConcurrency_GrowsWithCPUsFromTwo(t *testing.T) {
	for _, tc := range []struct {
		cpus, readOnly, mutating int
	}{
		{cpus: 0, readOnly: 90, mutating: 40},
		{cpus: 1, readOnly: 90, mutating: 40},
		{cpus: 2, readOnly: 90, mutating: 40},
		{cpus: 4, readOnly: 180, mutating: 80},
		// About Kubernetes' default total (600) at nine CPUs.
		{cpus: 9, readOnly: 405, mutating: 180},
	} {
		r, m := ServerConcurrency(tc.cpus)
		if r != tc.readOnly || m != tc.mutating {
			t.Errorf("ServerConcurrency(%d) = %d, %d; want %d, %d", tc.cpus, r, m, tc.readOnly, tc.mutating)
		}
	}
	want := []string{"--max-requests-inflight=90", "--max-mutating-requests-inflight=40"}
	if got := concurrencyArgs(2); !slices.Equal(got, want) {
		t.Errorf("concurrencyArgs(2) = %v, want %v", got, want)
	}
}
