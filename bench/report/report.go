// Package report holds the results of a benchmark run and writes them as Markdown for
// people and JSON for tools: the machine and versions, and for each figure the median and
// p99 over repeated runs, the same for its baseline measured in the same run, their ratio,
// and the target it is compared against. It is pure: the harness in package bench measures.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Report is the outcome of one benchmark run.
type Report struct {
	// Mode is "full" (make bench) or "smoke" (make bench-smoke, reduced sizes).
	Mode string `json:"mode"`
	// Started is when the run began.
	Started time.Time `json:"started"`
	// Duration is how long the whole run took.
	Duration Duration `json:"duration"`
	// Machine is where it ran.
	Machine Machine `json:"machine"`
	// Versions are what ran.
	Versions Versions `json:"versions"`
	// Sizes are the sizes the figures were measured at, by name.
	Sizes map[string]int `json:"sizes"`
	// Figures are the measurements, in the order of the issue.
	Figures []Figure `json:"figures"`
}

// Machine describes the computer the run measured on.
type Machine struct {
	CPUModel    string `json:"cpuModel"`
	CPUs        int    `json:"cpus"`
	MemoryBytes uint64 `json:"memoryBytes"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	Kernel      string `json:"kernel"`
	// LoadAverage is the 1-minute load average at the start of the run, LoadAverageEnd at its end:
	// other work on a shared machine shows here.
	LoadAverage    string `json:"loadAverage"`
	LoadAverageEnd string `json:"loadAverageEnd,omitempty"`
}

// Versions name the software measured.
type Versions struct {
	// Naas is the git revision of naas, with "-dirty" when the tree had uncommitted changes.
	Naas              string `json:"naas"`
	Go                string `json:"go"`
	Kubernetes        string `json:"kubernetes"`
	ControllerRuntime string `json:"controllerRuntime"`
	ClientGo          string `json:"clientGo"`
}

// Figure is one measured quantity.
type Figure struct {
	// ID is the figure's number in the issue, with a letter for its variants: "1a", "4-rss".
	ID string `json:"id"`
	// Title says what is measured.
	Title string `json:"title"`
	// Method says how, in a sentence or two.
	Method string `json:"method,omitempty"`
	// Unit is the unit of Value and Baseline: s, ms, MiB or count.
	Unit string `json:"unit"`
	// Value is the measurement; nil when NotAvailable.
	Value *Summary `json:"value,omitempty"`
	// Baseline is the reference measured in the same run, if the figure has one.
	Baseline *Baseline `json:"baseline,omitempty"`
	// Ratio is Value over Baseline; set by Finish.
	Ratio *Ratio `json:"ratio,omitempty"`
	// Target is what the figure should meet; Met is set by Finish.
	Target *Target `json:"target,omitempty"`
	// NotAvailable says why the figure could not be measured, and what would make it measurable.
	NotAvailable string `json:"notAvailable,omitempty"`
	// Notes are details worth reading next to the numbers: breakdowns, caveats.
	Notes []string `json:"notes,omitempty"`
}

// Baseline is the reference a figure is compared with.
type Baseline struct {
	// Name says what the baseline is, e.g. "the same objects created directly (floor)".
	Name  string  `json:"name"`
	Value Summary `json:"value"`
}

// Ratio is a figure's value over its baseline, quantile by quantile.
type Ratio struct {
	Median float64 `json:"median"`
	P99    float64 `json:"p99"`
}

// Stat names the number a target applies to.
type Stat string

// Stats a target can apply to.
const (
	StatMedian      Stat = "median"
	StatP99         Stat = "p99"
	StatRatioMedian Stat = "ratio.median"
	StatRatioP99    Stat = "ratio.p99"
)

// Target is an upper bound on one number of a figure.
type Target struct {
	// Text is the target as the issue states it, e.g. "p99 at most 1.3x the floor".
	Text string `json:"text"`
	// Stat is the number the bound applies to.
	Stat Stat `json:"stat"`
	// Max is the bound, inclusive.
	Max float64 `json:"max"`
	// Met says whether the figure meets the target; nil until Finish, or when not measured.
	Met *bool `json:"met,omitempty"`
}

// Duration is a time.Duration that encodes as a string such as "24m13s".
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).Round(time.Second).String())
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// Finish computes every figure's ratio to its baseline and whether it meets its target.
func (r *Report) Finish() {
	for i := range r.Figures {
		f := &r.Figures[i]
		f.Ratio = nil
		if f.Value != nil && f.Baseline != nil && f.Baseline.Value.Median > 0 && f.Baseline.Value.P99 > 0 {
			f.Ratio = &Ratio{Median: f.Value.Median / f.Baseline.Value.Median, P99: f.Value.P99 / f.Baseline.Value.P99}
		}
		if f.Target != nil {
			f.Target.Met = nil
			if v, ok := f.stat(f.Target.Stat); ok {
				met := v <= f.Target.Max
				f.Target.Met = &met
			}
		}
	}
}

func (f *Figure) stat(s Stat) (float64, bool) {
	if f.Value == nil {
		return 0, false
	}
	switch s {
	case StatMedian:
		return f.Value.Median, true
	case StatP99:
		return f.Value.P99, true
	case StatRatioMedian:
		if f.Ratio != nil {
			return f.Ratio.Median, true
		}
	case StatRatioP99:
		if f.Ratio != nil {
			return f.Ratio.P99, true
		}
	}
	return 0, false
}

// Figure returns the figure with the id, or nil.
func (r *Report) Figure(id string) *Figure {
	for i := range r.Figures {
		if r.Figures[i].ID == id {
			return &r.Figures[i]
		}
	}
	return nil
}

// Check returns an error naming every figure of ids that is missing or incomplete: a figure
// is complete when it was measured (with samples, and a ratio when it has a baseline, and a
// verdict when it has a target) or says why it could not be.
func (r *Report) Check(ids []string) error {
	var errs []error
	for _, id := range ids {
		f := r.Figure(id)
		switch {
		case f == nil:
			errs = append(errs, fmt.Errorf("figure %s is missing", id))
		case f.NotAvailable != "":
		case f.Value == nil || f.Value.N == 0:
			errs = append(errs, fmt.Errorf("figure %s (%s) has no samples and no reason why", id, f.Title))
		case f.Baseline != nil && f.Baseline.Value.N == 0:
			errs = append(errs, fmt.Errorf("figure %s (%s) has no baseline samples", id, f.Title))
		case f.Baseline != nil && f.Ratio == nil:
			errs = append(errs, fmt.Errorf("figure %s (%s) has no ratio: its baseline is 0", id, f.Title))
		case f.Target != nil && f.Target.Met == nil:
			errs = append(errs, fmt.Errorf("figure %s (%s) was not compared with its target %q", id, f.Title, f.Target.Text))
		}
	}
	return errors.Join(errs...)
}

// WriteFiles writes results.md and results.json into dir, creating it if needed.
func (r *Report) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), r.Markdown(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
