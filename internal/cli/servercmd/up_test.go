package servercmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/naas-dev/naas/internal/localcp"
)

func TestResolveBinDir_FindsTheSelectedMinorsBinaries(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	want := filepath.Join(dir, "bin", "k8s-1.36")
	if err := os.MkdirAll(want, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(want, "kube-apiserver"), nil, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Setenv(localcp.KubernetesMinorEnv, "1.36")
	if got, err := (&upOptions{}).resolveBinDir(); err != nil || got != want {
		t.Errorf("NAAS_K8S=1.36: resolveBinDir() = %q, %v; want %q", got, err, want)
	}
	// Another minor's binaries are never taken instead: the error says how to build the one asked for.
	t.Setenv(localcp.KubernetesMinorEnv, "1.37")
	if got, err := (&upOptions{}).resolveBinDir(); err == nil || !strings.Contains(err.Error(), "make controlplane K8S=1.37") {
		t.Errorf("NAAS_K8S=1.37 with only 1.36 built: resolveBinDir() = %q, %v; want an error saying how to build 1.37", got, err)
	}
	t.Setenv(localcp.KubernetesMinorEnv, "1.20")
	if _, err := (&upOptions{}).resolveBinDir(); err == nil || !strings.Contains(err.Error(), "not a supported Kubernetes minor") {
		t.Errorf("NAAS_K8S=1.20: resolveBinDir() error = %v, want one naming the supported minors", err)
	}
	// --bin-dir wins over everything.
	if got, err := (&upOptions{binDir: "/opt/k8s"}).resolveBinDir(); err != nil || got != "/opt/k8s" {
		t.Errorf("--bin-dir: resolveBinDir() = %q, %v", got, err)
	}
}
