package v1

import "time"

// Aggregations of GET /api/v1/analytics/costs: what one line of a cost report sums over. A label aggregation is
// AggregateLabelPrefix followed by the label key, e.g. "label:team".
const (
	AggregateNamespace  = "namespace"
	AggregateTenant     = "tenant"
	AggregateCostCenter = "costcenter"
	AggregateLabel      = "label"
	// AggregateLabelPrefix starts a label aggregation: "label:<key>".
	AggregateLabelPrefix = AggregateLabel + ":"
)

// Usage sources of a cost report: where the usage that max(request, usage) takes came from.
const (
	// UsageSourcePrometheus is usage measured by Prometheus (container_cpu_usage_seconds_total,
	// container_memory_working_set_bytes).
	UsageSourcePrometheus = "prometheus"
	// UsageSourceRequests is requests alone: no Prometheus was configured, or it did not answer.
	UsageSourceRequests = "requests"
	// UsageSourceMixed is a report whose hours came from both.
	UsageSourceMixed = "mixed"
)

// CSVContentType is the media type of a cost report for finance (Accept: text/csv, or format=csv).
const CSVContentType = "text/csv"

// CostWindow is the span of time a report covers: [start, end), whole hours, UTC.
type CostWindow struct {
	Name  string    `json:"name" required:"true" doc:"The window asked for: today, yesterday, week, lastweek, month, lastmonth, a duration such as 24h or 7d, or start,end in RFC 3339."`
	Start time.Time `json:"start" required:"true"`
	End   time.Time `json:"end" required:"true" doc:"Exclusive. When it is after the hour in progress started, that hour is included as computed when asked."`
}

// ExchangeRateUsed is the rate a report converted its amounts with.
type ExchangeRateUsed struct {
	From string `json:"from" required:"true" doc:"ISO 4217 code of the price book."`
	To   string `json:"to" required:"true" doc:"ISO 4217 code of the report."`
	Rate string `json:"rate" required:"true" doc:"Units of to one unit of from buys."`
	Date string `json:"date" required:"true" doc:"Day the rate was taken (YYYY-MM-DD)."`
}

// CostBreakdown is an amount split by what it paid for. Every amount is a decimal in the report's currency with
// nine decimal places (nano-units, the model's precision), e.g. "12.345678901": round only what you show,
// once, to the currency's minor unit.
type CostBreakdown struct {
	CPU          string `json:"cpu" required:"true"`
	Memory       string `json:"memory" required:"true"`
	GPU          string `json:"gpu" required:"true"`
	Storage      string `json:"storage" required:"true" doc:"Persistent volume claims' capacity."`
	LoadBalancer string `json:"loadBalancer" required:"true" doc:"Services of type LoadBalancer."`
	Idle         string `json:"idle" required:"true" doc:"The line's share of capacity nobody requested, as the cost policy splits it."`
	Shared       string `json:"shared" required:"true" doc:"The line's share of the shared namespaces' cost, as the cost policy splits it."`
	Total        string `json:"total" required:"true" doc:"The sum of the above, before chargeback rules."`
}

// AppliedRule is one chargeback rule as it changed a line.
type AppliedRule struct {
	Name   string `json:"name" required:"true"`
	Kind   string `json:"kind" required:"true" enum:"discount|markup"`
	Factor string `json:"factor" required:"true" doc:"The rule's discount (share taken off) or markup (multiplier)."`
	Change string `json:"change" required:"true" doc:"What the rule added (positive) or took off (negative), in the report's currency."`
}

// CostLine is one line of a cost report: a namespace, tenant, cost center or label value.
type CostLine struct {
	Key         string        `json:"key" required:"true" doc:"The namespace, tenant, cost center or label value the line sums over; empty for namespaces without the label."`
	Tenant      string        `json:"tenant,omitempty" doc:"For namespace lines: the namespace's tenant."`
	CostCenter  string        `json:"costCenter,omitempty" doc:"For namespace and tenant lines: the tenant's cost center."`
	Tier        string        `json:"tier,omitempty" doc:"For namespace lines: the namespace's tier."`
	Template    string        `json:"template,omitempty" doc:"For namespace lines: the namespace's template."`
	Namespaces  int           `json:"namespaces" required:"true" doc:"How many namespaces the line sums over."`
	UsageSource string        `json:"usageSource" required:"true" enum:"prometheus|requests|mixed" doc:"Where the line's usage came from."`
	Cost        CostBreakdown `json:"cost" required:"true"`
	Rules       []AppliedRule `json:"rules" required:"true" doc:"The chargeback rules that changed the line, in the order they applied."`
	Charged     string        `json:"charged" required:"true" doc:"What the line is charged: its total after the rules."`
	Series      []CostPoint   `json:"series,omitempty" doc:"With step=: the line's charged cost per hour or day of the window."`
}

// CostTotals are the sums of a report.
type CostTotals struct {
	Cost    CostBreakdown `json:"cost" required:"true"`
	Charged string        `json:"charged" required:"true"`
	// Unallocated is the cost no line carries: idle capacity or shared namespaces the policy leaves out.
	Unallocated string      `json:"unallocated" required:"true" doc:"Idle capacity and shared namespaces' cost the policy leaves out (platform admins only; zero for others)."`
	Series      []CostPoint `json:"series,omitempty" doc:"With step=: the charged total per hour or day of the window."`
}

// NamespaceCost is the budget and cost of one namespace this month.
//
// Compatibility: before cost allocation, cost was always null; it is now the namespace's charged cost this month
// (including the hour in progress) as Money, null only when no cost has been computed for it yet.
type NamespaceCost struct {
	Namespace string `json:"namespace" required:"true"`
	Tenant    string `json:"tenant" required:"true"`
	Tier      string `json:"tier" required:"true"`
	Budget    *Money `json:"budget" required:"true" doc:"The tier's monthly budget; null when the tier has none."`
	Cost      *Money `json:"cost" required:"true" doc:"Charged cost this month so far, in the report's currency; null when none has been computed."`
}

// TenantCost is the budget and cost of a tenant's namespaces this month.
type TenantCost struct {
	Tenant     string  `json:"tenant" required:"true"`
	CostCenter string  `json:"costCenter,omitempty"`
	Budgets    []Money `json:"budgets" required:"true" doc:"Sum of the namespaces' monthly budgets, one per currency."`
	Cost       *Money  `json:"cost" required:"true" doc:"Charged cost this month so far, in the report's currency; null when none has been computed."`
}

// CostReport is the body of GET /api/v1/analytics/costs: allocated cost (the OpenCost model) and chargeback over
// a window, for the namespaces the caller may see.
type CostReport struct {
	Window       CostWindow        `json:"window" required:"true"`
	Aggregate    string            `json:"aggregate" required:"true" doc:"namespace, tenant, costcenter or label:<key>."`
	Step         string            `json:"step,omitempty" enum:"hour|day" doc:"The period of the lines' series, when asked for with step=."`
	Currency     string            `json:"currency" required:"true" doc:"ISO 4217 code of every amount."`
	ExchangeRate *ExchangeRateUsed `json:"exchangeRate,omitempty" doc:"Set when amounts were converted from the price book's currency."`
	UsageSource  string            `json:"usageSource" required:"true" enum:"prometheus|requests|mixed" doc:"prometheus: max(request, usage) with measured usage; requests: requests alone."`
	InProgress   *time.Time        `json:"inProgress,omitempty" doc:"Start of the hour in progress when the window includes it: its cost is computed when asked and changes until the hour ends."`
	Lines        []CostLine        `json:"lines" required:"true" doc:"One per namespace, tenant, cost center or label value, by charged cost, largest first."`
	Totals       CostTotals        `json:"totals" required:"true"`
	// Namespaces and Tenants keep the report's first shape (budgets per namespace and tenant, this month).
	Namespaces []NamespaceCost `json:"namespaces" required:"true" doc:"Compatibility: each visible namespace's tier budget and charged cost this month."`
	Tenants    []TenantCost    `json:"tenants" required:"true" doc:"Compatibility: each visible tenant's budgets and charged cost this month."`
}

// CostPoint is the cost of one period of a series.
type CostPoint struct {
	Start time.Time `json:"start" required:"true"`
	Cost  string    `json:"cost" required:"true" doc:"Charged cost of the period."`
}

// Recommendation is the right-sizing of one workload's container, explained.
type Recommendation struct {
	Workload      string `json:"workload" required:"true" doc:"Kind/name of the workload, e.g. Deployment/web."`
	Container     string `json:"container" required:"true"`
	Resource      string `json:"resource" required:"true" enum:"cpu|memory"`
	Request       string `json:"request" required:"true" doc:"The request today, as a quantity (e.g. 2, 512Mi)."`
	P95           string `json:"p95" required:"true" doc:"p95 usage over the window, as a quantity."`
	Recommended   string `json:"recommended" required:"true" doc:"The request naas recommends, as a quantity."`
	MonthlySaving string `json:"monthlySaving" required:"true" doc:"What the change saves in a month (730 hours), in the report's currency; negative when the request must grow."`
	Explanation   string `json:"explanation" required:"true" doc:"The line in words, e.g. \"CPU request 2 cores, p95 usage 0.31 over 7 days: recommend 0.5; saves £41.20/month\"."`
}

// ProblemUsageUnavailable is the problem type of GET /api/v1/namespaces/{namespace}/recommendations when naas
// has no Prometheus to read usage from (409).
const ProblemUsageUnavailable = problemBase + "usage-unavailable"

// RecommendationList is the body of GET /api/v1/namespaces/{namespace}/recommendations.
type RecommendationList struct {
	Namespace       string           `json:"namespace" required:"true"`
	Window          CostWindow       `json:"window" required:"true"`
	Currency        string           `json:"currency" required:"true"`
	UsageSource     string           `json:"usageSource" required:"true" enum:"prometheus" doc:"Always prometheus: without a Prometheus, the API answers 409 (usage-unavailable) instead."`
	PriceBook       string           `json:"priceBook" required:"true" doc:"The PriceBook that priced the savings (the cluster's)."`
	Tier            string           `json:"tier" required:"true" doc:"The namespace's tier."`
	RecommendedTier string           `json:"recommendedTier,omitempty" doc:"The smallest tier the tenant may use whose quota holds the recommended requests; empty when it is the current one or none does."`
	Requests        ResourceTotals   `json:"requests" required:"true" doc:"The sized workloads' requests today, all replicas."`
	Recommended     ResourceTotals   `json:"recommended" required:"true" doc:"The requests naas recommends, all replicas."`
	MonthlySaving   string           `json:"monthlySaving" required:"true" doc:"Sum of the lines' savings."`
	Items           []Recommendation `json:"items" required:"true" doc:"Per workload and container, CPU then memory; containers no usage was reported for are left out."`
}

// ResourceTotals are CPU and memory requests added up over a namespace's workloads and replicas.
type ResourceTotals struct {
	CPU    string `json:"cpu" required:"true" doc:"As a quantity, e.g. 1500m."`
	Memory string `json:"memory" required:"true" doc:"As a quantity, e.g. 3Gi."`
}
