package servercmd

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
)

const mib = 1 << 20

func TestSoftMemoryLimit(t *testing.T) {
	tests := []struct {
		name           string
		total, fileRSS int64
		ratio          float64
		want           int64
	}{
		{name: "a 150 MiB container, 40 MiB of code in memory", total: 150 * mib, ratio: 0.9, fileRSS: 40 * mib, want: 95 * mib},
		{name: "no code counted", total: 1024 * mib, ratio: 0.9, fileRSS: 0, want: 1024 * mib * 9 / 10},
		{name: "the code larger than half the share leaves the heap half", total: 64 * mib, ratio: 1, fileRSS: 40 * mib, want: 32 * mib},
		{name: "the whole limit", total: 512 * mib, ratio: 1, fileRSS: 12 * mib, want: 500 * mib},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := softMemoryLimit(tt.total, tt.ratio, tt.fileRSS); got != tt.want {
				t.Errorf("softMemoryLimit(%d MiB, %g, %d MiB) = %d MiB, want %d MiB", tt.total/mib, tt.ratio, tt.fileRSS/mib, got/mib, tt.want/mib)
			}
		})
	}
}

func TestParseRssFile(t *testing.T) {
	tests := []struct {
		name, status string
		want         int64
	}{
		{name: "Linux's status", status: "Name:\tnaas\nVmRSS:\t  142000 kB\nRssAnon:\t  100000 kB\nRssFile:\t   40960 kB\nRssShmem:\t       0 kB\n", want: 40 * mib},
		{name: "no such line", status: "Name:\tnaas\nVmRSS:\t  142000 kB\n", want: 0},
		{name: "not in kB", status: "RssFile:\t 40 MB\n", want: 0},
		{name: "not a number", status: "RssFile:\t many kB\n", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRssFile(strings.NewReader(tt.status)); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestMemoryLimit_Flags(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	tests := []struct {
		name    string
		opts    memoryOptions
		env     string
		wantErr string
		// wantLimit, when not 0, is the soft limit expected afterwards, within the code's resident pages.
		wantLimit int64
		wantLog   string
	}{
		{name: "a ratio below 0", opts: memoryOptions{ratio: -0.1}, wantErr: "--auto-gomemlimit-ratio must be between 0 and 1"},
		{name: "a ratio above 1", opts: memoryOptions{ratio: 1.5}, wantErr: "--auto-gomemlimit-ratio must be between 0 and 1"},
		{name: "a limit that is not a quantity", opts: memoryOptions{ratio: 0.9, total: "lots"}, wantErr: `--memory-limit "lots" is not a positive quantity of bytes`},
		{name: "a limit of nothing", opts: memoryOptions{ratio: 0.9, total: "0"}, wantErr: "--memory-limit"},
		{name: "--memory-limit", opts: memoryOptions{ratio: 0.9, total: "1Gi"}, wantLimit: 1024 * mib * 9 / 10, wantLog: "0.9 of --memory-limit, 1024 MiB"},
		{name: "an explicit GOMEMLIMIT wins", opts: memoryOptions{ratio: 0.9, total: "1Gi"}, env: "512MiB"},
		{name: "ratio 0 turns it off", opts: memoryOptions{ratio: 0, total: "1Gi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tt.env)
			before := debug.SetMemoryLimit(-1)
			defer debug.SetMemoryLimit(before)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var logged []string
			err := tt.opts.apply(ctx, func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := debug.SetMemoryLimit(-1)
			if tt.wantLimit == 0 {
				if got != before || len(logged) != 0 {
					t.Errorf("limit %d -> %d, logged %q: want it left alone", before, got, logged)
				}
				return
			}
			// Less the test binary's code in memory, which this test does not control.
			if got > tt.wantLimit || got < tt.wantLimit-residentFileBytes()-8*mib {
				t.Errorf("soft limit %d MiB, want %d MiB less the code's resident pages (%d MiB)", got/mib, tt.wantLimit/mib, residentFileBytes()/mib)
			}
			if len(logged) != 1 || !strings.Contains(logged[0], tt.wantLog) {
				t.Errorf("logged %q, want one line with %q", logged, tt.wantLog)
			}
		})
	}
}
