// Package bench is naas's benchmark suite. It runs the real local control plane
// (testenv), runs naas as `naas serve` in a subprocess the way a platform runs it, and
// measures the figures of the performance issue, each against a baseline measured in the
// same run: claim to Ready against the same objects written directly (the floor), a burst of
// claims, mutating calls while idle, memory and restart time at 10,000 namespaces, admission
// webhook latency and REST API latency. It writes results.md and results.json with
// package report.
//
// `make bench` runs the full suite (BenchmarkSuite, about 25 minutes on 2 cores) and writes
// bench/results/; `make bench-smoke` runs TestBenchSmoke, the same harness at small sizes,
// which `make test` runs too so that the harness never rots. docs/benchmarks.md explains
// every figure.
package bench
