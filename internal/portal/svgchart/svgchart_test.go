package svgchart

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/naas-dev/naas/internal/cost/money"
)

func TestAxisMoney(t *testing.T) {
	for _, tc := range []struct {
		a        money.Amount
		currency string
		want     string
	}{
		{25 * money.Scale, "GBP", "£25"},
		{2_500_000_000, "GBP", "£2.50"},
		{0, "GBP", "£0"},
		{5 * money.Scale, "CHF", "5 CHF"},
		{5 * money.Scale, "JPY", "¥5"},
	} {
		if got := axisMoney(tc.a, tc.currency); got != tc.want {
			t.Errorf("axisMoney(%d, %s) = %q, want %q", tc.a, tc.currency, got, tc.want)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct{ max, want money.Amount }{
		{0, 250_000_000},
		{1, 10_000_000},                 // never below a cent
		{3_900_000_000, 1_000_000_000},  // £3.90 in 4 ticks: £1
		{7_000_000_000, 2_000_000_000},  // £7: £2
		{9_000_000_000, 2_500_000_000},  // £9: £2.50
		{19_000_000_000, 5_000_000_000}, // £19: £5
		{41_000_000_000_000, 20_000_000_000_000},
	} {
		if got := niceStep(tc.max, 4); got != tc.want {
			t.Errorf("niceStep(%d) = %d, want %d", tc.max, got, tc.want)
		}
	}
}

// node is a parsed SVG element.
type node struct {
	name     string
	attrs    map[string]string
	text     string
	children []*node
}

func parse(t *testing.T, svg string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	root := &node{name: "#root"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(tok)
		}
	}
	if len(root.children) != 1 || root.children[0].name != "svg" {
		t.Fatalf("want one <svg> root, got %d elements", len(root.children))
	}
	return root.children[0]
}

// all returns the elements under n (n included) that match.
func (n *node) all(match func(*node) bool) []*node {
	var out []*node
	if match(n) {
		out = append(out, n)
	}
	for _, c := range n.children {
		out = append(out, c.all(match)...)
	}
	return out
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func attr(name, value string) func(*node) bool {
	return func(n *node) bool { _, ok := n.attrs[name]; return ok && (value == "" || n.attrs[name] == value) }
}

func float(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return f
}

func week() Stacked {
	return Stacked{
		ID: "c", Title: "Cost of shop by day", Desc: "Stacked bars; the table below has the figures.", Currency: "GBP",
		Buckets: []string{"05-01", "05-02", "05-03"},
		Series: []Series{
			{Key: "cpu", Label: "CPU", Values: []money.Amount{2_000_000_000, 4_000_000_000, 0}},
			{Key: "memory", Label: "Memory", Values: []money.Amount{1_000_000_000, 2_000_000_000, 0}},
			{Key: "idle", Label: "Idle", Values: []money.Amount{500_000_000, -1, 0}},
		},
	}
}

func TestStacked_BarsStackEachSeriesInProportion(t *testing.T) {
	svg := parse(t, string(week().SVG()))

	if got := svg.attrs["aria-labelledby"]; got != "c-title c-desc" {
		t.Errorf("aria-labelledby = %q", got)
	}
	if got := svg.attrs["role"]; got != "img" {
		t.Errorf("role = %q", got)
	}
	if title := svg.child("title"); title == nil || title.text != "Cost of shop by day" || title.attrs["id"] != "c-title" {
		t.Errorf("title = %+v", title)
	}
	if desc := svg.child("desc"); desc == nil || desc.attrs["id"] != "c-desc" {
		t.Errorf("desc = %+v", desc)
	}

	bars := svg.all(attr("data-bucket", ""))
	var got [][]string
	for _, b := range bars {
		row := []string{b.attrs["data-bucket"], b.attrs["data-total"]}
		for _, r := range b.all(attr("data-series", "")) {
			row = append(row, r.attrs["data-series"]+"="+r.attrs["data-value"])
		}
		got = append(got, row)
	}
	want := [][]string{
		{"05-01", "3.50", "cpu=2.00", "memory=1.00", "idle=0.50"},
		{"05-02", "6.00", "cpu=4.00", "memory=2.00"}, // a negative value draws nothing
		{"05-03", "0.00"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}

	// Segments of a bar touch, bottom to top, and their heights are in proportion to their values.
	segs := bars[1].all(attr("data-series", ""))
	cpuY, cpuH := float(t, segs[0].attrs["y"]), float(t, segs[0].attrs["height"])
	memY, memH := float(t, segs[1].attrs["y"]), float(t, segs[1].attrs["height"])
	if math.Abs(memY+memH-cpuY) > 0.02 {
		t.Errorf("memory (y %v, h %v) does not sit on cpu (y %v)", memY, memH, cpuY)
	}
	if math.Abs(cpuH-2*memH) > 0.02 {
		t.Errorf("cpu height %v is not twice memory's %v", cpuH, memH)
	}
	if math.Abs(cpuY+cpuH-plotBottom) > 0.02 {
		t.Errorf("cpu does not start at the axis: y %v + h %v", cpuY, cpuH)
	}
	// The tallest bar (£6) reaches the top tick (£6: four steps of £2 would be £8, so the top is £6 in £2 steps).
	var ticks []string
	for _, tx := range svg.all(func(n *node) bool {
		return n.name == "text" && n.attrs["text-anchor"] == "end" && n.attrs["dominant-baseline"] == "middle"
	}) {
		ticks = append(ticks, tx.text)
	}
	if diff := cmp.Diff([]string{"£0", "£2", "£4", "£6"}, ticks); diff != "" {
		t.Errorf("y ticks (-want +got):\n%s", diff)
	}
	if math.Abs(memY-marginTop) > 0.02 {
		t.Errorf("the £6 bar tops out at %v, want the top of the plot %v", memY, marginTop)
	}
	if axis := svg.all(attr("class", "axis-title")); len(axis) != 1 || axis[0].text != "Cost (GBP)" {
		t.Errorf("axis title = %+v", axis)
	}
	// Each segment has a tooltip with its figure.
	if tip := segs[0].child("title"); tip == nil || tip.text != "CPU, 05-02: £4.00" {
		t.Errorf("tooltip = %+v", tip)
	}
}

func TestStacked_TableIsTheTextAlternative(t *testing.T) {
	got := week().Table()
	want := Table{
		Caption: "Cost of shop by day",
		Header:  []string{"", "CPU", "Memory", "Idle", "Total"},
		Rows: [][]string{
			{"05-01", "£2.00", "£1.00", "£0.50", "£3.50"},
			{"05-02", "£4.00", "£2.00", "£0.00", "£6.00"},
			{"05-03", "£0.00", "£0.00", "£0.00", "£0.00"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestStacked_EscapesTextAndRefusesBadInput(t *testing.T) {
	c := week()
	c.Title = `</title><script>alert(1)</script>`
	c.Buckets[0] = `"><script>`
	out := string(c.SVG())
	if strings.Contains(out, "<script>") {
		t.Fatalf("unescaped text in the SVG:\n%s", out)
	}
	parse(t, out)

	for name, mutate := range map[string]func(*Stacked){
		"bad key":        func(c *Stacked) { c.Series[0].Key = `cpu" onclick="x` },
		"missing values": func(c *Stacked) { c.Series[1].Values = c.Series[1].Values[:1] },
	} {
		c := week()
		mutate(&c)
		if c.Validate() == nil {
			t.Errorf("%s: Validate accepts it", name)
		}
		svg := parse(t, string(c.SVG()))
		if n := len(svg.all(attr("data-series", ""))); n != 0 {
			t.Errorf("%s: %d bars drawn", name, n)
		}
		if strings.Contains(string(c.SVG()), "onclick") && !strings.Contains(string(c.SVG()), "&#34;") {
			t.Errorf("%s: the bad key is in the markup unescaped", name)
		}
	}
}

func TestStacked_ManyBucketsLabelEveryFewAndNoneSaysSo(t *testing.T) {
	c := Stacked{ID: "m", Title: "Month", Currency: "USD", Series: []Series{{Key: "cpu", Label: "CPU"}}}
	for i := range 31 {
		c.Buckets = append(c.Buckets, strconv.Itoa(i+1))
		c.Series[0].Values = append(c.Series[0].Values, money.Amount(i)*money.Scale)
	}
	svg := parse(t, string(c.SVG()))
	if n := len(svg.all(attr("data-series", "cpu"))); n != 30 {
		t.Errorf("%d bars, want 30 (the first day is zero)", n)
	}
	if n := len(svg.all(attr("class", "x-label"))); n > maxXLabels {
		t.Errorf("%d x labels, want at most %d", n, maxXLabels)
	}

	empty := Stacked{ID: "e", Title: "Nothing", Currency: "GBP", Series: []Series{{Key: "cpu", Label: "CPU"}}}
	if !strings.Contains(string(empty.SVG()), "No costs in this window.") {
		t.Errorf("an empty chart does not say so")
	}
}

func TestBudget_State(t *testing.T) {
	b := func(spent, forecast money.Amount) Budget {
		return Budget{Limit: 100_000_000_000, Spent: spent, Forecast: forecast, Thresholds: []int32{50, 80, 100}}
	}
	for _, tc := range []struct {
		name string
		b    Budget
		want string
	}{
		{"below every threshold", b(10_000_000_000, 40_000_000_000), "ok"},
		{"past 50%", b(50_000_000_000, 90_000_000_000), "warn"},
		{"forecast past the limit", b(40_000_000_000, 120_000_000_000), "warn"},
		{"spent", b(100_000_000_000, 130_000_000_000), "over"},
		{"blocked", Budget{Limit: 1, Blocked: true}, "over"},
		{"no limit", Budget{}, "ok"},
	} {
		if got := tc.b.State(); got != tc.want {
			t.Errorf("%s: State = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestBudget_BarMarksSpendForecastThresholdsAndHardLimit(t *testing.T) {
	b := Budget{
		ID: "b", Name: "tenant shop", Period: "2026-05", Currency: "GBP",
		Limit: 100_000_000_000, Spent: 60_000_000_000, Forecast: 150_000_000_000, Thresholds: []int32{80, 50, 100, 50}, Hard: true,
	}
	svg := parse(t, string(b.SVG()))
	if got := svg.attrs["class"]; got != "chart budget budget-warn hard" {
		t.Errorf("class = %q", got)
	}
	if got := svg.attrs["data-percent"] + "/" + svg.attrs["data-forecast-percent"]; got != "60/150" {
		t.Errorf("percents = %s", got)
	}
	desc := svg.child("desc").text
	for _, want := range []string{"£60.00 spent of £100.00 in 2026-05 (60%)", "forecast £150.00 (150%)", "Hard budget"} {
		if !strings.Contains(desc, want) {
			t.Errorf("desc %q lacks %q", desc, want)
		}
	}
	var thresholds []string
	for _, l := range svg.all(attr("class", "budget-threshold")) {
		thresholds = append(thresholds, l.attrs["data-percent"])
	}
	if diff := cmp.Diff([]string{"50", "80"}, thresholds); diff != "" {
		t.Errorf("thresholds (-want +got):\n%s", diff)
	}
	// The scale reaches the forecast (£150): the limit line stands at two thirds of the bar, spend at 40%.
	limit := svg.all(attr("class", "budget-limit hard"))
	if len(limit) != 1 {
		t.Fatalf("no hard limit line")
	}
	plotW := width - budgetLeft - budgetRight
	if lx := float(t, limit[0].attrs["x1"]); math.Abs(lx-(budgetLeft+plotW*2/3)) > 0.02 {
		t.Errorf("limit line at %v, want two thirds of the way", lx)
	}
	spent := svg.all(attr("class", "budget-spent"))[0]
	if w := float(t, spent.attrs["width"]); math.Abs(w-plotW*0.4) > 0.02 {
		t.Errorf("spent width %v, want %v", w, plotW*0.4)
	}
	if got := svg.all(attr("class", "budget-forecast"))[0].attrs["data-value"]; got != "150.00" {
		t.Errorf("forecast marker value = %s", got)
	}
	var labels []string
	for _, l := range svg.all(attr("class", "budget-label")) {
		labels = append(labels, l.text)
	}
	if diff := cmp.Diff([]string{"50%", "80%", "hard limit £100.00", "forecast £150.00"}, labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

func TestBudget_PendingShowsTheLimitNotAZeroSpend(t *testing.T) {
	b := Budget{ID: "b", Name: "namespace shop-web (tier dev)", Currency: "USD", Limit: 100_000_000_000, Thresholds: []int32{50, 80, 100}, Pending: true}
	svg := parse(t, string(b.SVG()))
	if got := svg.attrs["class"]; got != "chart budget budget-pending" {
		t.Errorf("class = %q", got)
	}
	if n := len(svg.all(attr("class", "budget-spent"))) + len(svg.all(attr("class", "budget-forecast"))); n != 0 {
		t.Errorf("%d spend or forecast marks on a budget whose spend is not computed", n)
	}
	if got, want := svg.child("desc").text, "Limit $100.00 a month; naas has not computed the spend yet."; got != want {
		t.Errorf("desc = %q, want %q", got, want)
	}
	if len(svg.all(attr("class", "budget-limit"))) != 1 || len(svg.all(attr("class", "budget-threshold"))) != 2 {
		t.Errorf("the limit and thresholds are not drawn")
	}
}
