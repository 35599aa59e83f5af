package budget

import (
	"fmt"
	"time"

	"github.com/naas-dev/naas/internal/cost/money"
)

// ScopeKind is what a budget covers.
type ScopeKind string

// Scope kinds.
const (
	// ScopeNamespace is one namespace, under its tier's monthlyBudget: a hard one stops its quota growth.
	ScopeNamespace ScopeKind = "namespace"
	// ScopeTenant is every namespace of a tenant (Tenant spec.monthlyBudget).
	ScopeTenant ScopeKind = "tenant"
	// ScopeCostCenter is every namespace of every tenant of a cost center (CostPolicy spec.costCenterBudgets).
	ScopeCostCenter ScopeKind = "costcenter"
)

// Scope names what a budget covers.
type Scope struct {
	Kind ScopeKind
	Name string
	// Tier is a namespace's tier, whose budget is the namespace's: lifting it lifts the namespace's.
	Tier string
}

// String is "<kind>/<name>", the scope's key in the budget ledger (audit.BudgetKey).
func (s Scope) String() string { return string(s.Kind) + "/" + s.Name }

// noun is the scope's kind as a message names it.
func (s Scope) noun() string {
	if s.Kind == ScopeCostCenter {
		return "cost center"
	}
	return string(s.Kind)
}

// LiftCommand is the CLI command a platform admin lifts the scope's hard budget with for the current period.
func (s Scope) LiftCommand() string {
	switch s.Kind {
	case ScopeCostCenter:
		return "naas budget lift --cost-center " + s.Name
	case ScopeNamespace:
		return "naas budget lift --tier " + s.Tier
	}
	return "naas budget lift " + s.Name
}

// BlockedMessage says, for a blocked evaluation of scope's budget, which budget is spent, what it stops and until
// when, and how to lift it: "tenant payments has spent £1012.40 of its £1000.00 hard budget for 2026-12: no new
// namespaces or quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift payments)". A
// namespace's budget (its tier's) stops only its quota growth; a tenant's or cost center's, new namespaces too.
func BlockedMessage(s Scope, ev Evaluation) string {
	what := "no new namespaces or quota growth"
	if s.Kind == ScopeNamespace {
		what = "no quota growth"
	}
	start, _, err := PeriodBounds(ev.Period)
	next := ev.Period
	if err == nil {
		next = start.AddDate(0, 1, 0).Format(time.DateOnly)
	}
	return fmt.Sprintf("%s %s has spent %s of its %s hard budget for %s: %s until %s or a platform admin lifts it (%s)",
		s.noun(), s.Name, money.Format(ev.Spent, ev.Currency), money.Format(ev.Amount, ev.Currency), ev.Period, what, next, s.LiftCommand())
}
