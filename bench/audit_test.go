package bench

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/naas-dev/naas/bench/scrape"
	"github.com/naas-dev/naas/internal/kubeaudit"
)

const auditLines = `{"kind":"Event","verb":"patch","user":{"username":"naas-controller"},"objectRef":{"resource":"namespaceclaims","subresource":"status","apiGroup":"naas.dev"},"responseStatus":{"code":200}}
{"kind":"Event","verb":"create","user":{"username":"naas-controller"},"objectRef":{"resource":"tiers","apiGroup":"naas.dev"},"responseStatus":{"code":409}}
{"kind":"Event","verb":"create","user":{"username":"naas-controller"},"objectRef":{"resource":"selfsubjectreviews","apiGroup":"authentication.k8s.io"},"responseStatus":{"code":201}}
{"kind":"Event","verb":"get","user":{"username":"naas-controller"},"objectRef":{"resource":"namespaces"},"responseStatus":{"code":404}}
{"kind":"Event","verb":"create","user":{"username":"bench-floor"},"objectRef":{"resource":"namespaces"},"responseStatus":{"code":201}}
{"kind":"Event","verb":"watch","user":{"username":"naas-contr`

func TestCount_SeparatesWritesRefusalsAndReadsOfOneUser(t *testing.T) {
	events, err := kubeaudit.Parse(strings.NewReader(auditLines))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 5 {
		t.Fatalf("parsed %d events, want 5 (the partial last line is still being written)", len(events))
	}
	got := Count(events, naasUser)
	want := Tally{
		Writes: 1, Refused: 1, Reads: 2,
		ByKind: map[string]int{
			"patch namespaceclaims/status": 1, "create tiers (409)": 1, "create selfsubjectreviews": 1, "get namespaces (404)": 1,
		},
		WriteKinds: map[string]int{"patch namespaceclaims/status": 1, "create tiers (409)": 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Count (-want +got):\n%s", diff)
	}
	if got, want := got.WritesString(), "create tiers (409) 1, patch namespaceclaims/status 1"; got != want {
		t.Errorf("WritesString = %q, want %q", got, want)
	}
	if floor := Count(events, floorUser); floor.Writes != 1 || floor.Reads != 0 {
		t.Errorf("the floor's tally = %+v, want one write", floor)
	}
}

func TestIdle_NeedsEmptyQueuesAndEnoughReconciles(t *testing.T) {
	metrics := func(reconciles, depth, active string) string {
		return `# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="namespaceclaim",result="success"} ` + reconciles + `
# TYPE workqueue_depth gauge
workqueue_depth{name="namespaceclaim"} ` + depth + `
workqueue_depth{name="tenant"} 0
# TYPE controller_runtime_active_workers gauge
controller_runtime_active_workers{controller="namespaceclaim"} ` + active + "\n"
	}
	tests := []struct {
		name                      string
		reconciles, depth, active string
		claims                    int
		want                      bool
	}{
		{"done", "10", "0", "0", 10, true},
		{"queued", "10", "3", "0", 10, false},
		{"reconciling", "10", "0", "1", 10, false},
		{"before the informers delivered", "0", "0", "0", 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := parseMetrics(metrics(tt.reconciles, tt.depth, tt.active))
			if err != nil {
				t.Fatal(err)
			}
			if got := Idle(ms, tt.claims); got != tt.want {
				t.Errorf("Idle = %v, want %v", got, tt.want)
			}
		})
	}
}

func parseMetrics(text string) (scrape.Metrics, error) { return scrape.Parse(strings.NewReader(text)) }
