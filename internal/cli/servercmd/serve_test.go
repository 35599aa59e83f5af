package servercmd

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestGOGC_DefaultFlagAndEnvironment(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tests := []struct {
		name    string
		env     string
		gogc    int
		want    int // the collector's percentage afterwards
		wantErr string
	}{
		{name: "naas's default", gogc: defaultGOGC, want: defaultGOGC},
		{name: "the flag", gogc: 50, want: 50},
		{name: "GOGC in the environment wins", env: "120", gogc: 50, want: 100},
		{name: "a percentage that is not one", gogc: 0, want: 100, wantErr: "--gogc must be a positive percentage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			t.Setenv("GOGC", tt.env)
			err := setGOGC(tt.gogc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := debug.SetGCPercent(100); got != tt.want {
				t.Errorf("GC percent %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGOGC_ServeAndUpHaveTheFlag(t *testing.T) {
	for _, cmd := range []*cobra.Command{newServeCommand(), newUpCommand()} {
		f := cmd.Flags().Lookup("gogc")
		if f == nil || f.DefValue != "100" {
			t.Errorf("naas %s: --gogc %+v, want the flag with default 100", cmd.Name(), f)
		}
	}
}
