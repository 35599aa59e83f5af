package svgchart

import (
	"fmt"
	"html/template"
	"regexp"
	"strings"

	"github.com/naas-dev/naas/internal/cost/money"
)

// Series is one component of a stacked chart, such as "cpu", with one value per bucket.
type Series struct {
	// Key names the component; it becomes the CSS class "series-<key>" that colours it, and the data-series
	// attribute of its bars. Lower-case letters, digits and dashes.
	Key string
	// Label is what the legend and the table call it, such as "CPU".
	Label string
	// Values are amounts of the chart's currency, one per bucket of the chart; negative values count as zero.
	Values []money.Amount
}

// Stacked is a chart of stacked bars: one bar per bucket (an hour or a day), one segment per series.
type Stacked struct {
	// ID makes the ids of the chart's title and description unique on the page.
	ID string
	// Title and Desc are read by screen readers; Desc should say what the chart shows and where the table is.
	Title, Desc string
	// Currency is the ISO 4217 code of the values; the axis names it.
	Currency string
	// Buckets label the bars, such as "05-01" or "14:00".
	Buckets []string
	Series  []Series
}

// Geometry of the chart, in the SVG's own units; the SVG scales to the width of its box.
const (
	width       = 720.0
	height      = 300.0
	marginLeft  = 76.0
	marginRight = 8.0
	marginTop   = 12.0
	plotBottom  = 236.0 // the x axis
	legendY     = 284.0
	maxXLabels  = 12
	yTicks      = 4
)

var keyPattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// Validate reports a chart that cannot be drawn: a series without a value for every bucket, or a bad key.
func (c Stacked) Validate() error {
	for _, s := range c.Series {
		if !keyPattern.MatchString(s.Key) {
			return fmt.Errorf("series key %q: want 1-32 lower-case letters, digits or dashes", s.Key)
		}
		if len(s.Values) != len(c.Buckets) {
			return fmt.Errorf("series %s has %d values for %d buckets", s.Key, len(s.Values), len(c.Buckets))
		}
	}
	return nil
}

// Totals are the sums of the series per bucket.
func (c Stacked) Totals() []money.Amount {
	out := make([]money.Amount, len(c.Buckets))
	for _, s := range c.Series {
		for i, v := range s.Values {
			if i < len(out) && v > 0 {
				out[i] += v
			}
		}
	}
	return out
}

// SVG draws the chart. A chart that does not validate draws as its title and the reason, so a page still
// renders.
func (c Stacked) SVG() template.HTML {
	var b svgBuilder
	titleID, descID := c.ID+"-title", c.ID+"-desc"
	b.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="chart stacked" viewBox="0 0 %s %s" role="img" aria-labelledby="%s %s">`,
		num(width), num(height), esc(titleID), esc(descID))
	b.printf(`<title id="%s">%s</title><desc id="%s">%s</desc>`, esc(titleID), esc(c.Title), esc(descID), esc(c.Desc))
	if err := c.Validate(); err != nil {
		b.printf(`<text class="chart-empty" x="%s" y="%s" text-anchor="middle">%s</text></svg>`, num(width/2), num(height/2), esc(err.Error()))
		return b.html()
	}

	totals := c.Totals()
	var top money.Amount
	for _, t := range totals {
		top = max(top, t)
	}
	step := niceStep(top, yTicks)
	top = max(step, (top+step-1)/step*step)
	plotH := plotBottom - marginTop
	y := func(v money.Amount) float64 { return plotBottom - float64(v)/float64(top)*plotH }

	// The y axis: gridlines and amounts.
	b.printf(`<g class="axis y-axis">`)
	for v := money.Amount(0); v <= top; v += step {
		b.printf(`<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(marginLeft), num(width-marginRight), num(y(v)), num(y(v)))
		b.printf(`<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`, num(marginLeft-6), num(y(v)), esc(axisMoney(v, c.Currency)))
	}
	b.printf(`<text class="axis-title" transform="rotate(-90)" x="%s" y="14" text-anchor="middle">Cost (%s)</text>`,
		num(-(marginTop + plotH/2)), esc(c.Currency))
	b.printf(`</g>`)

	// The bars, bottom to top in the order of the series.
	n := len(c.Buckets)
	if n > 0 {
		band := (width - marginLeft - marginRight) / float64(n)
		barW := band * 0.7
		every := (n + maxXLabels - 1) / maxXLabels
		b.printf(`<g class="bars">`)
		for i, bucket := range c.Buckets {
			x := marginLeft + band*float64(i) + (band-barW)/2
			b.printf(`<g class="bar" data-bucket="%s" data-total="%s">`, esc(bucket), esc(totals[i].Decimal(c.Currency)))
			var cum money.Amount
			for _, s := range c.Series {
				v := s.Values[i]
				if v <= 0 {
					continue
				}
				y0, y1 := y(cum), y(cum+v)
				cum += v
				b.printf(`<rect class="series-%s" data-series="%s" data-value="%s" x="%s" y="%s" width="%s" height="%s"><title>%s, %s: %s</title></rect>`,
					s.Key, s.Key, esc(v.Decimal(c.Currency)), num(x), num(y1), num(barW), num(y0-y1),
					esc(s.Label), esc(bucket), esc(money.Format(v, c.Currency)))
			}
			b.printf(`</g>`)
			if i%every == 0 {
				b.printf(`<text class="x-label" x="%s" y="%s" text-anchor="middle">%s</text>`, num(x+barW/2), num(plotBottom+16), esc(bucket))
			}
		}
		b.printf(`</g>`)
	} else {
		b.printf(`<text class="chart-empty" x="%s" y="%s" text-anchor="middle">No costs in this window.</text>`, num((marginLeft+width)/2), num(plotBottom/2))
	}
	b.printf(`<line class="axis-line" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(marginLeft), num(width-marginRight), num(plotBottom), num(plotBottom))

	// The legend, in one row.
	b.printf(`<g class="legend" aria-hidden="true">`)
	x := marginLeft
	for _, s := range c.Series {
		b.printf(`<rect class="series-%s" x="%s" y="%s" width="12" height="12"/><text x="%s" y="%s">%s</text>`,
			s.Key, num(x), num(legendY-10), num(x+16), num(legendY), esc(s.Label))
		x += 16 + 7.5*float64(len([]rune(s.Label))) + 18
	}
	b.printf(`</g></svg>`)
	return b.html()
}

// Table is the chart's figures as text: a row per bucket, a column per series, and the total.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// Table returns the chart's text alternative.
func (c Stacked) Table() Table {
	t := Table{Caption: c.Title, Header: []string{""}}
	for _, s := range c.Series {
		t.Header = append(t.Header, s.Label)
	}
	t.Header = append(t.Header, "Total")
	totals := c.Totals()
	for i, bucket := range c.Buckets {
		row := []string{bucket}
		for _, s := range c.Series {
			var v money.Amount
			if i < len(s.Values) {
				v = max(0, s.Values[i])
			}
			row = append(row, money.Format(v, c.Currency))
		}
		t.Rows = append(t.Rows, append(row, money.Format(totals[i], c.Currency)))
	}
	return t
}

// svgBuilder collects markup whose every interpolated string went through esc.
type svgBuilder struct{ strings.Builder }

func (b *svgBuilder) printf(format string, args ...any) { fmt.Fprintf(&b.Builder, format, args...) }

//nolint:gosec // every string interpolated into the markup is escaped with esc, and keys are validated
func (b *svgBuilder) html() template.HTML { return template.HTML(b.String()) }

// esc escapes text for an XML attribute or text node.
func esc(s string) string { return template.HTMLEscapeString(s) }

// num formats a coordinate with at most two decimals.
func num(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}
