package localcp

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// KubernetesMinors are the Kubernetes minor versions naas supports and tests: the local control plane is
// built for each from one source tree (controlplane/go.mod pins the default minor, controlplane/go.<minor>.mod
// the others), and CI runs the integration and end-to-end tests on each. The Makefile's K8S_MINORS lists the
// same.
var KubernetesMinors = []string{"1.36", "1.37"}

// DefaultKubernetesMinor is the minor used when KubernetesMinorEnv is unset. client-go and controller-runtime
// are at its release.
const DefaultKubernetesMinor = "1.37"

// KubernetesMinorEnv names the environment variable that picks the minor the tests and `naas up` run on; make
// sets it from K8S (make test K8S=1.36).
const KubernetesMinorEnv = "NAAS_K8S"

// SelectedMinor returns the minor that KubernetesMinorEnv names, or DefaultKubernetesMinor when it is unset.
func SelectedMinor() (string, error) {
	m := strings.TrimPrefix(strings.TrimSpace(os.Getenv(KubernetesMinorEnv)), "v")
	if m == "" {
		return DefaultKubernetesMinor, nil
	}
	if !slices.Contains(KubernetesMinors, m) {
		return "", fmt.Errorf("%s=%s is not a supported Kubernetes minor: choose one of %s", KubernetesMinorEnv, m, strings.Join(KubernetesMinors, ", "))
	}
	return m, nil
}

// MinorBinDir is where `make controlplane K8S=<minor>` puts the minor's etcd, kube-apiserver and
// kube-controller-manager: bin/k8s-<minor>.
func MinorBinDir(binDir, minor string) string {
	return filepath.Join(binDir, "k8s-"+minor)
}
