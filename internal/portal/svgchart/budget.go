package svgchart

import (
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/naas-dev/naas/internal/cost/money"
)

// Budget is a budget bar: what was spent this period against the budget, the forecast to the end of the period,
// the thresholds that notify, and whether the budget is hard.
type Budget struct {
	// ID makes the ids of the chart's title and description unique on the page.
	ID string
	// Name says whose budget it is, such as "Tenant shop" or "Namespace shop-web (tier dev)".
	Name string
	// Period is the month the figures are of, such as "2026-05".
	Period   string
	Currency string
	// Limit, Spent and Forecast are amounts of Currency. Limit is more than zero.
	Limit, Spent, Forecast money.Amount
	// Thresholds are percentages of the limit that notify, such as 50, 80, 100.
	Thresholds []int32
	// Hard budgets stop growth once spent; Blocked says they do now.
	Hard, Blocked bool
	// Pending says naas has not computed the spend yet: the bar shows the limit and thresholds alone, not a spend
	// or forecast of zero.
	Pending bool
}

// State is how the spend stands: "ok" below every threshold but 100%, "warn" past a lower threshold or once
// the forecast passes the limit, "over" at or past the limit.
func (b Budget) State() string {
	switch {
	case b.Limit <= 0:
		return "ok"
	case b.Spent >= b.Limit || b.Blocked:
		return "over"
	case b.Forecast > b.Limit:
		return "warn"
	}
	for _, t := range b.Thresholds {
		if t < 100 && money.MulDiv(int64(b.Spent), 100, 1, 1) >= money.MulDiv(int64(t), int64(b.Limit), 1, 1) {
			return "warn"
		}
	}
	return "ok"
}

// Percent is the spend as a whole percentage of the limit, rounded half up.
func (b Budget) Percent() int64 {
	if b.Limit <= 0 {
		return 0
	}
	return money.MulDiv(int64(b.Spent), 100, 1, int64(b.Limit))
}

// ForecastPercent is the forecast as a whole percentage of the limit, rounded half up.
func (b Budget) ForecastPercent() int64 {
	if b.Limit <= 0 {
		return 0
	}
	return money.MulDiv(int64(b.Forecast), 100, 1, int64(b.Limit))
}

// Summary says the figures in a sentence, for screen readers and the page's text.
func (b Budget) Summary() string {
	var s strings.Builder
	if b.Pending {
		fmt.Fprintf(&s, "Limit %s a month; naas has not computed the spend yet.", money.Format(b.Limit, b.Currency))
		if b.Hard {
			s.WriteString(" Hard budget: once spent, no new namespaces and no quota growth.")
		}
		return s.String()
	}
	fmt.Fprintf(&s, "%s spent of %s", money.Format(b.Spent, b.Currency), money.Format(b.Limit, b.Currency))
	if b.Period != "" {
		fmt.Fprintf(&s, " in %s", b.Period)
	}
	fmt.Fprintf(&s, " (%d%%); forecast %s (%d%%) by the end of the month.", b.Percent(), money.Format(b.Forecast, b.Currency), b.ForecastPercent())
	switch {
	case b.Blocked:
		s.WriteString(" Hard budget spent: no new namespaces and no quota growth until next month or until an admin lifts it.")
	case b.Hard:
		s.WriteString(" Hard budget: once spent, no new namespaces and no quota growth.")
	}
	return s.String()
}

const (
	budgetHeight = 64.0
	budgetLeft   = 4.0
	budgetRight  = 4.0
	budgetBarY   = 18.0
	budgetBarH   = 22.0
)

// SVG draws the bar. The scale reaches the limit, or the spend or forecast when they pass it, so an overrun
// shows past the limit line.
func (b Budget) SVG() template.HTML {
	var sb svgBuilder
	titleID, descID := b.ID+"-title", b.ID+"-desc"
	hard := ""
	if b.Hard {
		hard = " hard"
	}
	state := b.State()
	if b.Pending {
		state = "pending"
	}
	sb.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="chart budget budget-%s%s" viewBox="0 0 %s %s" role="img" aria-labelledby="%s %s" data-percent="%d" data-forecast-percent="%d">`,
		state, hard, num(width), num(budgetHeight), esc(titleID), esc(descID), b.Percent(), b.ForecastPercent())
	sb.printf(`<title id="%s">Budget of %s</title><desc id="%s">%s</desc>`, esc(titleID), esc(b.Name), esc(descID), esc(b.Summary()))
	if b.Limit <= 0 {
		sb.printf(`<text class="chart-empty" x="%s" y="%s" text-anchor="middle">No budget.</text></svg>`, num(width/2), num(budgetHeight/2))
		return sb.html()
	}
	scale := max(b.Limit, b.Spent, b.Forecast)
	plotW := width - budgetLeft - budgetRight
	x := func(v money.Amount) float64 { return budgetLeft + float64(max(v, 0))/float64(scale)*plotW }

	sb.printf(`<rect class="budget-track" x="%s" y="%s" width="%s" height="%s" rx="3"/>`, num(budgetLeft), num(budgetBarY), num(x(b.Limit)-budgetLeft), num(budgetBarH))
	if !b.Pending {
		sb.printf(`<rect class="budget-spent" data-value="%s" x="%s" y="%s" width="%s" height="%s" rx="3"/>`,
			esc(b.Spent.Decimal(b.Currency)), num(budgetLeft), num(budgetBarY), num(x(b.Spent)-budgetLeft), num(budgetBarH))
	}

	thresholds := slices.Clone(b.Thresholds)
	slices.Sort(thresholds)
	for _, t := range slices.Compact(thresholds) {
		if t == 100 {
			continue // the limit line marks it
		}
		tx := x(money.Amount(money.MulDiv(int64(t), int64(b.Limit), 1, 100)))
		sb.printf(`<line class="budget-threshold" data-percent="%d" x1="%s" x2="%s" y1="%s" y2="%s"/>`, t, num(tx), num(tx), num(budgetBarY-4), num(budgetBarY+budgetBarH))
		sb.printf(`<text class="budget-label" x="%s" y="%s" text-anchor="middle">%d%%</text>`, num(tx), num(budgetBarY-7), t)
	}
	lx := x(b.Limit)
	limitLabel := "limit " + money.Format(b.Limit, b.Currency)
	if b.Hard {
		limitLabel = "hard limit " + money.Format(b.Limit, b.Currency)
	}
	sb.printf(`<line class="budget-limit%s" x1="%s" x2="%s" y1="%s" y2="%s"/>`, hard, num(lx), num(lx), num(budgetBarY-8), num(budgetBarY+budgetBarH+4))
	sb.printf(`<text class="budget-label" x="%s" y="%s" text-anchor="end">%s</text>`, num(lx-3), num(budgetBarY-7), esc(limitLabel))

	if b.Pending {
		sb.printf(`</svg>`)
		return sb.html()
	}
	fx := x(b.Forecast)
	sb.printf(`<path class="budget-forecast" data-value="%s" d="M%s %sl-6 8h12z"/>`, esc(b.Forecast.Decimal(b.Currency)), num(fx), num(budgetBarY+budgetBarH+2))
	anchor := "middle"
	switch {
	case fx > width-120:
		anchor = "end"
	case fx < 120:
		anchor = "start"
	}
	sb.printf(`<text class="budget-label" x="%s" y="%s" text-anchor="%s">forecast %s</text>`, num(fx), num(budgetHeight-2), anchor, esc(money.Format(b.Forecast, b.Currency)))
	sb.printf(`</svg>`)
	return sb.html()
}
