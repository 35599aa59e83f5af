package svgchart

import (
	"strconv"
	"strings"
)

// microsPerUnit is how many micro-units make one unit of a currency.
const microsPerUnit = 1_000_000

// symbols are the currency signs shown before an amount; other currencies show their ISO 4217 code after it.
var symbols = map[string]string{"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥"}

// Money formats micro-units of currency rounded to the cent (half away from zero), with thousands separators:
// "£1,234.57", "12.50 CHF".
func Money(micros int64, currency string) string {
	return withCurrency(decimal(micros, 2), currency)
}

// axisMoney formats an axis tick: whole units when the tick is whole, else cents.
func axisMoney(micros int64, currency string) string {
	if micros%microsPerUnit == 0 {
		return withCurrency(decimal(micros, 0), currency)
	}
	return withCurrency(decimal(micros, 2), currency)
}

func withCurrency(s, currency string) string {
	if sym, ok := symbols[currency]; ok {
		if strings.HasPrefix(s, "-") {
			return "-" + sym + s[1:]
		}
		return sym + s
	}
	if currency == "" {
		return s
	}
	return s + " " + currency
}

// decimal renders micros with places decimal places (0 or 2), rounding half away from zero.
func decimal(micros int64, places int) string {
	neg := micros < 0
	if neg {
		micros = -micros
	}
	unit := int64(microsPerUnit)
	for range places {
		unit /= 10
	}
	n := (micros + unit/2) / unit // in units of 10^-places
	scale := int64(1)
	for range places {
		scale *= 10
	}
	whole, frac := n/scale, n%scale
	s := group(strconv.FormatInt(whole, 10))
	if places > 0 {
		f := strconv.FormatInt(frac, 10)
		s += "." + strings.Repeat("0", places-len(f)) + f
	}
	if neg && n != 0 {
		s = "-" + s
	}
	return s
}

// group puts a comma between every three digits.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// niceStep is the step of about n ticks up to max (micro-units): 1, 2, 2.5 or 5 times a power of ten, never
// below a cent.
func niceStep(max int64, n int64) int64 {
	if max <= 0 {
		return microsPerUnit / 4
	}
	raw := (max + n - 1) / n
	for p := int64(10_000); ; p *= 10 { // from a cent up
		for _, m := range []int64{10, 20, 25, 50} {
			if s := p * m / 10; s >= raw {
				return s
			}
		}
	}
}
