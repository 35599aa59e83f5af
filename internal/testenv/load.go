package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// Caller sends one user's GET requests to kube-apiserver straight over HTTP: it sees API Priority and Fairness's
// response headers, and no client-side rate limit or retry stands between the load and the server. The fairness
// test and the benchmark measure with it.
type Caller struct {
	host string
	http *http.Client
}

// NewCaller returns a Caller that authenticates as cfg does.
func NewCaller(cfg *rest.Config) (*Caller, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &Caller{host: strings.TrimSuffix(cfg.Host, "/"), http: hc}, nil
}

// Classified is the answer to a GET: its status and where API Priority and Fairness put the request, from the
// response headers X-Kubernetes-PF-FlowSchema-UID and X-Kubernetes-PF-PriorityLevel-UID.
type Classified struct {
	Status                    int
	FlowSchema, PriorityLevel types.UID
}

// Get sends GET path and returns the status and the UID of the FlowSchema that classified the request.
func (c *Caller) Get(ctx context.Context, path string) (int, types.UID, error) {
	r, err := c.Classify(ctx, path)
	return r.Status, r.FlowSchema, err
}

// Classify sends GET path and returns the status, and the FlowSchema and priority level of the request.
func (c *Caller) Classify(ctx context.Context, path string) (Classified, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.host+path, nil)
	if err != nil {
		return Classified{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Classified{}, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return Classified{}, err
	}
	return Classified{Status: resp.StatusCode,
		FlowSchema:    types.UID(resp.Header.Get(flowcontrolv1.ResponseHeaderMatchedFlowSchemaUID)),
		PriorityLevel: types.UID(resp.Header.Get(flowcontrolv1.ResponseHeaderMatchedPriorityLevelConfigurationUID)),
	}, nil
}

// Latencies times n sequential GETs of path, each of which must answer 200.
func (c *Caller) Latencies(ctx context.Context, path string, n int) ([]time.Duration, error) {
	d := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		code, _, err := c.Get(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		if code != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d", path, code)
		}
		d = append(d, time.Since(start))
	}
	return d, nil
}

// P99 is the 99th percentile of d (the nearest rank).
func P99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*99+99)/100 - 1
	return s[min(i, len(s)-1)]
}

// Flood bounds a flood of GETs: Workers send at once, until stopped, for at most For, and at most Max requests
// in all.
type Flood struct {
	Workers int
	For     time.Duration
	Max     int64
}

// FloodResult is what a flood sent: requests answered, and how many of them with 429.
type FloodResult struct {
	Answered, Throttled int64
}

// Run floods path until stop is closed or f's bounds are reached; started is closed once every worker has had
// its first request answered, so that a measurement begins under the full flood.
func (f Flood) Run(ctx context.Context, c *Caller, path string, started chan<- struct{}, stop <-chan struct{}) FloodResult {
	ctx, cancel := context.WithTimeout(ctx, f.For)
	defer cancel()
	var answered, throttled atomic.Int64
	var first sync.WaitGroup
	first.Add(f.Workers)
	go func() { first.Wait(); close(started) }()
	var wg sync.WaitGroup
	for range f.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			once := sync.OnceFunc(first.Done)
			defer once()
			for answered.Load() < f.Max {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				code, _, err := c.Get(ctx, path)
				once()
				if err != nil {
					continue
				}
				answered.Add(1)
				if code == http.StatusTooManyRequests {
					throttled.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return FloodResult{Answered: answered.Load(), Throttled: throttled.Load()}
}

// LatenciesUnder times n sequential GETs of path by c while flooder floods floodPath.
func (f Flood) LatenciesUnder(ctx context.Context, c *Caller, path string, n int, flooder *Caller, floodPath string) ([]time.Duration, FloodResult, error) {
	started, stop := make(chan struct{}), make(chan struct{})
	done := make(chan FloodResult, 1)
	go func() { done <- f.Run(ctx, flooder, floodPath, started, stop) }()
	select {
	case <-started:
	case r := <-done:
		return nil, r, fmt.Errorf("the flood ended before it started (%d answered)", r.Answered)
	}
	d, err := c.Latencies(ctx, path, n)
	close(stop)
	return d, <-done, err
}
