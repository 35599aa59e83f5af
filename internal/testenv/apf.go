package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/naas-dev/naas/bench/scrape"
)

// APIServerMetrics scrapes kube-apiserver's /metrics with cfg's credentials.
func APIServerMetrics(ctx context.Context, cfg *rest.Config) (scrape.Metrics, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape kube-apiserver metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("scrape kube-apiserver metrics: %s: %s", resp.Status, body)
	}
	return scrape.Parse(resp.Body)
}

// APFLevel is what kube-apiserver's API Priority and Fairness did in one priority level between two scrapes of
// its metrics (apiserver_flowcontrol_*): its seats, and per FlowSchema the requests it let through, how long
// they waited in their queues, and how many it rejected (429).
type APFLevel struct {
	Level string
	// NominalSeats and UpperSeats are the level's nominal concurrency limit and the most it may reach by
	// borrowing, at the second scrape.
	NominalSeats, UpperSeats float64
	Schemas                  map[string]APFSchema
}

// APFSchema is one FlowSchema's requests in an APFLevel.
type APFSchema struct {
	// Dispatched requests and those Rejected with 429.
	Dispatched, Rejected float64
	// MeanWait is the mean time, in seconds, a dispatched request waited in its queue.
	MeanWait float64
}

// APFWaits compares two scrapes of kube-apiserver's metrics for the level and the FlowSchemas named.
func APFWaits(before, after scrape.Metrics, level string, schemas ...string) APFLevel {
	sel := scrape.Labels{"priority_level": level}
	l := APFLevel{Level: level, Schemas: map[string]APFSchema{},
		NominalSeats: after.Sum("apiserver_flowcontrol_nominal_limit_seats", sel),
		UpperSeats:   after.Sum("apiserver_flowcontrol_upper_limit_seats", sel)}
	for _, fs := range schemas {
		s := scrape.Labels{"priority_level": level, "flow_schema": fs}
		delta := func(name string) float64 { return after.Sum(name, s) - before.Sum(name, s) }
		var sch APFSchema
		sch.Dispatched = delta("apiserver_flowcontrol_dispatched_requests_total")
		sch.Rejected = delta("apiserver_flowcontrol_rejected_requests_total")
		waited := scrape.Labels{"priority_level": level, "flow_schema": fs, "execute": "true"}
		a, okA := after.Histogram("apiserver_flowcontrol_request_wait_duration_seconds", waited)
		b, okB := before.Histogram("apiserver_flowcontrol_request_wait_duration_seconds", waited)
		if okA && okB && a.Count > b.Count {
			sch.MeanWait = (a.Sum - b.Sum) / (a.Count - b.Count)
		} else if okA && !okB && a.Count > 0 {
			sch.MeanWait = a.Sum / a.Count
		}
		l.Schemas[fs] = sch
	}
	return l
}

// String says it in one line, e.g. for a benchmark's notes.
func (l APFLevel) String() string {
	names := make([]string, 0, len(l.Schemas))
	for n := range l.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		s := l.Schemas[n]
		parts = append(parts, fmt.Sprintf("%s: %.0f dispatched, mean wait in queue %.1f ms, %.0f rejected", n, s.Dispatched, 1000*s.MeanWait, s.Rejected))
	}
	return fmt.Sprintf("level %s, %.0f seats (at most %.0f with borrowing); %s", l.Level, l.NominalSeats, l.UpperSeats, strings.Join(parts, "; "))
}
