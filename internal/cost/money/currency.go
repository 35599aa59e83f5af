package money

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// minorUnits are the ISO 4217 minor units of the currencies whose minor unit is not 2 (the list's values as of
// 2026), so that an amount in yen is presented in whole yen and one in dinars in fils.
var minorUnits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
	"UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// symbols are the signs Format puts before an amount; other currencies are written with their code.
var symbols = map[string]string{"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥"}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidCurrency reports whether code has the shape of an ISO 4217 code.
func ValidCurrency(code string) error {
	if !currencyCode.MatchString(code) {
		return fmt.Errorf("currency %q is not an ISO 4217 code (three capital letters)", code)
	}
	return nil
}

// MinorUnits is the number of decimals of currency code's minor unit (ISO 4217): 2 for GBP, USD and EUR, 0 for
// JPY, 3 for KWD. Codes naas does not list have 2.
func MinorUnits(code string) int {
	if n, ok := minorUnits[code]; ok {
		return n
	}
	return 2
}

// Round rounds a to currency code's minor unit, half away from zero; the result is still in nano-units.
func (a Amount) Round(code string) Amount {
	step := int64(1)
	for range 9 - MinorUnits(code) {
		step *= 10
	}
	return Amount(MulDiv(int64(a), 1, 1, step) * step)
}

// Decimal is a rounded to currency code's minor unit and written with exactly that many decimals and no
// symbol, such as "41.20" or "5120" (JPY): the form CSV files carry.
func (a Amount) Decimal(code string) string {
	n := MinorUnits(code)
	step := int64(1)
	for range 9 - n {
		step *= 10
	}
	return fixed(MulDiv(int64(a), 1, 1, step), n)
}

// Format writes a in currency code for people: "£41.20", "$0.03", "-€1.50", "¥5120", and "41.20 CHF" for
// currencies without a symbol here.
func Format(a Amount, code string) string {
	d := group(a.Decimal(code))
	sym, ok := symbols[code]
	if !ok {
		return d + " " + code
	}
	if d[0] == '-' {
		return "-" + sym + d[1:]
	}
	return sym + d
}

// group puts a comma between each three digits of a decimal's whole part: "-1234567.50" is "-1,234,567.50".
func group(d string) string {
	sign, digits := "", d
	if d != "" && d[0] == '-' {
		sign, digits = "-", d[1:]
	}
	whole, frac, hasFrac := strings.Cut(digits, ".")
	if len(whole) <= 3 {
		return d
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

// FormatCode writes a with its code after it, as statements do: "41.20 GBP".
func FormatCode(a Amount, code string) string { return a.Decimal(code) + " " + code }

// Rate converts amounts from one currency into another: one unit of From buys Factor units of To. Date is the
// day the rate was taken (YYYY-MM-DD); reports name it next to converted figures.
type Rate struct {
	From, To string
	Factor   Factor
	Date     string
}

// Identity is the rate converting code into itself.
func Identity(code string) Rate { return Rate{From: code, To: code, Factor: One} }

// Convert converts a by r, rounded half away from zero to nano-units of r.To.
func (r Rate) Convert(a Amount) Amount { return a.Mul(r.Factor) }

// String describes the rate: "1 USD = 0.79 GBP (2026-11-30)".
func (r Rate) String() string {
	f := Amount(r.Factor).Exact()
	if r.Date == "" {
		return fmt.Sprintf("1 %s = %s %s", r.From, f, r.To)
	}
	return fmt.Sprintf("1 %s = %s %s (%s)", r.From, f, r.To, r.Date)
}

// Inverse is the rate converting back, exact to nine decimals (rounded half away from zero).
func (r Rate) Inverse() Rate {
	if r.Factor == 0 {
		return Rate{From: r.To, To: r.From, Date: r.Date}
	}
	inv := new(big.Int).Mul(big.NewInt(Scale), big.NewInt(Scale))
	return Rate{From: r.To, To: r.From, Factor: Factor(saturate(roundDiv(inv, big.NewInt(int64(r.Factor))))), Date: r.Date}
}
