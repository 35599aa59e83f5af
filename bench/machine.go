package bench

import (
	"bufio"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/naas-dev/naas/bench/report"
)

// DetectMachine describes the computer from /proc.
func DetectMachine() report.Machine {
	m := report.Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if v, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				m.MemoryBytes = kb * 1024
				break
			}
		}
		_ = f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.LoadAverage = LoadAverage()
	if m.CPUModel == "" {
		m.CPUModel = "unknown CPU"
	}
	return m
}

// LoadAverage returns the 1-minute load average from /proc.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// DetectVersions names naas's revision, Go, and the Kubernetes libraries and control plane.
func DetectVersions(root, binDir string) report.Versions {
	v := report.Versions{Go: runtime.Version(), Naas: gitRevision(root)}
	// A test binary carries no module versions in its build information: read go.mod.
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
		v.ControllerRuntime = requiredVersion(string(b), "sigs.k8s.io/controller-runtime")
		v.ClientGo = requiredVersion(string(b), "k8s.io/client-go")
	}
	// The control plane is built from the Kubernetes modules: its k8s.io/kubernetes version is the
	// Kubernetes version.
	if bi, err := buildinfo.ReadFile(filepath.Join(binDir, "kube-apiserver")); err == nil {
		for _, d := range bi.Deps {
			if d.Path == "k8s.io/kubernetes" {
				v.Kubernetes = d.Version
			}
		}
	}
	if v.Kubernetes == "" {
		v.Kubernetes = "unknown (client-go " + v.ClientGo + ")"
	}
	return v
}

// requiredVersion returns the version go.mod requires of module path, or "unknown".
func requiredVersion(gomod, path string) string {
	for _, line := range strings.Split(gomod, "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	return "unknown"
}

func gitRevision(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if err := exec.Command("git", "-C", root, "diff", "--quiet", "HEAD", "--", ".").Run(); err != nil {
		rev += "-dirty"
	}
	return rev
}
