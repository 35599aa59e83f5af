package cost

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func budget(amount string, hard bool, thresholds ...int32) *naasv1alpha1.Budget {
	return &naasv1alpha1.Budget{Amount: resource.MustParse(amount), Currency: "GBP", Hard: hard, Thresholds: thresholds}
}

const gbp = 1_000_000

func TestEvaluateBudget(t *testing.T) {
	// 2026-12 has 31 days; the 11th at 00:00 is 10 days in, so forecast = spent * 31 / 10.
	tenth := time.Date(2026, 12, 11, 0, 0, 0, 0, time.UTC)
	tenant := BudgetScope{ScopeTenant, "payments"}
	fired := func(p int32, kind string) naasv1alpha1.BudgetThresholdStatus {
		return naasv1alpha1.BudgetThresholdStatus{Percent: p, Kind: kind, FiredAt: metav1.NewTime(tenth)}
	}
	tests := []struct {
		name        string
		b           *naasv1alpha1.Budget
		spent       int64
		firedPeriod string
		fired       []naasv1alpha1.BudgetThresholdStatus
		wantCrossed []BudgetThreshold
		wantNew     []BudgetThreshold
		wantBlocked bool
		wantFcast   int64
	}{
		{
			name: "below every threshold", b: budget("1000", false), spent: 100 * gbp, wantFcast: 310 * gbp,
		},
		{
			// £200 in 10 days forecasts £620: the forecast crosses 50% before the actual spend crosses anything.
			name: "forecast crosses before actual", b: budget("1000", false), spent: 200 * gbp, wantFcast: 620 * gbp,
			wantCrossed: []BudgetThreshold{{50, BudgetForecast}},
			wantNew:     []BudgetThreshold{{50, BudgetForecast}},
		},
		{
			name: "fired thresholds do not fire again", b: budget("1000", false), spent: 500 * gbp, wantFcast: 1550 * gbp,
			firedPeriod: "2026-12", fired: []naasv1alpha1.BudgetThresholdStatus{fired(50, BudgetForecast), fired(80, BudgetForecast)},
			wantCrossed: []BudgetThreshold{{50, BudgetForecast}, {80, BudgetForecast}, {100, BudgetForecast}, {50, BudgetActual}},
			wantNew:     []BudgetThreshold{{100, BudgetForecast}, {50, BudgetActual}},
		},
		{
			name: "last period's firings do not count", b: budget("1000", false), spent: 500 * gbp, wantFcast: 1550 * gbp,
			firedPeriod: "2026-11", fired: []naasv1alpha1.BudgetThresholdStatus{fired(50, BudgetForecast)},
			wantCrossed: []BudgetThreshold{{50, BudgetForecast}, {80, BudgetForecast}, {100, BudgetForecast}, {50, BudgetActual}},
			wantNew:     []BudgetThreshold{{50, BudgetForecast}, {80, BudgetForecast}, {100, BudgetForecast}, {50, BudgetActual}},
		},
		{
			name: "exactly at a threshold crosses it", b: budget("1000", false, 80), spent: 800 * gbp, wantFcast: 2480 * gbp,
			wantCrossed: []BudgetThreshold{{80, BudgetForecast}, {80, BudgetActual}},
			wantNew:     []BudgetThreshold{{80, BudgetForecast}, {80, BudgetActual}},
		},
		{
			name: "a micro-unit short of a threshold does not", b: budget("1000", false, 100), spent: 1000*gbp - 1, wantFcast: 3100*gbp - 4,
			wantCrossed: []BudgetThreshold{{100, BudgetForecast}},
			wantNew:     []BudgetThreshold{{100, BudgetForecast}},
		},
		{
			name: "hard budget spent blocks", b: budget("1000", true, 100), spent: 1012_400_000, wantFcast: 3138_440_000,
			wantCrossed: []BudgetThreshold{{100, BudgetForecast}, {100, BudgetActual}},
			wantNew:     []BudgetThreshold{{100, BudgetForecast}, {100, BudgetActual}},
			wantBlocked: true,
		},
		{
			name: "soft budget spent does not block", b: budget("1000", false, 100), spent: 1012_400_000, wantFcast: 3138_440_000,
			wantCrossed: []BudgetThreshold{{100, BudgetForecast}, {100, BudgetActual}},
			wantNew:     []BudgetThreshold{{100, BudgetForecast}, {100, BudgetActual}},
		},
		{
			name: "hard budget lifted for the period does not block", spent: 1012_400_000, wantFcast: 3138_440_000,
			b:           func() *naasv1alpha1.Budget { b := budget("1000", true, 100); b.LiftedPeriod = "2026-12"; return b }(),
			wantCrossed: []BudgetThreshold{{100, BudgetForecast}, {100, BudgetActual}},
			wantNew:     []BudgetThreshold{{100, BudgetForecast}, {100, BudgetActual}},
		},
		{
			name: "a lift of another period does not count", spent: 1000 * gbp, wantFcast: 3100 * gbp,
			b:           func() *naasv1alpha1.Budget { b := budget("1000", true, 100); b.LiftedPeriod = "2026-11"; return b }(),
			wantCrossed: []BudgetThreshold{{100, BudgetForecast}, {100, BudgetActual}},
			wantNew:     []BudgetThreshold{{100, BudgetForecast}, {100, BudgetActual}},
			wantBlocked: true,
		},
		{
			name: "fractional amounts compare exactly", b: budget("0.5", false, 50), spent: 250_000, wantFcast: 775_000,
			wantCrossed: []BudgetThreshold{{50, BudgetForecast}, {50, BudgetActual}},
			wantNew:     []BudgetThreshold{{50, BudgetForecast}, {50, BudgetActual}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := EvaluateBudget(tenant, tt.b, tt.spent, tenth, tt.firedPeriod, tt.fired)
			if diff := cmp.Diff(tt.wantCrossed, e.Crossed); diff != "" {
				t.Errorf("crossed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNew, e.New); diff != "" {
				t.Errorf("new (-want +got):\n%s", diff)
			}
			if e.Blocked != tt.wantBlocked || e.Forecast != tt.wantFcast || e.Period != "2026-12" {
				t.Errorf("blocked %v forecast %d period %s; want %v %d 2026-12", e.Blocked, e.Forecast, e.Period, tt.wantBlocked, tt.wantFcast)
			}
		})
	}
}

func TestForecast(t *testing.T) {
	tests := []struct {
		name  string
		now   time.Time
		spent int64
		want  int64
	}{
		{"half of a 30-day month doubles", time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), 100, 200},
		{"the last instant is the spend", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), 31 * 24 * 3600, 31*24*3600 + 1},
		{"the first minutes extrapolate from an hour", time.Date(2027, 1, 1, 0, 1, 0, 0, time.UTC), 10, 10 * 31 * 24},
		{"no spend forecasts none", time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), 0, 0},
		{"another zone is the same UTC month", time.Date(2026, 12, 1, 3, 0, 0, 0, time.FixedZone("X", 2*3600)), 5, 5 * 31 * 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Forecast(tt.spent, tt.now); got != tt.want {
				t.Errorf("Forecast(%d, %s) = %d, want %d", tt.spent, tt.now, got, tt.want)
			}
		})
	}
}

func TestBlockedMessage(t *testing.T) {
	now := time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		scope BudgetScope
		want  string
	}{
		{BudgetScope{ScopeTenant, "payments"}, "tenant payments has spent £1,012.40 of its £1,000.00 hard budget for 2026-12: " +
			"no new namespaces or quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift payments)"},
		{BudgetScope{ScopeCostCenter, "cc-42"}, "cost center cc-42 has spent £1,012.40 of its £1,000.00 hard budget for 2026-12: " +
			"no new namespaces or quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift --cost-center cc-42)"},
		{BudgetScope{ScopeNamespace, "payments-api"}, "namespace payments-api has spent £1,012.40 of its £1,000.00 hard budget for 2026-12: " +
			"no quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift --namespace payments-api)"},
	}
	for _, tt := range tests {
		e := EvaluateBudget(tt.scope, budget("1000", true), 1012_400_000, now, "", nil)
		if got := BlockedMessage(e, now); got != tt.want {
			t.Errorf("BlockedMessage:\n got %s\nwant %s", got, tt.want)
		}
	}
}

func TestFormatMoneyAndMicro(t *testing.T) {
	for _, tt := range []struct {
		micro    int64
		currency string
		want     string
	}{
		{1012_400_000, "GBP", "£1,012.40"},
		{1_234_567_895_000, "USD", "$1,234,567.90"},
		{4_999, "EUR", "€0.00"},
		{5_000, "EUR", "€0.01"},
		{12_000_000, "CHF", "CHF 12.00"},
		{-1_500_000, "GBP", "-£1.50"},
	} {
		if got := FormatMoney(tt.micro, tt.currency); got != tt.want {
			t.Errorf("FormatMoney(%d, %s) = %q, want %q", tt.micro, tt.currency, got, tt.want)
		}
	}
	for _, s := range []string{"0.000000", "1012.400000", "0.031611"} {
		m, err := ParseMicro(s)
		if err != nil || MicroString(m) != s {
			t.Errorf("ParseMicro(%q) = %d, %v; MicroString back = %q", s, m, err, MicroString(m))
		}
	}
	for _, bad := range []string{"1.1234567", "-1", "x"} {
		if _, err := ParseMicro(bad); err == nil {
			t.Errorf("ParseMicro(%q) accepted", bad)
		}
	}
}
