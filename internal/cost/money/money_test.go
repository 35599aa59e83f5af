package money

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestParseMoney(t *testing.T) {
	for _, tc := range []struct {
		in      naasv1alpha1.Money
		want    Amount
		wantErr bool
	}{
		{in: "0.031611", want: 31_611_000},
		{in: "41.2", want: 41_200_000_000},
		{in: "0", want: 0},
		{in: "9000000000.999999", want: 9_000_000_000_999_999_000},
		{in: "999999999999.999999", wantErr: true}, // beyond an int64 of nano-units
		{in: "1.1234567", wantErr: true},           // seven decimals
		{in: "-1", wantErr: true},
		{in: "1e3", wantErr: true},
		{in: "1.", wantErr: true},
		{in: "", wantErr: true},
	} {
		got, err := ParseMoney(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseFactor_NineDecimals(t *testing.T) {
	got, err := ParseFactor("0.790000001")
	if err != nil || got != 790_000_001 {
		t.Fatalf("ParseFactor = %d, %v", got, err)
	}
	if _, err := ParseFactor("0.7900000001"); err == nil {
		t.Fatal("ten decimals parsed")
	}
}

func TestFromQuantity(t *testing.T) {
	for in, want := range map[string]Amount{"100": 100 * Scale, "1500.50": 1_500_500_000_000, "0.000000001": 1, "1k": 1000 * Scale} {
		got, err := FromQuantity(resource.MustParse(in))
		if err != nil || got != want {
			t.Errorf("FromQuantity(%s) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := FromQuantity(resource.MustParse("-1")); err == nil {
		t.Error("negative budget accepted")
	}
}

func TestMulDiv_RoundsHalfAwayFromZeroAndSurvivesHugeProducts(t *testing.T) {
	for _, tc := range []struct{ x, y, z, d, want int64 }{
		{1, 1, 5, 10, 1},   // 0.5 → 1
		{1, 1, 4, 10, 0},   // 0.4 → 0
		{-1, 1, 5, 10, -1}, // -0.5 → -1
		{1, 1, 15, 10, 2},  // 1.5 → 2
		// 1 TiB for an hour at 9 billion per GiB-hour: needs more than 64 bits in between;
		// the result (9216 × 10^18 nano) saturates.
		{1 << 40, 9_000_000_000_000_000_000, 3600, (1 << 30) * 3600, math.MaxInt64},
		// 2^40 × 2^40 / 2^50 = 2^30, exact through math/big.
		{1 << 40, 1 << 40, 1, 1 << 50, 1 << 30},
	} {
		if got := MulDiv(tc.x, tc.y, tc.z, tc.d); got != tc.want {
			t.Errorf("MulDiv(%d, %d, %d, %d) = %d, want %d", tc.x, tc.y, tc.z, tc.d, got, tc.want)
		}
	}
}

func TestSplit_AddsUpExactly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		total   Amount
		weights []int64
		want    []Amount
	}{
		// 100 in thirds: 33 each, the nano left over goes to the first of the equal remainders.
		{"even thirds", 100, []int64{1, 1, 1}, []Amount{34, 33, 33}},
		// 125 weighted 2:1: 83.33 and 41.67; the larger remainder (0.67) takes the leftover.
		{"weighted", 125_000_000, []int64{50_000_000, 25_000_000}, []Amount{83_333_333, 41_666_667}},
		{"all zero weights split evenly", 10, []int64{0, 0}, []Amount{5, 5}},
		{"negative total", -10, []int64{1, 2}, []Amount{-3, -7}},
		{"none", 10, nil, []Amount{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Split(tc.total, tc.weights)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Split (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormat_MinorUnits(t *testing.T) {
	for _, tc := range []struct {
		a        Amount
		currency string
		format   string
		code     string
	}{
		{41_195_000_000, "GBP", "£41.20", "41.20 GBP"},   // 41.195 rounds half up
		{41_194_999_999, "GBP", "£41.19", "41.19 GBP"},   // just below half
		{31_611_000, "USD", "$0.03", "0.03 USD"},         // OpenCost's CPU core-hour
		{-1_505_000_000, "EUR", "-€1.51", "-1.51 EUR"},   // half away from zero
		{5_119_500_000_000, "JPY", "¥5,120", "5120 JPY"}, // no minor unit
		{1_012_400_000_000, "GBP", "£1,012.40", "1012.40 GBP"},
		{-1_234_567_890_000_000_000, "GBP", "-£1,234,567,890.00", "-1234567890.00 GBP"},
		{999_994_999_999, "USD", "$999.99", "999.99 USD"},
		{999_995_000_000, "USD", "$1,000.00", "1000.00 USD"}, // rounding carries into a new group
		{1_234_567_500_000, "KWD", "1,234.568 KWD", "1234.568 KWD"},
		{1_234_500_000, "KWD", "1.235 KWD", "1.235 KWD"},
		{12 * Scale, "CHF", "12.00 CHF", "12.00 CHF"},
	} {
		if got := Format(tc.a, tc.currency); got != tc.format {
			t.Errorf("Format(%d, %s) = %q, want %q", tc.a, tc.currency, got, tc.format)
		}
		if got := FormatCode(tc.a, tc.currency); got != tc.code {
			t.Errorf("FormatCode(%d, %s) = %q, want %q", tc.a, tc.currency, got, tc.code)
		}
	}
	if got := Amount(41_195_000_000).Round("GBP"); got != 41_200_000_000 {
		t.Errorf("Round = %d", got)
	}
}

func TestExactAndToMoney(t *testing.T) {
	a := Amount(41_200_000_001)
	if a.Exact() != "41.200000001" {
		t.Errorf("Exact = %q", a.Exact())
	}
	back, err := ParseExact(a.Exact())
	if err != nil || back != a {
		t.Errorf("ParseExact = %d, %v", back, err)
	}
	if neg, _ := ParseExact("-0.5"); neg != -500_000_000 {
		t.Errorf("ParseExact(-0.5) = %d", neg)
	}
	if got := Amount(41_200_000_600).ToMoney(); got != "41.200001" {
		t.Errorf("ToMoney = %q", got)
	}
	if got := Amount(-5).ToMoney(); got != "0" {
		t.Errorf("ToMoney(negative) = %q", got)
	}
}

func TestRate_ConvertsAndNamesItsDate(t *testing.T) {
	// 0.031611 USD per core-hour at 0.79 GBP per USD = 0.02497269 GBP.
	r := Rate{From: "USD", To: "GBP", Factor: 790_000_000, Date: "2026-11-30"}
	if got := r.Convert(31_611_000); got != 24_972_690 {
		t.Errorf("Convert = %d", got)
	}
	if r.String() != "1 USD = 0.79 GBP (2026-11-30)" {
		t.Errorf("String = %q", r.String())
	}
	// 1/0.79 = 1.265822784810... → 1.265822785
	if inv := r.Inverse(); inv.Factor != 1_265_822_785 || inv.From != "GBP" {
		t.Errorf("Inverse = %+v", inv)
	}
}
