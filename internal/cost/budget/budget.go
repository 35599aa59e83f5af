// Package budget decides a monthly budget's state: what was spent, the forecast to the end of the month, which
// thresholds newly fire (once per threshold, kind and month) and whether a hard budget blocks growth. It is
// pure: spend and the thresholds already fired come in as values, and the clock is an argument.
package budget

import (
	"errors"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
)

// Threshold kinds, as BudgetThresholdStatus.Kind.
const (
	KindActual   = "Actual"
	KindForecast = "Forecast"
)

// DefaultThresholds are the thresholds of a budget that lists none (the CRD's default).
var DefaultThresholds = []int32{50, 80, 100}

// Period is the month (YYYY-MM, UTC) t falls in: a budget's period.
func Period(t time.Time) string { return t.UTC().Format("2006-01") }

// PeriodBounds is the start and end of the month period names.
func PeriodBounds(period string) (start, end time.Time, err error) {
	start, err = time.Parse("2006-01", period)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("period %q is not YYYY-MM", period)
	}
	return start, start.AddDate(0, 1, 0), nil
}

// Input is a budget at a moment.
type Input struct {
	// Budget is the budget (a tier's monthlyBudget, a tenant's or a cost center's).
	Budget naasv1alpha1.Budget
	// Spent is the cost so far this month, in the budget's currency.
	Spent money.Amount
	// Now is the moment; its month is the period.
	Now time.Time
	// Previous is the budget's status as last written; thresholds it fired in this period do not fire again.
	Previous naasv1alpha1.BudgetStatus
}

// Crossing is a threshold that fires now.
type Crossing struct {
	Percent int32
	// Kind is KindActual or KindForecast.
	Kind string
	// Amount is the threshold's amount (Percent of the budget).
	Amount money.Amount
}

// Evaluation is a budget's state.
type Evaluation struct {
	Period   string
	Currency string
	// Amount is the budget; Spent and Forecast are in its currency.
	Amount, Spent, Forecast money.Amount
	// Fire are the thresholds that fire now, for the first time this period: notify once each.
	Fire []Crossing
	// Status is the budget status to write: the period's figures, every threshold fired this period (with
	// when), and whether it blocks.
	Status naasv1alpha1.BudgetStatus
	// Blocked is true when the budget is hard, spent (Spent ≥ Amount) and not lifted for the period; the
	// caller, who knows the budget's scope, says why in Status.Message (BlockedMessage).
	Blocked bool
}

// Evaluate decides the budget's state at in.Now.
//
// The forecast is linear: Spent × (length of the month) / (time elapsed in it), counting at least one hour
// elapsed so that the first minutes of a month do not project a spike. A threshold of p percent fires for
// Actual when Spent ≥ p% of the budget and for Forecast when Forecast ≥ p%, each once per period: a threshold
// in Previous.Fired of the same period does not fire again, and Previous of an earlier period is forgotten.
func Evaluate(in Input) (Evaluation, error) {
	amount, err := money.FromQuantity(in.Budget.Amount)
	if err != nil {
		return Evaluation{}, fmt.Errorf("budget: %w", err)
	}
	if amount <= 0 {
		return Evaluation{}, errors.New("budget: amount must be more than zero")
	}
	period := Period(in.Now)
	start, end, _ := PeriodBounds(period)
	elapsed := max(in.Now.UTC().Sub(start), time.Hour)
	forecast := money.Amount(money.MulDiv(int64(in.Spent), int64(end.Sub(start)/time.Second), 1, int64(elapsed/time.Second)))

	ev := Evaluation{Period: period, Currency: in.Budget.Currency, Amount: amount, Spent: in.Spent, Forecast: forecast}
	var fired []naasv1alpha1.BudgetThresholdStatus
	if in.Previous.Period == period {
		fired = append(fired, in.Previous.Fired...)
	}
	has := func(p int32, kind string) bool {
		return slices.ContainsFunc(fired, func(f naasv1alpha1.BudgetThresholdStatus) bool { return f.Percent == p && f.Kind == kind })
	}
	thresholds := in.Budget.Thresholds
	if len(thresholds) == 0 {
		thresholds = DefaultThresholds
	}
	thresholds = slices.Sorted(slices.Values(thresholds))
	now := metav1.NewTime(in.Now.UTC().Truncate(time.Second))
	for _, kind := range []string{KindActual, KindForecast} {
		value := in.Spent
		if kind == KindForecast {
			value = forecast
		}
		for _, p := range slices.Compact(thresholds) {
			at := ThresholdAmount(amount, p)
			if value < at || has(p, kind) {
				continue
			}
			ev.Fire = append(ev.Fire, Crossing{Percent: p, Kind: kind, Amount: at})
			fired = append(fired, naasv1alpha1.BudgetThresholdStatus{Percent: p, Kind: kind, FiredAt: now})
		}
	}
	ev.Blocked = Blocks(in.Budget, in.Spent, amount, period)
	ev.Status = naasv1alpha1.BudgetStatus{Period: period, Spent: in.Spent.ToMoney(), Forecast: forecast.ToMoney(), Fired: fired, Blocked: ev.Blocked}
	return ev, nil
}

// ThresholdAmount is percent of amount, rounded half away from zero to nano-units.
func ThresholdAmount(amount money.Amount, percent int32) money.Amount {
	return money.Amount(money.MulDiv(int64(amount), int64(percent), 1, 100))
}

// Blocks reports whether a budget stops growth in period: it is hard, spent (spent ≥ amount) and not lifted
// for the period.
func Blocks(b naasv1alpha1.Budget, spent, amount money.Amount, period string) bool {
	return b.Hard && spent >= amount && b.LiftedPeriod != period
}
