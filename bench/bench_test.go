package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naas-dev/naas/bench/report"
)

var (
	reportDir  = flag.String("report-dir", "results", "directory BenchmarkSuite writes results.md and results.json to")
	profileDir = flag.String("profile-dir", "", "directory BenchmarkSuite saves pprof profiles of naas and kube-apiserver to (heap at scale, CPU and allocations under the admission load); none when empty")
	figures    = flag.String("figures", "", "comma-separated IDs of the figures BenchmarkSuite runs alone on a fresh cluster, e.g. 7 (all when empty)")
	sizesJSON  = flag.String("sizes", "", `JSON that overrides BenchmarkSuite's sizes, for trying things out, e.g. {"Burst":200,"BurstRuns":1}; durations in nanoseconds`)
)

// TestBenchSmoke runs the whole harness at small sizes and checks that the report holds every
// figure, measured or with the reason why not: the harness must not rot between full runs.
func TestBenchSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	rep, err := Run(ctx, t.TempDir(), "smoke", SmokeSizes(), "", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("smoke run took %s", time.Since(start).Round(time.Millisecond))
	if err := rep.Check(FigureIDs); err != nil {
		t.Fatalf("the report is incomplete:\n%v", err)
	}

	dir := t.TempDir()
	if err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	if err := back.Check(FigureIDs); err != nil {
		t.Errorf("results.json, read back, is incomplete:\n%v", err)
	}
	if back.Machine.CPUs == 0 || back.Versions.Go == "" || back.Versions.Naas == "" || back.Versions.Kubernetes == "" {
		t.Errorf("results.json lacks the machine or versions: %+v %+v", back.Machine, back.Versions)
	}
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range FigureIDs {
		if !strings.Contains(string(md), "| "+id+" | ") {
			t.Errorf("results.md has no summary row for figure %s", id)
		}
	}
	// Figures measured on every build must have been measured, not excused.
	for _, id := range []string{"1a", "1b", "1c", "2", "3", "4-sync", "4-pass", "4-writes", "4-rss", "4-heap", "7", "8-admission", "8-ready", "9-unreachable", "10-hour", "10-report-sqlite", "11", "12-rss", "12-heap"} {
		if f := back.Figure(id); f == nil || f.NotAvailable != "" {
			t.Errorf("figure %s was not measured: %+v", id, f)
		}
	}
	t.Logf("smoke report:\n%s", back.SummaryTable())
}

// logf prints a benchmark's progress lines.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// benchSizes are the sizes, or -sizes over them ("custom").
func benchSizes(b *testing.B) (Sizes, string) {
	sizes := FullSizes()
	if *sizesJSON == "" {
		return sizes, "full"
	}
	if err := json.Unmarshal([]byte(*sizesJSON), &sizes); err != nil {
		b.Fatalf("-sizes: %v", err)
	}
	return sizes, "custom"
}

// BenchmarkSuite runs the full suite once (make bench: -benchtime 1x) and writes the report to
// -report-dir.
func BenchmarkSuite(b *testing.B) {
	sizes, mode := benchSizes(b)
	ctx, cancel := context.WithTimeout(context.Background(), 85*time.Minute)
	defer cancel()
	var only []string
	if *figures != "" {
		only, mode = strings.Split(*figures, ","), "figures "+*figures
	}
	rep, err := Run(ctx, b.TempDir(), mode, sizes, *profileDir, logf, only...)
	if err != nil {
		if rep != nil {
			rep.Finish()
			_ = rep.WriteFiles(filepath.Join(b.TempDir(), "partial"))
		}
		b.Fatal(err)
	}
	if err := rep.WriteFiles(*reportDir); err != nil {
		b.Fatal(err)
	}
	logf("wrote %s and %s", filepath.Join(*reportDir, "results.md"), filepath.Join(*reportDir, "results.json"))
	if len(only) == 0 {
		if err := rep.Check(FigureIDs); err != nil {
			b.Fatalf("the report is incomplete:\n%v", err)
		}
	}
	logf("summary:\n%s", rep.SummaryTable())
	for _, id := range []string{"1a", "2", "4-pass", "4-rss"} {
		if f := rep.Figure(id); f != nil && f.Value != nil {
			b.ReportMetric(f.Value.P99, id+"-p99-"+f.Unit)
		}
	}
}

// BenchmarkCost measures figure 10 alone at the sizes, without the cluster (about two minutes):
// go test -run '^$' -bench BenchmarkCost -benchtime 1x ./bench/
func BenchmarkCost(b *testing.B) {
	for range b.N {
		figures, err := CostFigures(context.Background(), b.TempDir(), FullCostSizes())
		if err != nil {
			b.Fatal(err)
		}
		rep := report.Report{Figures: figures}
		rep.Finish()
		b.Logf("figure 10:\n%s", rep.SummaryTable())
	}
}
