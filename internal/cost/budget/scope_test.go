package budget

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
)

func TestBlockedMessage_NamesTheScopeWhatStopsUntilWhenAndHowToLift(t *testing.T) {
	spent, err := money.ParseMoney("1012.40")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(Input{
		Budget: naasv1alpha1.Budget{Amount: resource.MustParse("1000"), Currency: "GBP", Hard: true},
		Spent:  spent, Now: time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC),
	})
	if err != nil || !ev.Blocked {
		t.Fatalf("Evaluate: blocked %v, %v; want blocked", ev.Blocked, err)
	}
	tests := []struct {
		scope Scope
		want  string
	}{
		{Scope{Kind: ScopeTenant, Name: "payments"}, "tenant payments has spent £1012.40 of its £1000.00 hard budget for 2026-12: " +
			"no new namespaces or quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift payments)"},
		{Scope{Kind: ScopeCostCenter, Name: "cc-42"}, "cost center cc-42 has spent £1012.40 of its £1000.00 hard budget for 2026-12: " +
			"no new namespaces or quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift --cost-center cc-42)"},
		{Scope{ScopeNamespace, "payments-api", "dev"}, "namespace payments-api has spent £1012.40 of its £1000.00 hard budget for 2026-12: " +
			"no quota growth until 2027-01-01 or a platform admin lifts it (naas budget lift --tier dev)"},
	}
	for _, tt := range tests {
		if got := BlockedMessage(tt.scope, ev); got != tt.want {
			t.Errorf("BlockedMessage(%s):\n got %s\nwant %s", tt.scope, got, tt.want)
		}
	}
}

// TestEvaluate_ForecastFiresBeforeActualAndEachOncePerPeriod walks a month of steady spend (£20 a day against
// £500): the forecast crosses every threshold days before the spend does, and a threshold once fired (fed back
// through the status, as the budget controller does) never fires again in the month, but does in the next.
func TestEvaluate_ForecastFiresBeforeActualAndEachOncePerPeriod(t *testing.T) {
	b := naasv1alpha1.Budget{Amount: resource.MustParse("500"), Currency: "GBP", Thresholds: []int32{50, 100}}
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	firstDay := map[string]int{}
	count := map[string]int{}
	var prev naasv1alpha1.BudgetStatus
	for day := 1; day <= 31; day++ {
		now := start.AddDate(0, 0, day)
		ev, err := Evaluate(Input{Budget: b, Spent: money.Units(int64(20 * day)), Now: now.Add(-time.Second), Previous: prev})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ev.Fire {
			key := fmt.Sprintf("%s/%d", c.Kind, c.Percent/50)
			count[key]++
			if _, ok := firstDay[key]; !ok {
				firstDay[key] = day
			}
		}
		prev = ev.Status
	}
	// £20/day forecasts £620: over 50% (£250) and 100% (£500) from day 1. Actual: £260 on day 13, £500 on day 25.
	want := map[string]int{"Forecast/1": 1, "Forecast/2": 1, "Actual/1": 13, "Actual/2": 25}
	for k, d := range want {
		if firstDay[k] != d || count[k] != 1 {
			t.Errorf("%s fired first on day %d, %d times; want day %d, once", k, firstDay[k], count[k], d)
		}
	}
	next, err := Evaluate(Input{Budget: b, Spent: money.Units(300), Now: start.AddDate(0, 1, 10), Previous: prev})
	if err != nil || len(next.Fire) == 0 {
		t.Errorf("next month: fire %v, %v; want the thresholds to fire again", next.Fire, err)
	}
}
