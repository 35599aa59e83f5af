package testenv

import (
	"bytes"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// StartPrometheus starts Debian's prometheus (hack/deps.sh installs it) for one test: its TSDB in a temporary
// directory, back-filled before start with openMetrics (OpenMetrics text ending in "# EOF") by
// `promtool tsdb create-blocks-from openmetrics`, no scrape jobs, listening on a free loopback port. It returns
// the HTTP API's URL once Prometheus is ready; the test's cleanup stops it.
func StartPrometheus(t testing.TB, openMetrics string) string {
	t.Helper()
	for _, bin := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed: run hack/deps.sh (Debian package prometheus)", bin)
		}
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	input := filepath.Join(dir, "series.om")
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(input, []byte(openMetrics), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte("global: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Blocks of up to 24 hours: the default two keeps a small back-fill in a few blocks, but a week's in dozens.
	if out, err := exec.Command("promtool", "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h", input, data).CombinedOutput(); err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	var logs bytes.Buffer
	cmd := exec.Command("prometheus", "--config.file="+config, "--storage.tsdb.path="+data, "--web.listen-address="+addr,
		"--storage.tsdb.retention.time=90d", "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if err := <-exited; err == nil {
			t.Log("prometheus exited cleanly before it was stopped")
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("prometheus exited before it was ready: %v\n%s", err, logs.String())
		default:
		}
		if resp, err := http.Get(url + "/-/ready"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus at %s not ready after a minute\n%s", url, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// OpenMetricsSample is one sample of an OpenMetrics series: a value at a time.
type OpenMetricsSample struct {
	At    time.Time
	Value float64
}

// OpenMetricsFamily writes one metric family in OpenMetrics text: its TYPE line, then each series' samples in
// time order. series maps a label set, written as in the exposition format (`namespace="a",pod="b"`), to its
// samples; name is the family's name (a counter's samples get "_total").
func OpenMetricsFamily(name, typ string, series map[string][]OpenMetricsSample) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# TYPE %s %s\n", name, typ)
	sample := name
	if typ == "counter" {
		sample += "_total"
	}
	for _, labels := range slices.Sorted(maps.Keys(series)) {
		for _, s := range series[labels] {
			fmt.Fprintf(&b, "%s{%s} %s %d\n", sample, labels, strconv.FormatFloat(s.Value, 'f', -1, 64), s.At.Unix())
		}
	}
	return b.String()
}
