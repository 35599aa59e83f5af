package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/naas-dev/naas/internal/localcp"
)

// ControlPlaneBinDir returns the directory of the control plane binaries that the tests run: $NAAS_BIN_DIR when
// set, else bin/k8s-<minor> for the Kubernetes minor that $NAAS_K8S names (or the default). A minor not built
// yet is an error that says how to build it.
func ControlPlaneBinDir(root string) (string, error) {
	if dir := os.Getenv("NAAS_BIN_DIR"); dir != "" {
		return dir, nil
	}
	minor, err := localcp.SelectedMinor()
	if err != nil {
		return "", err
	}
	dir := localcp.MinorBinDir(filepath.Join(root, "bin"), minor)
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		return "", fmt.Errorf("the Kubernetes %s control plane is not built in %s: run `make controlplane K8S=%s` "+
			"(the first build of a minor takes about 5 minutes)", minor, dir, minor)
	}
	return dir, nil
}

// checkServerMinor fails unless the API server is of the Kubernetes minor the tests were asked to run on
// (localcp.KubernetesMinorEnv, or the default): a run for one minor must never pass on another minor's binaries,
// e.g. a NAAS_BIN_DIR that points elsewhere or a control plane built before the default minor changed.
func checkServerMinor(cfg *rest.Config, minor string) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return fmt.Errorf("read the API server's version: %w", err)
	}
	// Minor may carry a "+" for builds between releases.
	if got := v.Major + "." + strings.TrimSuffix(v.Minor, "+"); got != minor {
		return fmt.Errorf("the API server is Kubernetes %s (%s), but the tests were asked to run on %s (%s): "+
			"build it with `make controlplane K8S=%s`, or set %s=%s", got, v.GitVersion, minor,
			localcp.KubernetesMinorEnv, minor, localcp.KubernetesMinorEnv, got)
	}
	return nil
}
