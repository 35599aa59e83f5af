package budget

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
)

func gbp100(hard bool) naasv1alpha1.Budget {
	return naasv1alpha1.Budget{Amount: resource.MustParse("100"), Currency: "GBP", Thresholds: []int32{100, 50, 80}, Hard: hard}
}

type fired struct {
	Percent int32
	Kind    string
}

func crossings(ev Evaluation) []fired {
	var out []fired
	for _, c := range ev.Fire {
		out = append(out, fired{c.Percent, c.Kind})
	}
	return out
}

func TestEvaluate_ForecastIsLinearToTheEndOfTheMonth(t *testing.T) {
	// November has 30 days; on the 10th at 00:00, 9 days have passed: £30 spent → £30 × 30/9 = £100.
	ev, err := Evaluate(Input{Budget: gbp100(false), Spent: money.Units(30), Now: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Forecast != money.Units(100) || ev.Period != "2026-11" || ev.Status.Forecast != "100" || ev.Status.Spent != "30" {
		t.Errorf("evaluation = %+v", ev)
	}
	// Forecast crosses 50, 80 and 100; actual (30%) none.
	if diff := cmp.Diff([]fired{{50, KindForecast}, {80, KindForecast}, {100, KindForecast}}, crossings(ev)); diff != "" {
		t.Errorf("fire (-want +got):\n%s", diff)
	}
	// Ten minutes into a month, the hour floor keeps £1 from projecting £4320: £1 × 720 h / 1 h = £720.
	ev, _ = Evaluate(Input{Budget: gbp100(false), Spent: money.Units(1), Now: time.Date(2026, 11, 1, 0, 10, 0, 0, time.UTC)})
	if ev.Forecast != money.Units(720) {
		t.Errorf("forecast = %s, want 720", ev.Forecast.Exact())
	}
}

// A crossing fires exactly once per threshold and period, and again in the next period.
func TestEvaluate_ThresholdFiresOncePerPeriod(t *testing.T) {
	b := gbp100(false)
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	var status naasv1alpha1.BudgetStatus
	steps := []struct {
		now   time.Time
		spent int64
		want  []fired
	}{
		// Day 15 12:00 (14.5 of 30 days): £40 → forecast £82.76: forecast 50 and 80.
		{day(15, 12), 40, []fired{{50, KindForecast}, {80, KindForecast}}},
		// Later the same day, same spend: nothing new.
		{day(15, 18), 40, nil},
		// £50: actual 50 fires; the forecast (50 × 720 h / 375 h = £96) crosses nothing new.
		{day(16, 15), 50, []fired{{50, KindActual}}},
		// £81: actual 80, forecast 100 (81 × 720 / 456 = £127.89).
		{day(20, 0), 81, []fired{{80, KindActual}, {100, KindForecast}}},
		// £150, far over: actual 100 once.
		{day(25, 0), 150, []fired{{100, KindActual}}},
		{day(26, 0), 160, nil},
		// December: a new period; £10 on the 2nd 00:00 (1 day of 31) → forecast £310: forecast thresholds again.
		{time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), 10, []fired{{50, KindForecast}, {80, KindForecast}, {100, KindForecast}}},
	}
	for i, s := range steps {
		ev, err := Evaluate(Input{Budget: b, Spent: money.Units(s.spent), Now: s.now, Previous: status})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.want, crossings(ev)); diff != "" {
			t.Errorf("step %d at %s (-want +got):\n%s", i, s.now, diff)
		}
		status = ev.Status
	}
	if status.Period != "2026-12" || len(status.Fired) != 3 || !status.Fired[0].FiredAt.Time.Equal(steps[6].now) {
		t.Errorf("status = %+v", status)
	}
}

func TestEvaluate_HardBudgetBlocksThenLifts(t *testing.T) {
	b := gbp100(true)
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	ev, _ := Evaluate(Input{Budget: b, Spent: money.Units(99), Now: now})
	if ev.Blocked {
		t.Error("blocked below the budget")
	}
	ev, _ = Evaluate(Input{Budget: b, Spent: money.Units(100), Now: now})
	if !ev.Blocked || !ev.Status.Blocked {
		t.Fatal("not blocked at 100%")
	}
	// The message is the caller's, who knows the scope (BlockedMessage).
	if ev.Status.Message != "" {
		t.Errorf("Evaluate wrote a message: %q", ev.Status.Message)
	}
	// An admin lifts it for November.
	b.LiftedPeriod = "2026-11"
	if ev, _ = Evaluate(Input{Budget: b, Spent: money.Units(150), Now: now}); ev.Blocked {
		t.Error("blocked though lifted")
	}
	// A lift for November does not carry into December.
	if ev, _ = Evaluate(Input{Budget: b, Spent: money.Units(150), Now: now.AddDate(0, 1, 0)}); !ev.Blocked {
		t.Error("November's lift carried into December")
	}
	// A soft budget never blocks.
	if ev, _ = Evaluate(Input{Budget: gbp100(false), Spent: money.Units(500), Now: now}); ev.Blocked || ev.Status.Message != "" {
		t.Error("a soft budget blocked")
	}
	// A new period starts unblocked: nothing spent yet.
	b.LiftedPeriod = ""
	if ev, _ = Evaluate(Input{Budget: b, Spent: 0, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}); ev.Blocked {
		t.Error("blocked at the start of a new period")
	}
}

func TestEvaluate_DefaultThresholdsAndBadAmounts(t *testing.T) {
	ev, err := Evaluate(Input{Budget: naasv1alpha1.Budget{Amount: resource.MustParse("10"), Currency: "USD"}, Spent: money.Units(9), Now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]fired{{50, KindActual}, {80, KindActual}, {50, KindForecast}, {80, KindForecast}}, crossings(ev)); diff != "" {
		t.Errorf("fire (-want +got):\n%s", diff)
	}
	if _, err := Evaluate(Input{Budget: naasv1alpha1.Budget{Amount: resource.MustParse("0")}, Now: time.Now()}); err == nil || !strings.Contains(err.Error(), "more than zero") {
		t.Errorf("zero budget: %v", err)
	}
}

func TestPeriodBounds(t *testing.T) {
	s, e, err := PeriodBounds("2028-02")
	if err != nil || e.Sub(s) != 29*24*time.Hour {
		t.Errorf("PeriodBounds(2028-02) = %s, %s, %v", s, e, err)
	}
	if _, _, err := PeriodBounds("Feb"); err == nil {
		t.Error("PeriodBounds(Feb) accepted")
	}
}
