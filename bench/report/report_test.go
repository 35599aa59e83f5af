package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize_MedianAndP99Interpolate(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100..1, unsorted on purpose
	}
	tests := []struct {
		name    string
		samples []float64
		want    Summary
	}{
		{"none", nil, Summary{}},
		{"one", []float64{3}, Summary{N: 1, Median: 3, P99: 3, Min: 3, Max: 3}},
		{"two", []float64{2, 1}, Summary{N: 2, Median: 1.5, P99: 1.99, Min: 1, Max: 2}},
		{"odd count", []float64{5, 1, 3}, Summary{N: 3, Median: 3, P99: 4.96, Min: 1, Max: 5}},
		{"hundred", hundred, Summary{N: 100, Median: 50.5, P99: 99.01, Min: 1, Max: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(tt.samples)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
				t.Errorf("Summarize(%v) (-want +got):\n%s", tt.samples, diff)
			}
		})
	}
}

func TestSummarize_DoesNotReorderInput(t *testing.T) {
	in := []float64{3, 1, 2}
	Summarize(in)
	if diff := cmp.Diff([]float64{3, 1, 2}, in); diff != "" {
		t.Errorf("input changed (-want +got):\n%s", diff)
	}
}

func sample(vals ...float64) *Summary {
	s := Summarize(vals)
	return &s
}

func TestFinish_ComputesRatiosAndVerdicts(t *testing.T) {
	r := &Report{Figures: []Figure{
		{ID: "ratio-met", Unit: "s", Value: sample(1.2, 1.2), Baseline: &Baseline{Name: "floor", Value: Summarize([]float64{1, 1})},
			Target: &Target{Text: "p99 at most 1.3x", Stat: StatRatioP99, Max: 1.3}},
		{ID: "ratio-missed", Unit: "s", Value: sample(3, 3), Baseline: &Baseline{Name: "floor", Value: Summarize([]float64{1, 1})},
			Target: &Target{Text: "at most 2x", Stat: StatRatioMedian, Max: 2}},
		{ID: "absolute-met", Unit: "count", Value: sample(0), Target: &Target{Text: "none", Stat: StatMedian, Max: 0}},
		{ID: "absolute-missed", Unit: "MiB", Value: sample(200), Target: &Target{Text: "at most 150 MiB", Stat: StatP99, Max: 150}},
		{ID: "zero-baseline", Unit: "count", Value: sample(1), Baseline: &Baseline{Name: "none", Value: Single(0)}},
		{ID: "unavailable", NotAvailable: "no webhooks", Target: &Target{Text: "p99 at most 10 ms", Stat: StatP99, Max: 0.01}},
	}}
	r.Finish()
	verdicts := map[string]*bool{}
	ratios := map[string]*Ratio{}
	for _, f := range r.Figures {
		verdicts[f.ID] = nil
		if f.Target != nil {
			verdicts[f.ID] = f.Target.Met
		}
		ratios[f.ID] = f.Ratio
	}
	yes, no := true, false
	wantVerdicts := map[string]*bool{"ratio-met": &yes, "ratio-missed": &no, "absolute-met": &yes, "absolute-missed": &no, "zero-baseline": nil, "unavailable": nil}
	if diff := cmp.Diff(wantVerdicts, verdicts); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	wantRatios := map[string]*Ratio{"ratio-met": {1.2, 1.2}, "ratio-missed": {3, 3}, "absolute-met": nil, "absolute-missed": nil, "zero-baseline": nil, "unavailable": nil}
	if diff := cmp.Diff(wantRatios, ratios, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
		t.Errorf("ratios (-want +got):\n%s", diff)
	}
}

func TestCheck_NamesMissingAndIncompleteFigures(t *testing.T) {
	r := &Report{Figures: []Figure{
		{ID: "ok", Value: sample(1), Baseline: &Baseline{Value: Single(1)}, Target: &Target{Stat: StatMedian, Max: 2}},
		{ID: "reasoned", NotAvailable: "the REST API is not built yet"},
		{ID: "empty", Title: "no samples"},
		{ID: "unratioed", Title: "zero baseline", Value: sample(1), Baseline: &Baseline{Value: Single(0)}},
	}}
	r.Finish()
	err := r.Check([]string{"ok", "reasoned", "empty", "unratioed", "absent"})
	if err == nil {
		t.Fatal("Check passed an incomplete report")
	}
	for _, want := range []string{"figure empty", "figure unratioed", "figure absent is missing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error %q does not mention %q", err, want)
		}
	}
	for _, unwanted := range []string{"figure ok", "figure reasoned"} {
		if strings.Contains(err.Error(), unwanted) {
			t.Errorf("Check error %q blames the complete %q", err, unwanted)
		}
	}
	if err := r.Check([]string{"ok", "reasoned"}); err != nil {
		t.Errorf("Check of complete figures: %v", err)
	}
}

func TestWriteFiles_WritesMarkdownAndJSONThatRoundTrips(t *testing.T) {
	r := &Report{
		Mode: "smoke", Started: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), Duration: Duration(83 * time.Second),
		Machine:  Machine{CPUModel: "Test CPU", CPUs: 2, MemoryBytes: 8 << 30, OS: "linux", Arch: "amd64", Kernel: "6.1", LoadAverage: "0.10", LoadAverageEnd: "0.20"},
		Versions: Versions{Naas: "abc123", Go: "go1.26", Kubernetes: "v1.36.3", ControllerRuntime: "v0.24.1", ClientGo: "v0.36.3"},
		Sizes:    map[string]int{"sequentialClaims": 5},
		Figures: []Figure{
			{ID: "1a", Title: "One namespace", Unit: "s", Value: sample(0.4, 0.5, 0.6),
				Baseline: &Baseline{Name: "floor", Value: Summarize([]float64{0.3, 0.4, 0.5})},
				Target:   &Target{Text: "p99 at most 1.3x the floor", Stat: StatRatioP99, Max: 1.3}, Notes: []string{"a note"}},
			{ID: "5", Title: "Webhook latency", NotAvailable: "naas registers no admission webhooks | yet"},
		},
	}
	r.Finish()
	dir := t.TempDir()
	if err := r.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("results.json does not decode: %v", err)
	}
	if diff := cmp.Diff(*r, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Test CPU, 2 CPUs, 8.0 GiB", "naas abc123", "Kubernetes v1.36.3",
		"| 1a | One namespace | 500 ms | 598 ms | 400 ms / 498 ms | 1.25× / 1.20× | p99 at most 1.3x the floor | yes |",
		`not available: naas registers no admission webhooks \| yet`,
		"- a note", "sequentialClaims=5",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
}

func TestFormatValue_ReadsLikeAPerson(t *testing.T) {
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{0.0042, "s", "4.2 ms"},
		{0.523, "s", "523 ms"},
		{12.345, "s", "12.35 s"},
		{250, "s", "250 s"},
		{3.21, "ms", "3.21 ms"},
		{97.25, "MiB", "97.2 MiB"},
		{0, "count", "0"},
		{2.5, "count", "2.5"},
	}
	for _, tt := range tests {
		if got := formatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("formatValue(%v, %s) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}
