package report

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Markdown renders the report for people: the machine and versions, a summary table, and
// each figure with its method and notes.
func (r *Report) Markdown() []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# naas benchmark results\n\n")
	w("Measured %s in %s mode; the run took %s. Every figure is the median and p99 over repeated runs; "+
		"each baseline is measured in the same run, interleaved where it can be, and the ratio is figure over "+
		"baseline. How each figure is measured: [docs/benchmarks.md](../../docs/benchmarks.md).\n\n",
		r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Mode, time.Duration(r.Duration).Round(time.Second))
	m := r.Machine
	w("- Machine: %s, %d CPUs, %s memory, %s/%s, kernel %s; load average %s at the start, %s at the end\n",
		m.CPUModel, m.CPUs, formatBytes(m.MemoryBytes), m.OS, m.Arch, m.Kernel, m.LoadAverage, m.LoadAverageEnd)
	v := r.Versions
	w("- Versions: naas %s, %s, Kubernetes %s (client-go %s), controller-runtime %s\n",
		v.Naas, v.Go, v.Kubernetes, v.ClientGo, v.ControllerRuntime)
	if len(r.Sizes) > 0 {
		w("- Sizes: %s\n", formatSizes(r.Sizes))
	}
	w("\n## Summary\n\n")
	b.WriteString(r.SummaryTable())
	w("\n## Figures\n")
	for _, f := range r.Figures {
		w("\n### %s. %s\n\n", f.ID, f.Title)
		if f.Method != "" {
			w("%s\n\n", f.Method)
		}
		if f.NotAvailable != "" {
			w("Not available: %s\n", f.NotAvailable)
		} else if f.Value != nil {
			w("- Measured: %s\n", formatSummary(f.Value, f.Unit))
			if f.Baseline != nil {
				w("- Baseline, %s: %s\n", f.Baseline.Name, formatSummary(&f.Baseline.Value, f.Unit))
			}
			if f.Ratio != nil {
				w("- Ratio: median %s, p99 %s\n", formatRatio(f.Ratio.Median), formatRatio(f.Ratio.P99))
			}
			if f.Target != nil {
				w("- Target: %s: %s\n", f.Target.Text, verdict(f.Target))
			}
		}
		for _, n := range f.Notes {
			w("- %s\n", n)
		}
	}
	return b.Bytes()
}

// SummaryTable renders one row per figure, for the results and the README.
func (r *Report) SummaryTable() string {
	var b strings.Builder
	b.WriteString("| # | Figure | Median | p99 | Baseline (median / p99) | Ratio (median / p99) | Target | Met |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, f := range r.Figures {
		if f.NotAvailable != "" || f.Value == nil {
			reason := f.NotAvailable
			if reason == "" {
				reason = "not measured"
			}
			fmt.Fprintf(&b, "| %s | %s | not available: %s | | | | %s | |\n", f.ID, f.Title, cell(reason), targetText(f.Target))
			continue
		}
		base, rat := "", ""
		if f.Baseline != nil {
			base = formatValue(f.Baseline.Value.Median, f.Unit) + " / " + formatValue(f.Baseline.Value.P99, f.Unit)
		}
		if f.Ratio != nil {
			rat = formatRatio(f.Ratio.Median) + " / " + formatRatio(f.Ratio.P99)
		}
		met := ""
		if f.Target != nil {
			met = verdict(f.Target)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", f.ID, f.Title,
			formatValue(f.Value.Median, f.Unit), formatValue(f.Value.P99, f.Unit), base, rat, targetText(f.Target), met)
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func targetText(t *Target) string {
	if t == nil {
		return ""
	}
	return t.Text
}

func verdict(t *Target) string {
	switch {
	case t.Met == nil:
		return "not compared"
	case *t.Met:
		return "yes"
	default:
		return "**no**"
	}
}

func formatSummary(s *Summary, unit string) string {
	if s.N == 1 {
		return formatValue(s.Median, unit) + " (one sample)"
	}
	return fmt.Sprintf("median %s, p99 %s (min %s, max %s, %d samples)", formatValue(s.Median, unit),
		formatValue(s.P99, unit), formatValue(s.Min, unit), formatValue(s.Max, unit), s.N)
}

// formatValue prints a number of the unit the way people read it: durations in ms below a
// second, counts without decimals when whole.
func formatValue(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	switch unit {
	case "s":
		switch {
		case v < 0.01:
			return fmt.Sprintf("%.1f ms", v*1000)
		case v < 1:
			return fmt.Sprintf("%.0f ms", v*1000)
		case v < 100:
			return fmt.Sprintf("%.2f s", v)
		default:
			return fmt.Sprintf("%.0f s", v)
		}
	case "ms":
		if v < 100 {
			return fmt.Sprintf("%.2f ms", v)
		}
		return fmt.Sprintf("%.0f ms", v)
	case "MiB":
		return fmt.Sprintf("%.1f MiB", v)
	case "count":
		if v == math.Trunc(v) {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g %s", v, unit)
	}
}

func formatRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", v)
}

func formatBytes(n uint64) string {
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

func formatSizes(sizes map[string]int) string {
	keys := make([]string, 0, len(sizes))
	for k := range sizes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, sizes[k]))
	}
	return strings.Join(parts, ", ")
}
