package localcp

import "fmt"

// Seats per CPU of the local kube-apiserver (--max-requests-inflight and --max-mutating-requests-inflight).
// Kubernetes' defaults, 400 and 200, are the same on every machine; API Priority and Fairness divides them
// among its levels as seats, and a seat is not a CPU: on a small machine a level's share of 600 seats holds more
// CPU-bound lists at once than the CPUs can serve, so one tenant's flood slows everyone down although it never
// waits for a seat. About 65 seats a CPU give each of naas's tier levels about one seat per two CPUs
// (platform.TierLevel), and the built-in levels tens of seats.
const (
	readOnlySeatsPerCPU = 45
	mutatingSeatsPerCPU = 20
	// minSeatCPUs is the smallest machine sized for: a one-CPU machine gets the seats of two.
	minSeatCPUs = 2
)

// ServerConcurrency is kube-apiserver's concurrency limits on a machine with cpus CPUs: the seats priority and
// fairness divides among its levels.
func ServerConcurrency(cpus int) (readOnly, mutating int) {
	cpus = max(cpus, minSeatCPUs)
	return readOnlySeatsPerCPU * cpus, mutatingSeatsPerCPU * cpus
}

// concurrencyArgs are kube-apiserver's flags for ServerConcurrency(cpus).
func concurrencyArgs(cpus int) []string {
	readOnly, mutating := ServerConcurrency(cpus)
	return []string{
		fmt.Sprintf("--max-requests-inflight=%d", readOnly),
		fmt.Sprintf("--max-mutating-requests-inflight=%d", mutating),
	}
}
