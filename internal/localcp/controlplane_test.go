package localcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stateIn writes st as the state of a data directory and returns a control plane over it, not started.
func stateIn(t *testing.T, st state, apiServerPort int, progress *[]string) *ControlPlane {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return &ControlPlane{opts: Options{DataDir: dir, APIServerPort: apiServerPort, Progress: func(format string, args ...any) {
		*progress = append(*progress, fmt.Sprintf(format, args...))
	}}}
}

func listen(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadState_KeepsTheAPIServerPortAcrossRestartsUnlessTaken(t *testing.T) {
	t.Run("free: kept", func(t *testing.T) {
		var progress []string
		port := freePort(t)
		cp := stateIn(t, state{APIServerPort: port, AdminToken: "tok"}, 0, &progress)
		st, err := cp.loadState()
		if err != nil {
			t.Fatal(err)
		}
		if st.APIServerPort != port || st.AdminToken != "tok" {
			t.Errorf("API server port %d, admin token %q, want %d and the previous token", st.APIServerPort, st.AdminToken, port)
		}
		if len(progress) != 0 {
			t.Errorf("progress %q, want nothing to report", progress)
		}
	})
	t.Run("taken by another process: moved, and said so", func(t *testing.T) {
		var progress []string
		port := listen(t)
		cp := stateIn(t, state{APIServerPort: port}, 0, &progress)
		st, err := cp.loadState()
		if err != nil {
			t.Fatal(err)
		}
		if st.APIServerPort == port || st.APIServerPort == 0 {
			t.Errorf("API server port %d, want a free one instead of the taken %d", st.APIServerPort, port)
		}
		if len(progress) != 1 || !strings.Contains(progress[0], "kubeconfigs") {
			t.Errorf("progress %q, want one line saying the kubeconfigs handed out must be fetched again", progress)
		}
		saved, _ := os.ReadFile(filepath.Join(cp.opts.DataDir, "state.json"))
		if !strings.Contains(string(saved), fmt.Sprint(st.APIServerPort)) {
			t.Errorf("state.json %s does not hold the new port %d", saved, st.APIServerPort)
		}
	})
	t.Run("asked for explicitly and taken: an error, nothing changed", func(t *testing.T) {
		var progress []string
		port := listen(t)
		previous := freePort(t)
		cp := stateIn(t, state{APIServerPort: previous}, port, &progress)
		_, err := cp.loadState()
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("port %d on 127.0.0.1 is in use", port)) {
			t.Errorf("loadState with a taken explicit port: %v, want an error saying it is in use", err)
		}
		saved, _ := os.ReadFile(filepath.Join(cp.opts.DataDir, "state.json"))
		if !strings.Contains(string(saved), fmt.Sprint(previous)) {
			t.Errorf("state.json %s changed by a start that failed", saved)
		}
	})
}

// A component that fails to start is an error that names it, with whatever was started stopped again.
func TestStart_ComponentThatExitsIsAnErrorNotAPanic(t *testing.T) {
	bin := t.TempDir()
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		if err := os.WriteFile(filepath.Join(bin, b), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cp, err := Start(ctx, Options{BinDir: bin, DataDir: t.TempDir(), Ephemeral: true})
	if err == nil || !strings.Contains(err.Error(), "etcd exited") {
		t.Fatalf("Start() = %v, %v; want an error saying etcd exited", cp, err)
	}
}
