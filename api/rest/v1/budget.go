package v1

import "time"

// BudgetNotification is what naas POSTs, as JSON, to the CostPolicy's spec.webhook.url when a budget threshold
// fires. Delivery is at least once: a receiver may get the same notification twice (after a crash of naas
// between sending and recording that it sent) and should drop repeats by IdempotencyKey, which the
// Idempotency-Key header carries too.
type BudgetNotification struct {
	IdempotencyKey string    `json:"idempotencyKey" required:"true" doc:"Unique per scope, period, threshold and kind, e.g. tenant/payments/2026-12/80/Forecast."`
	ScopeKind      string    `json:"scopeKind" required:"true" enum:"namespace|tenant|costcenter"`
	Scope          string    `json:"scope" required:"true" doc:"The namespace, tenant or cost center."`
	Tenant         string    `json:"tenant,omitempty" doc:"The tenant, for a namespace or tenant budget."`
	Threshold      int32     `json:"threshold" required:"true" doc:"Percent of the budget."`
	Kind           string    `json:"kind" required:"true" enum:"Actual|Forecast" doc:"Actual: spend so far reached the threshold; Forecast: spend projected linearly to the end of the month did."`
	Spent          string    `json:"spent" required:"true" doc:"Cost so far this period when the threshold fired, a decimal in currency."`
	Forecast       string    `json:"forecast" required:"true" doc:"Cost projected to the end of the period."`
	Limit          string    `json:"limit" required:"true" doc:"The budget."`
	Currency       string    `json:"currency" required:"true"`
	Period         string    `json:"period" required:"true" doc:"The month, YYYY-MM (UTC)."`
	Hard           bool      `json:"hard" required:"true"`
	Blocked        bool      `json:"blocked" required:"true" doc:"The hard budget is spent: no new namespaces or quota growth."`
	Message        string    `json:"message,omitempty" doc:"While blocked: why, until when, and how to lift it."`
	FiredAt        time.Time `json:"firedAt" required:"true"`
}

// BudgetFired is one threshold that fired this period.
type BudgetFired struct {
	Threshold int32     `json:"threshold" required:"true"`
	Kind      string    `json:"kind" required:"true" enum:"Actual|Forecast"`
	FiredAt   time.Time `json:"firedAt" required:"true"`
}

// Budget is one budget and its state this period, as GET /api/v1/budgets lists them.
type Budget struct {
	ScopeKind    string        `json:"scopeKind" required:"true" enum:"namespace|tenant|costcenter"`
	Scope        string        `json:"scope" required:"true"`
	Tenant       string        `json:"tenant,omitempty"`
	Limit        string        `json:"limit" required:"true"`
	Currency     string        `json:"currency" required:"true"`
	Thresholds   []int32       `json:"thresholds" required:"true"`
	Hard         bool          `json:"hard" required:"true"`
	LiftedPeriod string        `json:"liftedPeriod,omitempty"`
	Period       string        `json:"period,omitempty"`
	Spent        string        `json:"spent,omitempty"`
	Forecast     string        `json:"forecast,omitempty"`
	Fired        []BudgetFired `json:"fired" required:"true"`
	Blocked      bool          `json:"blocked" required:"true"`
	Message      string        `json:"message,omitempty"`
}

// BudgetList is the answer of GET /api/v1/budgets: the budgets the caller may see.
type BudgetList struct {
	Items []Budget `json:"items" required:"true"`
}

// BudgetLift is the body of POST /api/v1/budgets/lift: lift a hard budget for the current period.
type BudgetLift struct {
	ScopeKind string `json:"scopeKind" required:"true" enum:"tenant|costcenter|tier" doc:"A namespace's budget is its tier's: lift the tier."`
	Scope     string `json:"scope" required:"true" doc:"The tenant, cost center or tier."`
}
