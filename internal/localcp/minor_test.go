package localcp

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestSelectedMinor_DefaultsAndRefusesUnsupportedMinors(t *testing.T) {
	for _, tc := range []struct {
		env, want string
		wantErr   bool
	}{
		{env: "", want: DefaultKubernetesMinor},
		{env: "1.36", want: "1.36"},
		{env: "v1.37", want: "1.37"},
		{env: "1.35", wantErr: true},
		{env: "latest", wantErr: true},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(KubernetesMinorEnv, tc.env)
			got, err := SelectedMinor()
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "1.36, 1.37") {
					t.Fatalf("SelectedMinor() = %q, %v; want an error naming the supported minors", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("SelectedMinor() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// The minors named here, in the Makefile and in the go.mod files must agree: the tests pick their binaries by
// the minor, and a control plane of another release than the one its modfile is named for would be tested
// under the wrong name.
func TestKubernetesMinors_MatchTheMakefileAndTheModFiles(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	makefile := read("Makefile")
	if got := makeVar(makefile, "K8S_MINORS"); !slices.Equal(strings.Fields(got), KubernetesMinors) {
		t.Errorf("Makefile K8S_MINORS = %q, want %q", got, strings.Join(KubernetesMinors, " "))
	}
	if got := makeVar(makefile, "K8S_DEFAULT"); got != DefaultKubernetesMinor {
		t.Errorf("Makefile K8S_DEFAULT = %q, want %q", got, DefaultKubernetesMinor)
	}
	for _, m := range KubernetesMinors {
		modfile := "controlplane/go." + m + ".mod"
		if m == DefaultKubernetesMinor {
			modfile = "controlplane/go.mod"
		}
		if got := required(read(modfile), "k8s.io/kubernetes"); !strings.HasPrefix(got, "v"+m+".") {
			t.Errorf("%s pins k8s.io/kubernetes %s, want v%s.x", modfile, got, m)
		}
	}
	// The libraries naas itself is built with are of the default minor's release.
	staging := "v0." + strings.TrimPrefix(DefaultKubernetesMinor, "1.") + "."
	gomod := read("go.mod")
	for _, mod := range []string{"k8s.io/api", "k8s.io/apimachinery", "k8s.io/client-go"} {
		if got := required(gomod, mod); !strings.HasPrefix(got, staging) {
			t.Errorf("go.mod requires %s %s, want %sx (Kubernetes %s)", mod, got, staging, DefaultKubernetesMinor)
		}
	}
}

func makeVar(makefile, name string) string {
	m := regexp.MustCompile(`(?m)^` + name + `\s*:?=\s*(.*)$`).FindStringSubmatch(makefile)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

// required returns the version a go.mod requires of module path, or "".
func required(gomod, path string) string {
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(path) + `\s+(v\S+)`).FindStringSubmatch(gomod)
	if m == nil {
		return ""
	}
	return m[1]
}
