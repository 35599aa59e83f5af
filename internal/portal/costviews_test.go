package portal

import (
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		query, want string
		errs        []string
	}{
		{"", "month", nil},
		{"window=day", "24h", nil},
		{"window=week", "7d", nil},
		{"window=lastmonth", "lastmonth", nil},
		{"window=custom&from=2026-05-01&to=2026-05-31", "2026-05-01T00:00:00Z,2026-06-01T00:00:00Z", nil},
		{"window=custom&from=2026-05-01&to=2026-05-01", "2026-05-01T00:00:00Z,2026-05-02T00:00:00Z", nil},
		{"window=custom&from=May&to=", "", []string{"from", "to"}},
		{"window=custom&from=2026-05-02&to=2026-05-01", "", []string{"to"}},
		{"window=custom&from=2026-01-01&to=2026-12-31", "", []string{"to"}},
		{"window=year", "", []string{"window"}},
	} {
		q, _ := url.ParseQuery(tc.query)
		f, got := parseWindow(q)
		if got != tc.want {
			t.Errorf("%s: window %q, want %q", tc.query, got, tc.want)
		}
		var errs []string
		for _, k := range []string{"window", "from", "to"} {
			if f.Errors[k] != "" {
				errs = append(errs, k)
			}
		}
		if diff := cmp.Diff(tc.errs, errs); diff != "" {
			t.Errorf("%s: errors (-want +got):\n%s", tc.query, diff)
		}
	}
}

func TestBuckets_HoursUpToTwoDaysThenUTCDays(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2026, 5, d, h, m, 0, 0, time.UTC) }
	labels := func(bs []bucket) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.Label+" "+b.apiWindow())
		}
		return out
	}
	got := labels(buckets(restv1.CostWindow{Start: at(1, 22, 0), End: at(2, 1, 0)}))
	want := []string{
		"22:00 2026-05-01T22:00:00Z,2026-05-01T23:00:00Z",
		"23:00 2026-05-01T23:00:00Z,2026-05-02T00:00:00Z",
		"May 2 2026-05-02T00:00:00Z,2026-05-02T01:00:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hourly (-want +got):\n%s", diff)
	}
	got = labels(buckets(restv1.CostWindow{Start: at(1, 14, 0), End: at(4, 13, 0)}))
	want = []string{
		"May 1 2026-05-01T14:00:00Z,2026-05-02T00:00:00Z",
		"May 2 2026-05-02T00:00:00Z,2026-05-03T00:00:00Z",
		"May 3 2026-05-03T00:00:00Z,2026-05-04T00:00:00Z",
		"May 4 2026-05-04T00:00:00Z,2026-05-04T13:00:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("daily, cut at UTC midnight (-want +got):\n%s", diff)
	}
}

func TestCostChart_LeavesOutComponentsWithNoCostButCPUAndMemory(t *testing.T) {
	bs := buckets(restv1.CostWindow{Start: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 3, 12, 0, 0, 0, time.UTC)})
	zero := restv1.CostBreakdown{CPU: "0", Memory: "0", GPU: "0", Storage: "0", LoadBalancer: "0", Idle: "0", Shared: "0"}
	withLB := zero
	withLB.LoadBalancer = "0.600000000"
	for _, tc := range []struct {
		name  string
		costs []restv1.CostBreakdown
		want  []string
	}{
		{"nothing", []restv1.CostBreakdown{zero, zero, zero}, []string{"cpu", "memory"}},
		{"a load balancer on one day", []restv1.CostBreakdown{zero, withLB, zero}, []string{"cpu", "memory", "lb"}},
	} {
		c, err := costChart("c", "t", "GBP", bs, tc.costs)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range c.Series {
			got = append(got, s.Key)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: series (-want +got):\n%s", tc.name, diff)
		}
	}
}
