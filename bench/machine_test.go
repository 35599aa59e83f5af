package bench

import "testing"

func TestRequiredVersion_ReadsBlockAndSingleLineRequires(t *testing.T) {
	gomod := `module example.com/m

go 1.26.0

require k8s.io/client-go v0.36.3

require (
	k8s.io/api v0.36.3
	sigs.k8s.io/controller-runtime v0.24.1 // indirect
)
`
	for path, want := range map[string]string{
		"k8s.io/client-go":               "v0.36.3",
		"sigs.k8s.io/controller-runtime": "v0.24.1",
		"example.com/absent":             "unknown",
	} {
		if got := requiredVersion(gomod, path); got != want {
			t.Errorf("requiredVersion(%s) = %q, want %q", path, got, want)
		}
	}
}
