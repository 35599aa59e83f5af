package collector

import (
	"context"
	"fmt"
	"math"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Usage reads what containers used. Prometheus implements it.
type Usage interface {
	// Average returns each container's average CPU (millicores) and memory (bytes) over [start, end).
	Average(ctx context.Context, start, end time.Time) (map[ContainerKey]ContainerUsage, error)
	// P95 returns the 95th percentile over [end-window, end) of the CPU and memory of namespace's containers.
	P95(ctx context.Context, namespace string, window time.Duration, end time.Time) (map[ContainerKey]ContainerUsage, error)
}

// Prometheus reads usage from a Prometheus HTTP API: container_cpu_usage_seconds_total and
// container_memory_working_set_bytes, as cAdvisor (the kubelet) exports them.
type Prometheus struct {
	api promv1.API
}

var _ Usage = (*Prometheus)(nil)

// NewPrometheus returns the usage source of the Prometheus at url (e.g. http://prometheus:9090).
func NewPrometheus(url string) (*Prometheus, error) {
	c, err := promapi.NewClient(promapi.Config{Address: url})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", url, err)
	}
	return &Prometheus{api: promv1.NewAPI(c)}, nil
}

// containerSelector leaves out the pod-level (container="") and pause-container (POD) series cAdvisor also exports.
const containerSelector = `{container!="",container!="POD"}`

// Average implements Usage: rate() of the CPU counter and avg_over_time() of the working set over the span.
func (p *Prometheus) Average(ctx context.Context, start, end time.Time) (map[ContainerKey]ContainerUsage, error) {
	r := rangeOf(end.Sub(start))
	cpu := fmt.Sprintf(`sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total%s[%s]))`, containerSelector, r)
	mem := fmt.Sprintf(`max by (namespace, pod, container) (avg_over_time(container_memory_working_set_bytes%s[%s]))`, containerSelector, r)
	return p.both(ctx, cpu, mem, end)
}

// P95 implements Usage: the 95th percentile of 5-minute CPU rates and of the working set over the window.
func (p *Prometheus) P95(ctx context.Context, namespace string, window time.Duration, end time.Time) (map[ContainerKey]ContainerUsage, error) {
	sel := fmt.Sprintf(`{namespace=%q,container!="",container!="POD"}`, namespace)
	r := rangeOf(window)
	cpu := fmt.Sprintf(`max by (namespace, pod, container) (quantile_over_time(0.95, rate(container_cpu_usage_seconds_total%s[5m])[%s:1m]))`, sel, r)
	mem := fmt.Sprintf(`max by (namespace, pod, container) (quantile_over_time(0.95, container_memory_working_set_bytes%s[%s]))`, sel, r)
	return p.both(ctx, cpu, mem, end)
}

func rangeOf(d time.Duration) string {
	return fmt.Sprintf("%ds", max(int64(d/time.Second), 60))
}

func (p *Prometheus) both(ctx context.Context, cpuQuery, memQuery string, at time.Time) (map[ContainerKey]ContainerUsage, error) {
	out := map[ContainerKey]ContainerUsage{}
	for _, q := range []struct {
		query string
		set   func(u *ContainerUsage, v float64)
	}{
		{cpuQuery, func(u *ContainerUsage, v float64) { u.CPUMillicores = int64(math.Round(v * 1000)) }},
		{memQuery, func(u *ContainerUsage, v float64) { u.MemoryBytes = int64(math.Round(v)) }},
	} {
		v, _, err := p.api.Query(ctx, q.query, at)
		if err != nil {
			return nil, fmt.Errorf("query prometheus: %w", err)
		}
		vec, ok := v.(model.Vector)
		if !ok {
			return nil, fmt.Errorf("query prometheus: a %s, not a vector", v.Type())
		}
		for _, s := range vec {
			if math.IsNaN(float64(s.Value)) || math.IsInf(float64(s.Value), 0) {
				continue
			}
			k := ContainerKey{string(s.Metric["namespace"]), string(s.Metric["pod"]), string(s.Metric["container"])}
			u := out[k]
			q.set(&u, float64(s.Value))
			out[k] = u
		}
	}
	return out, nil
}
