package namespaceclaim

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the provisioning metrics, with the names of the platform's SLOs.
type Metrics struct {
	// Provisions counts provisioning outcomes by status (success, failure).
	Provisions *prometheus.CounterVec
	// Duration observes the time from a claim's creation to its first Ready.
	Duration prometheus.Histogram
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Provisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "platform_namespace_provisions_total",
			Help: "Namespace provisioning outcomes, by status (success or failure).",
		}, []string{"status"}),
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "platform_namespace_provision_duration_seconds",
			Help:    "Time from a namespace claim's creation until it is first Ready.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300},
		}),
	}
	reg.MustRegister(m.Provisions, m.Duration)
	return m
}
