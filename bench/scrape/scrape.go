// Package scrape reads Prometheus text exposition (the /metrics of kube-apiserver and of
// naas) into the few numbers the benchmarks need: the sum of a counter or gauge over the
// series that match some labels, and quantiles of a histogram between two scrapes, computed
// the way PromQL's histogram_quantile does. It is pure: callers fetch the text.
package scrape

import (
	"fmt"
	"io"
	"math"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics are the metric families of one scrape, by name.
type Metrics map[string]*dto.MetricFamily

// Parse reads the Prometheus text format.
func Parse(r io.Reader) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return Metrics(fams), nil
}

// Labels select series: every label named must have the given value. A nil or empty
// Labels matches every series of a family.
type Labels map[string]string

func (l Labels) match(m *dto.Metric) bool {
	for k, want := range l {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == k {
				found = lp.GetValue() == want
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Has reports whether the scrape holds the metric family name.
func (ms Metrics) Has(name string) bool {
	_, ok := ms[name]
	return ok
}

// Sum adds the values of the counter, gauge or untyped series of name that match sel. A
// missing family sums to 0.
func (ms Metrics) Sum(name string, sel Labels) float64 {
	fam, ok := ms[name]
	if !ok {
		return 0
	}
	var sum float64
	for _, m := range fam.GetMetric() {
		if !sel.match(m) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

// SumBy adds the series of name that match sel, grouped by the value of label.
func (ms Metrics) SumBy(name string, sel Labels, label string) map[string]float64 {
	out := map[string]float64{}
	fam, ok := ms[name]
	if !ok {
		return out
	}
	for _, m := range fam.GetMetric() {
		if !sel.match(m) {
			continue
		}
		key := ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				key = lp.GetValue()
			}
		}
		var v float64
		switch {
		case m.Counter != nil:
			v = m.GetCounter().GetValue()
		case m.Gauge != nil:
			v = m.GetGauge().GetValue()
		case m.Untyped != nil:
			v = m.GetUntyped().GetValue()
		}
		out[key] += v
	}
	return out
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	UpperBound float64
	Count      float64
}

// Histogram is a cumulative histogram: the sum over the matching series of one family.
type Histogram struct {
	Buckets []Bucket // by UpperBound, ascending; the last is +Inf
	Count   float64
	Sum     float64
}

// Histogram adds up the histogram series of name that match sel. The second result is
// false when the family is missing or is not a histogram.
func (ms Metrics) Histogram(name string, sel Labels) (Histogram, bool) {
	fam, ok := ms[name]
	if !ok || fam.GetType() != dto.MetricType_HISTOGRAM {
		return Histogram{}, false
	}
	byBound := map[float64]float64{}
	var h Histogram
	for _, m := range fam.GetMetric() {
		if !sel.match(m) || m.Histogram == nil {
			continue
		}
		hist := m.GetHistogram()
		h.Count += float64(hist.GetSampleCount())
		h.Sum += hist.GetSampleSum()
		for _, b := range hist.GetBucket() {
			byBound[b.GetUpperBound()] += float64(b.GetCumulativeCount())
		}
	}
	for ub, c := range byBound {
		h.Buckets = append(h.Buckets, Bucket{UpperBound: ub, Count: c})
	}
	if _, ok := byBound[math.Inf(1)]; !ok {
		h.Buckets = append(h.Buckets, Bucket{UpperBound: math.Inf(1), Count: h.Count})
	}
	sort.Slice(h.Buckets, func(i, j int) bool { return h.Buckets[i].UpperBound < h.Buckets[j].UpperBound })
	return h, true
}

// Add returns the observations of both histograms together.
func (h Histogram) Add(o Histogram) Histogram {
	byBound := map[float64]float64{}
	for _, b := range h.Buckets {
		byBound[b.UpperBound] += b.Count
	}
	for _, b := range o.Buckets {
		byBound[b.UpperBound] += b.Count
	}
	out := Histogram{Count: h.Count + o.Count, Sum: h.Sum + o.Sum}
	for ub, c := range byBound {
		out.Buckets = append(out.Buckets, Bucket{UpperBound: ub, Count: c})
	}
	sort.Slice(out.Buckets, func(i, j int) bool { return out.Buckets[i].UpperBound < out.Buckets[j].UpperBound })
	return out
}

// Sub returns the observations made between an earlier scrape, prev, and h.
func (h Histogram) Sub(prev Histogram) Histogram {
	before := map[float64]float64{}
	for _, b := range prev.Buckets {
		before[b.UpperBound] = b.Count
	}
	out := Histogram{Count: h.Count - prev.Count, Sum: h.Sum - prev.Sum}
	for _, b := range h.Buckets {
		out.Buckets = append(out.Buckets, Bucket{UpperBound: b.UpperBound, Count: b.Count - before[b.UpperBound]})
	}
	return out
}

// Quantile estimates the q-quantile (0 < q < 1) as PromQL's histogram_quantile does: it
// finds the bucket holding the rank and interpolates linearly inside it, taking 0 as the
// lower bound of the first bucket. A rank in the +Inf bucket returns the largest finite
// bound. It returns NaN when the histogram is empty.
func (h Histogram) Quantile(q float64) float64 {
	if h.Count <= 0 || len(h.Buckets) == 0 {
		return math.NaN()
	}
	rank := q * h.Count
	lower, below := 0.0, 0.0
	for i, b := range h.Buckets {
		if b.Count >= rank {
			if math.IsInf(b.UpperBound, 1) {
				if i == 0 {
					return math.NaN()
				}
				return h.Buckets[i-1].UpperBound
			}
			inBucket := b.Count - below
			if inBucket <= 0 {
				return b.UpperBound
			}
			return lower + (b.UpperBound-lower)*(rank-below)/inBucket
		}
		lower, below = b.UpperBound, b.Count
	}
	return h.Buckets[len(h.Buckets)-1].UpperBound
}
