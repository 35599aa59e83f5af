package setup

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/pflag"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/controller/budget"
)

// BudgetOptions configure the budget evaluator.
type BudgetOptions struct {
	// Interval is how often budgets are evaluated besides when a budget changes; budget.DefaultInterval when
	// zero.
	Interval time.Duration
	// Clock is the evaluator's clock; the real one when nil (tests move it).
	Clock clock.Clock
	// Spend answers what scopes spent; the cost collector's reports (budget.CollectorSpend) when nil.
	Spend budget.SpendSource
}

// AddFlags registers the budget flags.
func (o *BudgetOptions) AddFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&o.Interval, "budget-interval", budget.DefaultInterval,
		"how often budgets are evaluated (spend, forecast, thresholds, hard stops), besides whenever a budget changes")
}

// budgetMetrics are registered once per process (see claimMetrics).
var budgetMetrics = sync.OnceValue(func() *budget.Metrics { return budget.NewMetrics(metrics.Registry) })

// registerBudgets adds the budget evaluator, on the leader, when there is an audit store to keep the fired
// thresholds in: without one no threshold could be known to have fired once.
func (p *Platform) registerBudgets(ctx context.Context) error {
	ledger, ok := p.api.audit.(audit.BudgetLedger)
	if !ok {
		p.opts.Progress("budgets not evaluated: they need the audit database (--database or --data-dir)")
		return nil
	}
	spend := p.opts.Budgets.Spend
	if spend == nil {
		if p.collector == nil {
			return errors.New("budgets: no cost collector (the audit store keeps no cost rows)")
		}
		spend = budget.CollectorSpend{Collector: p.collector}
	}
	e := &budget.Evaluator{
		Client: p.Manager.GetClient(), Spend: spend, Ledger: ledger, Metrics: budgetMetrics(),
		Clock: p.opts.Budgets.Clock, Interval: p.opts.Budgets.Interval,
	}
	p.Budgets = e
	// A budget added, changed or lifted is evaluated at once, not an interval later.
	for _, obj := range []client.Object{&naasv1alpha1.Tenant{}, &naasv1alpha1.Tier{}, &naasv1alpha1.CostPolicy{}} {
		inf, err := p.Manager.GetCache().GetInformer(ctx, obj)
		if err != nil {
			return fmt.Errorf("budgets: watch %T: %w", obj, err)
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { e.Poke() },
			UpdateFunc: func(oldObj, newObj any) {
				o, n := oldObj.(client.Object), newObj.(client.Object)
				if o.GetGeneration() != n.GetGeneration() {
					e.Poke()
				}
			},
		}); err != nil {
			return fmt.Errorf("budgets: watch %T: %w", obj, err)
		}
	}
	if err := p.Manager.Add(e); err != nil {
		return err
	}
	ctrl.Log.WithName("budget").V(1).Info("Budget evaluator registered", "interval", e.Interval)
	return nil
}
