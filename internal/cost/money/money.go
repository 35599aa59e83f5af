// Package money holds amounts of money as integers: nano-units (10⁻⁹) of a currency, never floats. It parses the
// API's Money (six decimals) and Decimal (nine decimals) strings, multiplies and divides with a 128-bit or
// arbitrary-precision intermediate so that nothing overflows or loses a digit before the one rounding, rounds to
// a currency's ISO 4217 minor unit for presentation, converts between currencies and formats amounts.
//
// Rounding is half away from zero everywhere: once when an exact product is brought to nano-units, and once
// more when an amount is presented in a currency's minor unit (Round, Format, Decimal).
package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Amount is an amount of money in nano-units (10⁻⁹) of a currency the holder knows. An int64 holds up to
// about ±9.2 billion units of any currency; operations saturate there rather than wrap.
type Amount int64

// Scale is the number of nano-units in one unit of a currency.
const Scale = 1_000_000_000

// Factor is a non-negative decimal number with nine decimal places, in nano-units: 1.2 is 1_200_000_000. It
// carries chargeback discounts and markups and exchange rates.
type Factor int64

// One is the factor 1.
const One Factor = Scale

// Units returns the amount of n whole units.
func Units(n int64) Amount {
	return Amount(saturate(big.NewInt(0).Mul(big.NewInt(n), big.NewInt(Scale))))
}

// ParseMoney parses an API Money string ("0.031611": at most 12 integer digits and 6 decimals) into an Amount.
func ParseMoney(s naasv1alpha1.Money) (Amount, error) {
	v, err := parseDecimal(string(s), 12, 6)
	if err != nil {
		return 0, fmt.Errorf("money %q: %w", s, err)
	}
	return Amount(v), nil
}

// ParseFactor parses an API Decimal string ("1.2": at most 9 integer digits and 9 decimals) into a Factor.
func ParseFactor(s naasv1alpha1.Decimal) (Factor, error) {
	v, err := parseDecimal(string(s), 9, 9)
	if err != nil {
		return 0, fmt.Errorf("decimal %q: %w", s, err)
	}
	return Factor(v), nil
}

// FromQuantity converts a resource.Quantity amount (a Budget's amount, such as "500" or "1500.50") into an
// Amount. Digits beyond nano-units are rounded away from zero, as resource.Quantity does.
func FromQuantity(q resource.Quantity) (Amount, error) {
	if q.Sign() < 0 {
		return 0, fmt.Errorf("amount %s is negative", q.String())
	}
	d := q.AsDec()
	// unscaled × 10^(9 - scale)
	v := new(big.Int).Set(d.UnscaledBig())
	shift := 9 - int(d.Scale())
	switch {
	case shift > 0:
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(shift)), nil))
	case shift < 0:
		div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-shift)), nil)
		v = roundDiv(v, div)
	}
	if !v.IsInt64() {
		return 0, fmt.Errorf("amount %s is too large", q.String())
	}
	return Amount(v.Int64()), nil
}

// parseDecimal parses digits[.digits] into an integer number of nano-units.
func parseDecimal(s string, maxInt, maxFrac int) (int64, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxInt || (hasDot && (frac == "" || len(frac) > maxFrac)) {
		return 0, fmt.Errorf("want at most %d digits, optionally a point and at most %d decimals", maxInt, maxFrac)
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("want digits, found %q", r)
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > math.MaxInt64/Scale-1 {
		return 0, fmt.Errorf("more than %d units", math.MaxInt64/Scale-1)
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	return w*Scale + f, nil
}

// Mul returns a × f, rounded half away from zero to nano-units.
func (a Amount) Mul(f Factor) Amount { return Amount(MulDiv(int64(a), int64(f), 1, Scale)) }

// Add returns a + b, saturating.
func (a Amount) Add(b Amount) Amount {
	s, _ := bits.Add64(uint64(a), uint64(b), 0)
	if (a >= 0) == (b >= 0) && (Amount(s) >= 0) != (a >= 0) {
		if a >= 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return Amount(s)
}

// MulDiv returns x × y × z / d rounded half away from zero, computed exactly (d > 0). The result saturates at
// the int64 range. It is the one place a product of a quantity, a price and a duration is rounded.
func MulDiv(x, y, z, d int64) int64 {
	if d <= 0 {
		panic("money.MulDiv: non-positive divisor")
	}
	// Fast path: all non-negative and the product fits in 63 bits.
	if x >= 0 && y >= 0 && z >= 0 {
		hi, p := bits.Mul64(uint64(x), uint64(y))
		if hi == 0 {
			hi, p = bits.Mul64(p, uint64(z))
			if hi == 0 && p <= math.MaxInt64 {
				q, r := p/uint64(d), p%uint64(d)
				if 2*r >= uint64(d) {
					q++
				}
				return int64(q)
			}
		}
	}
	n := new(big.Int).Mul(big.NewInt(x), big.NewInt(y))
	n.Mul(n, big.NewInt(z))
	return saturate(roundDiv(n, big.NewInt(d)))
}

// roundDiv returns n / d rounded half away from zero (d > 0).
func roundDiv(n, d *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	if r2.Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

func saturate(v *big.Int) int64 {
	switch {
	case v.IsInt64():
		return v.Int64()
	case v.Sign() > 0:
		return math.MaxInt64
	default:
		return math.MinInt64
	}
}

// Split shares total out in proportion to weights (all ≥ 0), so that the parts add up to total exactly: each
// part is rounded down, and the nano-units left over go one each to the largest remainders (ties to the lower
// index, so the result is deterministic). When every weight is zero, total is shared evenly.
func Split(total Amount, weights []int64) []Amount {
	parts := make([]Amount, len(weights))
	if len(weights) == 0 {
		return parts
	}
	var sum uint64
	for _, w := range weights {
		if w < 0 {
			panic("money.Split: negative weight")
		}
		var carry uint64
		sum, carry = bits.Add64(sum, uint64(w), 0)
		if carry != 0 {
			// Beyond 2^64 in all: scale the weights down; the shares still add up exactly.
			scaled := make([]int64, len(weights))
			for i, w := range weights {
				scaled[i] = w >> 16
			}
			return Split(total, scaled)
		}
	}
	if sum == 0 {
		even := make([]int64, len(weights))
		for i := range even {
			even[i] = 1
		}
		return Split(total, even)
	}
	t := uint64(total)
	if total < 0 {
		t = -t
	}
	rems := make([]uint64, len(weights))
	order := make([]int, len(weights))
	left := t
	for i, w := range weights {
		hi, lo := bits.Mul64(t, uint64(w))
		q, r := bits.Div64(hi, lo, sum) // hi < sum since w ≤ sum
		parts[i] = Amount(q)
		left -= q
		rems[i], order[i] = r, i
	}
	// Hand the leftover nano-units (fewer than len(weights)) to the largest remainders.
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	for k := uint64(0); k < left; k++ {
		parts[order[k]]++
	}
	if total < 0 {
		for i := range parts {
			parts[i] = -parts[i]
		}
	}
	return parts
}

// Exact is the amount in units with all nine decimals trimmed of trailing zeros, such as "41.2" or "0.000031611":
// lossless, for storage and JSON.
func (a Amount) Exact() string {
	s := fixed(int64(a), 9)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// ParseExact parses what Exact wrote (an optional minus sign, digits, at most nine decimals).
func ParseExact(s string) (Amount, error) {
	neg := strings.HasPrefix(s, "-")
	v, err := parseDecimal(strings.TrimPrefix(s, "-"), 10, 9)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	if neg {
		v = -v
	}
	return Amount(v), nil
}

// ToMoney is the amount as an API Money string (six decimals, rounded half away from zero). Negative amounts
// become "0": Money is never negative.
func (a Amount) ToMoney() naasv1alpha1.Money {
	if a <= 0 {
		return "0"
	}
	micro := MulDiv(int64(a), 1, 1, 1000)
	s := strings.TrimRight(fixed(micro, 6), "0")
	return naasv1alpha1.Money(strings.TrimSuffix(s, "."))
}

// fixed formats v / 10^places with exactly places decimals.
func fixed(v int64, places int) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	p := uint64(1)
	for range places {
		p *= 10
	}
	s := strconv.FormatUint(u/p, 10)
	if places > 0 {
		f := strconv.FormatUint(u%p, 10)
		s += "." + strings.Repeat("0", places-len(f)) + f
	}
	if neg {
		s = "-" + s
	}
	return s
}
