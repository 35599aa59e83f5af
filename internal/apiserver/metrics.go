package apiserver

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the REST API's metrics.
type Metrics struct {
	// Requests counts requests by method, route pattern and status code.
	Requests *prometheus.CounterVec
	// Duration observes request latency by method and route pattern.
	Duration *prometheus.HistogramVec
	// AuditFailures counts requests that were carried out but could not be audited (answered 500).
	AuditFailures prometheus.Counter
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "naas_api_requests_total",
			Help: "REST API requests, by method, route and status code.",
		}, []string{"method", "route", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "naas_api_request_duration_seconds",
			Help:    "REST API request latency, by method and route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		AuditFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "naas_api_audit_failures_total",
			Help: "REST API requests that were carried out but could not be recorded in the audit log.",
		}),
	}
	reg.MustRegister(m.Requests, m.Duration, m.AuditFailures)
	return m
}
