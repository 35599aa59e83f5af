package report

import (
	"math"
	"sort"
)

// Summary describes repeated measurements of one quantity.
type Summary struct {
	// N is the number of samples.
	N int `json:"n"`
	// Median is the 0.5 quantile.
	Median float64 `json:"median"`
	// P99 is the 0.99 quantile.
	P99 float64 `json:"p99"`
	// Min is the smallest sample.
	Min float64 `json:"min"`
	// Max is the largest sample.
	Max float64 `json:"max"`
}

// Summarize computes the summary of samples; quantiles interpolate linearly between the two
// nearest ranks (so the p99 of fewer than 100 samples lies between the two largest). An
// empty input gives the zero Summary.
func Summarize(samples []float64) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	return Summary{
		N:      len(s),
		Median: Quantile(s, 0.5),
		P99:    Quantile(s, 0.99),
		Min:    s[0],
		Max:    s[len(s)-1],
	}
}

// Quantile returns the q-quantile of sorted samples, interpolating linearly between the
// closest ranks (the "type 7" estimator of R and NumPy's default). It returns NaN for no
// samples.
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n == 1 {
		return sorted[0]
	}
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	if lo >= n-1 {
		return sorted[n-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

// Single is the summary of one sample, for figures measured once.
func Single(v float64) Summary {
	return Summary{N: 1, Median: v, P99: v, Min: v, Max: v}
}
