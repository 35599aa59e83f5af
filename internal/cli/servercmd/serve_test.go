package servercmd

import (
	"io"
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

func TestDatabase_ServeAndUpRefuseABadDSNAtOnceWithoutThePassword(t *testing.T) {
	t.Setenv("KUBECONFIG", "/nonexistent") // Should the check go, serve fails rather than reach a cluster.
	for _, newCmd := range []func() *cobra.Command{newServeCommand, newUpCommand} {
		for dsn, want := range map[string]string{
			"mysql://root:s3cret@127.0.0.1/naas":                "the supported schemes are postgres:// and sqlite://",
			"postgres://naas:s3cret@127.0.0.1/naas?sslmode=bad": "sslmode",
			"sqlite://": "needs a path",
		} {
			cmd := newCmd()
			cmd.SetArgs([]string{"--data-dir", t.TempDir(), "--database", dsn})
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), "--database: ") || !strings.Contains(err.Error(), want) {
				t.Errorf("naas %s --database %s: %v, want a --database error saying %q", cmd.Name(), dsn, err, want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("naas %s --database %s: the error shows the password: %v", cmd.Name(), dsn, err)
			}
		}
	}
}
