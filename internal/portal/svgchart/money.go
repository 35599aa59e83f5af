package svgchart

import (
	"strings"

	"github.com/naas-dev/naas/internal/cost/money"
)

// axisMoney formats an axis tick: without decimals when the tick is a whole amount ("£25"), else as money.Format.
func axisMoney(a money.Amount, currency string) string {
	s := money.Format(a, currency)
	if a%money.Scale == 0 {
		s = strings.Replace(s, "."+strings.Repeat("0", money.MinorUnits(currency)), "", 1)
	}
	return s
}

// cent is the smallest axis step: a hundredth of a unit.
const cent = money.Scale / 100

// niceStep is the step of about n ticks up to max: 1, 2, 2.5 or 5 times a power of ten, never below a cent.
func niceStep(max money.Amount, n int64) money.Amount {
	if max <= 0 {
		return money.Scale / 4
	}
	raw := (max + money.Amount(n) - 1) / money.Amount(n)
	for p := money.Amount(cent); ; p *= 10 {
		for _, m := range []money.Amount{10, 20, 25, 50} {
			if s := p * m / 10; s >= raw {
				return s
			}
		}
	}
}
