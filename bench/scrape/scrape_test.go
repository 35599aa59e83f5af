package scrape

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const apiserverText = `# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",resource="namespaces",verb="POST"} 7
apiserver_request_total{code="200",resource="namespaces",verb="GET"} 100
apiserver_request_total{code="200",resource="rolebindings",verb="APPLY"} 3
apiserver_request_total{code="409",resource="namespaces",verb="POST"} 1
# HELP workqueue_depth Current depth of workqueue.
# TYPE workqueue_depth gauge
workqueue_depth{name="namespaceclaim"} 4
workqueue_depth{name="tenant"} 1
# HELP admission_duration_seconds Admission latency.
# TYPE admission_duration_seconds histogram
admission_duration_seconds_bucket{name="a.naas.dev",le="0.005"} 50
admission_duration_seconds_bucket{name="a.naas.dev",le="0.025"} 90
admission_duration_seconds_bucket{name="a.naas.dev",le="0.1"} 100
admission_duration_seconds_bucket{name="a.naas.dev",le="+Inf"} 100
admission_duration_seconds_sum{name="a.naas.dev"} 0.9
admission_duration_seconds_count{name="a.naas.dev"} 100
admission_duration_seconds_bucket{name="other",le="0.005"} 1000
admission_duration_seconds_bucket{name="other",le="0.025"} 1000
admission_duration_seconds_bucket{name="other",le="0.1"} 1000
admission_duration_seconds_bucket{name="other",le="+Inf"} 1000
admission_duration_seconds_sum{name="other"} 1
admission_duration_seconds_count{name="other"} 1000
`

func mustParse(t *testing.T, text string) Metrics {
	t.Helper()
	ms, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestSum_AddsMatchingSeriesOnly(t *testing.T) {
	ms := mustParse(t, apiserverText)
	tests := []struct {
		name   string
		metric string
		sel    Labels
		want   float64
	}{
		{"every series", "apiserver_request_total", nil, 111},
		{"one label", "apiserver_request_total", Labels{"verb": "POST"}, 8},
		{"two labels", "apiserver_request_total", Labels{"verb": "POST", "code": "201"}, 7},
		{"no match", "apiserver_request_total", Labels{"verb": "DELETE"}, 0},
		{"gauge", "workqueue_depth", Labels{"name": "tenant"}, 1},
		{"missing family", "nope_total", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ms.Sum(tt.metric, tt.sel); got != tt.want {
				t.Errorf("Sum(%s, %v) = %v, want %v", tt.metric, tt.sel, got, tt.want)
			}
		})
	}
}

func TestSumBy_GroupsByLabel(t *testing.T) {
	ms := mustParse(t, apiserverText)
	got := ms.SumBy("apiserver_request_total", Labels{"resource": "namespaces"}, "verb")
	want := map[string]float64{"POST": 8, "GET": 100}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SumBy (-want +got):\n%s", diff)
	}
}

func TestHistogramQuantile_InterpolatesLikePromQL(t *testing.T) {
	ms := mustParse(t, apiserverText)
	h, ok := ms.Histogram("admission_duration_seconds", Labels{"name": "a.naas.dev"})
	if !ok {
		t.Fatal("histogram not found")
	}
	tests := []struct {
		q    float64
		want float64
	}{
		{0.5, 0.005},                  // rank 50 is the top of the first bucket
		{0.25, 0.0025},                // half way into the first bucket, whose lower bound is 0
		{0.7, 0.005 + 0.02*20.0/40.0}, // rank 70: 20 of the 40 observations of (0.005, 0.025]
		{0.99, 0.025 + 0.075*9.0/10.0},
	}
	for _, tt := range tests {
		if got := h.Quantile(tt.q); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestHistogramSub_KeepsOnlyNewObservations(t *testing.T) {
	before := mustParse(t, apiserverText)
	after := mustParse(t, strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(apiserverText,
		`name="a.naas.dev",le="+Inf"} 100`, `name="a.naas.dev",le="+Inf"} 110`),
		`name="a.naas.dev",le="0.1"} 100`, `name="a.naas.dev",le="0.1"} 110`),
		`admission_duration_seconds_count{name="a.naas.dev"} 100`, `admission_duration_seconds_count{name="a.naas.dev"} 110`))
	h0, _ := before.Histogram("admission_duration_seconds", Labels{"name": "a.naas.dev"})
	h1, _ := after.Histogram("admission_duration_seconds", Labels{"name": "a.naas.dev"})
	d := h1.Sub(h0)
	if d.Count != 10 {
		t.Fatalf("count = %v, want 10", d.Count)
	}
	// All ten new observations are in (0.025, 0.1]: the median is half way into it.
	if got, want := d.Quantile(0.5), 0.025+0.075*0.5; math.Abs(got-want) > 1e-12 {
		t.Errorf("median of the difference = %v, want %v", got, want)
	}
}

func TestHistogramQuantile_EmptyIsNaN(t *testing.T) {
	if got := (Histogram{}).Quantile(0.5); !math.IsNaN(got) {
		t.Errorf("Quantile of an empty histogram = %v, want NaN", got)
	}
}

func TestHistogram_SumsSeriesAcrossLabels(t *testing.T) {
	ms := mustParse(t, apiserverText)
	h, _ := ms.Histogram("admission_duration_seconds", nil)
	if h.Count != 1100 {
		t.Errorf("count = %v, want 1100", h.Count)
	}
	if _, ok := ms.Histogram("workqueue_depth", nil); ok {
		t.Error("a gauge was read as a histogram")
	}
}

func TestHistogramAdd_EqualsOneHistogramOfBoth(t *testing.T) {
	ms := mustParse(t, apiserverText)
	a, _ := ms.Histogram("admission_duration_seconds", Labels{"name": "a.naas.dev"})
	o, _ := ms.Histogram("admission_duration_seconds", Labels{"name": "other"})
	both, _ := ms.Histogram("admission_duration_seconds", nil)
	if diff := cmp.Diff(both, a.Add(o)); diff != "" {
		t.Errorf("Add (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(a, (Histogram{}).Add(a)); diff != "" {
		t.Errorf("Add to empty (-want +got):\n%s", diff)
	}
}
