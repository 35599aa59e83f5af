package cost

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Budget kinds of threshold: spend so far, and spend projected to the end of the period.
const (
	BudgetActual   = "Actual"
	BudgetForecast = "Forecast"
)

// BudgetScopeKind is what a budget covers.
type BudgetScopeKind string

// Budget scope kinds.
const (
	// ScopeNamespace is one namespace, under its tier's budget.
	ScopeNamespace BudgetScopeKind = "namespace"
	// ScopeTenant is every namespace of a tenant.
	ScopeTenant BudgetScopeKind = "tenant"
	// ScopeCostCenter is every namespace of every tenant of a cost center.
	ScopeCostCenter BudgetScopeKind = "costcenter"
)

// BudgetScope names what a budget covers.
type BudgetScope struct {
	Kind BudgetScopeKind
	Name string
}

// String is "<kind>/<name>", the scope's key in the budget ledger.
func (s BudgetScope) String() string { return string(s.Kind) + "/" + s.Name }

// DefaultBudgetThresholds are the thresholds of a budget that lists none (the CRD's default).
var DefaultBudgetThresholds = []int32{50, 80, 100}

// Period is the budget period (the UTC month, YYYY-MM) t falls in.
func Period(t time.Time) string { return t.UTC().Format("2006-01") }

// PeriodBounds returns the start of the UTC month t falls in and the start of the next.
func PeriodBounds(t time.Time) (start, end time.Time) {
	t = t.UTC()
	start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}

// minForecastElapsed is the least part of a period a forecast extrapolates from: an hour's cost projected over a
// month is already a guess; a minute's would page every tenant at the start of every month.
const minForecastElapsed = time.Hour

// Forecast projects spent, the cost from the start of now's period to now, linearly to the end of the period.
func Forecast(spent int64, now time.Time) int64 {
	start, end := PeriodBounds(now)
	elapsed := max(now.Sub(start), minForecastElapsed)
	f := new(big.Int).Mul(big.NewInt(spent), big.NewInt(int64(end.Sub(start))))
	f.Quo(f, big.NewInt(int64(elapsed)))
	if !f.IsInt64() {
		return spent
	}
	return max(f.Int64(), spent)
}

// BudgetLimit is a budget's amount in micro-units.
func BudgetLimit(b *naasv1alpha1.Budget) int64 { return b.Amount.ScaledValue(resource.Micro) }

// BudgetThreshold is one threshold of one kind.
type BudgetThreshold struct {
	Percent int32
	Kind    string
}

// BudgetEvaluation is a budget's state at one moment of a period.
type BudgetEvaluation struct {
	Scope  BudgetScope
	Period string
	// Limit, Spent and Forecast are micro-units of Currency.
	Limit, Spent, Forecast int64
	Currency               string
	// Crossed are the thresholds spent or forecast has reached, lowest first, forecast before actual.
	Crossed []BudgetThreshold
	// New are the crossed thresholds not yet fired this period: those to fire now.
	New []BudgetThreshold
	// Blocked is true when the budget is hard, spent, and not lifted for the period.
	Blocked bool
}

// EvaluateBudget decides a budget's state: spent is the scope's cost so far in now's period, fired the
// thresholds its status says fired (ignored unless firedPeriod is now's period).
func EvaluateBudget(scope BudgetScope, b *naasv1alpha1.Budget, spent int64, now time.Time,
	firedPeriod string, fired []naasv1alpha1.BudgetThresholdStatus) BudgetEvaluation {
	period := Period(now)
	e := BudgetEvaluation{
		Scope: scope, Period: period, Limit: BudgetLimit(b), Spent: spent, Forecast: Forecast(spent, now),
		Currency: b.Currency,
	}
	thresholds := b.Thresholds
	if len(thresholds) == 0 {
		thresholds = DefaultBudgetThresholds
	}
	thresholds = slices.Sorted(slices.Values(thresholds))
	done := map[BudgetThreshold]bool{}
	if firedPeriod == period {
		for _, f := range fired {
			done[BudgetThreshold{f.Percent, f.Kind}] = true
		}
	}
	for _, kind := range []string{BudgetForecast, BudgetActual} {
		amount := e.Spent
		if kind == BudgetForecast {
			amount = e.Forecast
		}
		for _, p := range thresholds {
			if !reached(amount, e.Limit, p) {
				continue
			}
			t := BudgetThreshold{p, kind}
			e.Crossed = append(e.Crossed, t)
			if !done[t] {
				e.New = append(e.New, t)
			}
		}
	}
	e.Blocked = b.Hard && e.Limit >= 0 && e.Spent >= e.Limit && b.LiftedPeriod != period
	return e
}

// reached reports whether amount is at least percent of limit, exactly (no float).
func reached(amount, limit int64, percent int32) bool {
	a := new(big.Int).Mul(big.NewInt(amount), big.NewInt(100))
	l := new(big.Int).Mul(big.NewInt(limit), big.NewInt(int64(percent)))
	return a.Cmp(l) >= 0
}

// NextPeriodStart is the first day of the period after now's, as a date: "2027-01-01".
func NextPeriodStart(now time.Time) string {
	_, end := PeriodBounds(now)
	return end.Format(time.DateOnly)
}

// BlockedMessage says why a hard budget stops growth, what stops and until when, and how to lift it.
func BlockedMessage(e BudgetEvaluation, now time.Time) string {
	what, lift := "no new namespaces or quota growth", ""
	switch e.Scope.Kind {
	case ScopeTenant:
		lift = "naas budget lift " + e.Scope.Name
	case ScopeCostCenter:
		lift = "naas budget lift --cost-center " + e.Scope.Name
	case ScopeNamespace:
		what = "no quota growth"
		lift = "naas budget lift --namespace " + e.Scope.Name
	}
	return fmt.Sprintf("%s %s has spent %s of its %s hard budget for %s: %s until %s or a platform admin lifts it (%s)",
		scopeNoun(e.Scope.Kind), e.Scope.Name, FormatMoney(e.Spent, e.Currency), FormatMoney(e.Limit, e.Currency),
		e.Period, what, NextPeriodStart(now), lift)
}

func scopeNoun(k BudgetScopeKind) string {
	if k == ScopeCostCenter {
		return "cost center"
	}
	return string(k)
}

// currencySymbols are the symbols FormatMoney writes; other currencies are written with their code.
var currencySymbols = map[string]string{"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥"}

// FormatMoney writes micro-units of currency for people, rounded half up to cents with thousands separators:
// "£1,012.40", "CHF 12.00".
func FormatMoney(micro int64, currency string) string {
	neg := micro < 0
	if neg {
		micro = -micro
	}
	cents := (micro + 5000) / 10000
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	sym, ok := currencySymbols[currency]
	if !ok {
		sym = currency + " "
	}
	sign := ""
	if neg {
		sign = "-"
	}
	return fmt.Sprintf("%s%s%s.%02d", sign, sym, b.String(), cents%100)
}

// MicroString writes micro-units as a decimal with six places, the form of naasv1alpha1.Money: "1012.400000".
func MicroString(micro int64) string {
	sign := ""
	if micro < 0 {
		sign, micro = "-", -micro
	}
	return fmt.Sprintf("%s%d.%06d", sign, micro/1_000_000, micro%1_000_000)
}

// ParseMicro reads a naasv1alpha1.Money ("12.5", "0.031611") into micro-units.
func ParseMicro(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 6 {
		return 0, fmt.Errorf("amount %q has more than six decimal places", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 {
		return 0, fmt.Errorf("amount %q is not a non-negative decimal", s)
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64); err != nil || f < 0 {
			return 0, fmt.Errorf("amount %q is not a non-negative decimal", s)
		}
	}
	return w*1_000_000 + f, nil
}
