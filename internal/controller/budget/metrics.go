package budget

import (
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	costbudget "github.com/naas-dev/naas/internal/cost/budget"
	"github.com/naas-dev/naas/internal/cost/money"
)

// Metric label names. alert_namespace is the namespace whose alert routing (AlertmanagerConfig
// naas-alert-routing, which matches namespace=<ns>) a budget's alerts go through: the namespace itself for a
// namespace budget; for a tenant's (and, per tenant, a cost center's) the tenant's first namespace by name that
// uses the tenant's receivers. The rules copy it into the alert's namespace label. It is not called namespace
// because a scrape would rename a namespace label to exported_namespace.
const (
	labelScopeKind      = "scope_kind"
	labelScope          = "scope"
	labelTenant         = "tenant"
	labelAlertNamespace = "alert_namespace"
	labelCurrency       = "currency"
	labelThreshold      = "threshold"
	labelKind           = "kind"
)

// Metrics exports the budgets. Series: one per namespace with a tier budget, one per tenant with a budget, and
// one per tenant of each cost center with a budget (so that the cost center's alerts reach each of its tenants);
// naas_budget_threshold_ratio has one series per threshold of those. naas_budget_threshold_fired_total is
// labelled by scope kind, kind and threshold only.
type Metrics struct {
	mu     sync.Mutex
	series []budgetSeries
	fires  *prometheus.CounterVec

	limit, spent, forecast, threshold, blocked *prometheus.Desc
}

type budgetSeries struct {
	labels                 []string
	limit, spent, forecast float64
	blocked                bool
	thresholds             []int32
}

// NewMetrics registers the budget metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	labels := []string{labelScopeKind, labelScope, labelTenant, labelAlertNamespace, labelCurrency}
	m := &Metrics{
		fires: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "naas_budget_threshold_fired_total",
			Help: "Budget thresholds that fired (once per scope, threshold, kind and month), by scope kind, kind and threshold.",
		}, []string{labelScopeKind, labelKind, labelThreshold}),
		limit:     prometheus.NewDesc("naas_budget_limit", "The monthly budget, in its currency.", labels, nil),
		spent:     prometheus.NewDesc("naas_budget_spent", "Cost so far this month (UTC), in the budget's currency.", labels, nil),
		forecast:  prometheus.NewDesc("naas_budget_forecast", "Cost projected linearly to the end of the month, in the budget's currency.", labels, nil),
		threshold: prometheus.NewDesc("naas_budget_threshold_ratio", "A threshold of the budget, as a fraction of it (0.8 for 80%).", append(slices.Clone(labels), labelThreshold), nil),
		blocked:   prometheus.NewDesc("naas_budget_blocked", "1 while a hard budget is spent and not lifted: no new namespaces or quota growth.", labels, nil),
	}
	reg.MustRegister(m.fires, m)
	return m
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.limit, m.spent, m.forecast, m.threshold, m.blocked} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the budgets as the last pass evaluated them.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.series {
		ch <- prometheus.MustNewConstMetric(m.limit, prometheus.GaugeValue, s.limit, s.labels...)
		ch <- prometheus.MustNewConstMetric(m.spent, prometheus.GaugeValue, s.spent, s.labels...)
		ch <- prometheus.MustNewConstMetric(m.forecast, prometheus.GaugeValue, s.forecast, s.labels...)
		b := 0.0
		if s.blocked {
			b = 1
		}
		ch <- prometheus.MustNewConstMetric(m.blocked, prometheus.GaugeValue, b, s.labels...)
		for _, p := range s.thresholds {
			ch <- prometheus.MustNewConstMetric(m.threshold, prometheus.GaugeValue, float64(p)/100,
				append(slices.Clone(s.labels), strconv.Itoa(int(p)))...)
		}
	}
}

func (m *Metrics) fired(kind costbudget.ScopeKind, thresholdKind string, percent int32) {
	m.fires.WithLabelValues(string(kind), thresholdKind, strconv.Itoa(int(percent))).Inc()
}

// units is an amount as a metric value: whole units of its currency.
func units(a money.Amount) float64 { return float64(a) / float64(money.Scale) }

// set replaces the series with those of pass w.
func (m *Metrics) set(w *world) {
	routes := alertNamespaces(w.claims)
	var series []budgetSeries
	for _, b := range w.budgets {
		thresholds := b.budget.Thresholds
		if len(thresholds) == 0 {
			thresholds = costbudget.DefaultThresholds
		}
		for _, tenant := range b.tenants {
			route := routes[tenant]
			if b.scope.Kind == costbudget.ScopeNamespace {
				route = b.scope.Name
			}
			series = append(series, budgetSeries{
				labels: []string{string(b.scope.Kind), b.scope.Name, tenant, route, b.ev.Currency},
				limit:  units(b.ev.Amount), spent: units(b.ev.Spent), forecast: units(b.ev.Forecast),
				blocked: b.ev.Blocked, thresholds: thresholds,
			})
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.series = series
}

// alertNamespaces picks, per tenant, the namespace whose routing carries the tenant's budget alerts: the first
// by name whose claim uses the tenant's receivers (sets no spec.alerting of its own), else the first.
func alertNamespaces(claims []naasv1alpha1.NamespaceClaim) map[string]string {
	first, own := map[string]string{}, map[string]string{}
	for i := range claims {
		c := &claims[i]
		if c.DeletionTimestamp != nil {
			continue
		}
		t := c.Spec.Tenant
		if cur, ok := first[t]; !ok || c.Name < cur {
			first[t] = c.Name
		}
		if c.Spec.Alerting == nil {
			if cur, ok := own[t]; !ok || c.Name < cur {
				own[t] = c.Name
			}
		}
	}
	for t, ns := range own {
		first[t] = ns
	}
	return first
}
