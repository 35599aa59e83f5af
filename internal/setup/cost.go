package setup

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/naas-dev/naas/internal/apiserver"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/cost/collector"
)

// CostOptions configure cost allocation.
type CostOptions struct {
	// PrometheusURL is the Prometheus HTTP API usage is read from; empty prices requests alone.
	PrometheusURL string
	// Now is the clock of cost collection, reports and recommendations; time.Now when nil. Tests set it to drive
	// whole hours without waiting for them.
	Now func() time.Time
	// Interval is how often the collector looks for hours that ended; a minute when zero.
	Interval time.Duration
}

func (o *APIOptions) addCostFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Cost.PrometheusURL, "prometheus-url", o.Cost.PrometheusURL,
		"Prometheus HTTP API (e.g. http://prometheus.monitoring:9090) cost allocation reads container usage from; empty prices requests alone, and reports say so")
}

// registerCost starts the cost collector on the leader and returns the reporter every replica's API uses; nil
// when the audit store keeps no cost rows.
func (p *Platform) registerCost() (apiserver.CostReporter, error) {
	store, ok := p.api.audit.(audit.CostStore)
	if !ok {
		return nil, nil
	}
	o := p.opts.API.Cost
	var usage collector.Usage
	if o.PrometheusURL != "" {
		prom, err := collector.NewPrometheus(o.PrometheusURL)
		if err != nil {
			return nil, fmt.Errorf("--prometheus-url: %w", err)
		}
		usage = prom
	}
	target := p.Target
	c := collector.New(collector.Options{
		Store:      store,
		Management: p.Manager.GetClient(),
		// One target today; the fleet makes it many (cluster.Resolver.Targets).
		Targets:  func() []collector.Target { return []collector.Target{{Name: target.Name, Reader: target.Reader}} },
		Usage:    usage,
		Now:      o.Now,
		Interval: o.Interval,
		// New spend: the budgets are evaluated at once (the evaluator is registered after the collector).
		Stored: func() {
			if p.Budgets != nil {
				p.Budgets.Poke()
			}
		},
	})
	if err := p.Manager.Add(c); err != nil {
		return nil, fmt.Errorf("add the cost collector: %w", err)
	}
	p.collector = c
	return c, nil
}
