// Package allocation computes what one hour of one cluster cost, per namespace, as the OpenCost specification
// defines it: per container, max(request, usage) for CPU and memory and the request for GPUs; the capacity of
// persistent volume claims by storage class; Services of type LoadBalancer by the hour; idle capacity (what
// the nodes cost minus what was allocated) and the cost of shared namespaces split by the CostPolicy. Its
// inputs are plain values, which a collector reads from the cluster and Prometheus; it does no I/O.
package allocation

import (
	"time"

	"github.com/naas-dev/naas/internal/cost/money"
)

// Usage sources: where the usage figures of an hour came from.
const (
	// UsagePrometheus: containers' usage came from Prometheus; CPU and memory are max(request, usage).
	UsagePrometheus = "prometheus"
	// UsageRequests: no usage was known; CPU and memory are the requests.
	UsageRequests = "requests"
)

// IdleNamespace is the name of the row that carries idle cost when the CostPolicy leaves it out of the
// namespaces' costs (as OpenCost's __idle__).
const IdleNamespace = "__idle__"

// Input is what a collector observed of one cluster during one hour (or, for the hour in progress, the part of
// it up to End). Every duration is the number of seconds the thing ran within [Start, End): Seconds helps.
type Input struct {
	// Cluster is the cluster's name; it selects the PriceBook with the node pools.
	Cluster string
	// Start is the start of the hour (UTC, on the hour).
	Start time.Time
	// End is the end of the part of the hour computed: Start+1h for a complete hour, or now for the hour in
	// progress. Zero means Start+1h.
	End time.Time
	// UsageSource is UsagePrometheus or UsageRequests; rows say which.
	UsageSource string
	// Nodes are the cluster's nodes (their capacity is what idle cost is measured against).
	Nodes []Node
	// Namespaces are the cluster's namespaces with what naas knows of them; every one gets a row, even with no
	// cost, so that a namespace created a minute ago shows up. Namespaces that only Pods, Volumes or
	// LoadBalancers name get a row without labels.
	Namespaces []Namespace
	// Pods ran during the hour.
	Pods []Pod
	// Volumes are the persistent volume claims bound during the hour.
	Volumes []Volume
	// LoadBalancers are the Services of type LoadBalancer that existed during the hour.
	LoadBalancers []LoadBalancer
}

// Node is a node's capacity and how long it ran during the hour.
type Node struct {
	Name string
	// Pool is the node's pool (label naas.dev/node-pool); it selects the PriceBook.
	Pool string
	// CPUMillicores, MemoryBytes and GPUs are the node's capacity.
	CPUMillicores, MemoryBytes, GPUs int64
	// Seconds is how long the node ran during the hour.
	Seconds int64
}

// Namespace is a namespace and what naas knows of it.
type Namespace struct {
	Name                               string
	Tenant, CostCenter, Template, Tier string
	// Labels are the namespace's labels (chargeback rules and reports select by them).
	Labels map[string]string
}

// Pod is a pod that ran during the hour.
type Pod struct {
	Namespace, Name string
	// Workload names the pod's owner (such as "Deployment/web"), for right-sizing; it does not change the cost.
	Workload string
	// Node is where it ran; its pool prices it. A pod on a node not in Input.Nodes is priced with the cluster's
	// book and not held against any node's capacity.
	Node string
	// Seconds is how long it ran during the hour (a pod that ran 20 minutes has 1200).
	Seconds    int64
	Containers []Container
}

// Container is one container's requests and its average usage while it ran.
type Container struct {
	Name string
	// CPURequestMillicores, MemoryRequestBytes and GPURequest are the container's requests.
	CPURequestMillicores, MemoryRequestBytes, GPURequest int64
	// CPUUsageMillicores and MemoryUsageBytes are the average usage while the container ran (a rate of
	// container_cpu_usage_seconds_total, an average of container_memory_working_set_bytes); nil when unknown.
	CPUUsageMillicores, MemoryUsageBytes *int64
}

// Volume is a persistent volume claim bound during the hour.
type Volume struct {
	Namespace, Name string
	StorageClass    string
	// CapacityBytes is the claim's capacity (its status, else its request).
	CapacityBytes int64
	Seconds       int64
}

// LoadBalancer is a Service of type LoadBalancer.
type LoadBalancer struct {
	Namespace, Name string
	Seconds         int64
}

// Policy is how idle capacity and shared namespaces are shared out (CostPolicySpec's idle, shared and
// sharedNamespaces).
type Policy struct {
	// Idle shares out idle capacity: None leaves it in the IdleNamespace row; Even shares it equally between
	// the namespaces with a cost this hour; Weighted in proportion to their cost (evenly when all are zero).
	Idle Split
	// SharedNamespaces are charged to no tenant; Shared shares their cost (with their share of idle) out to
	// the other namespaces: None leaves it on their rows, Even and Weighted as for Idle.
	SharedNamespaces []string
	Shared           Split
}

// Split is how a cost is shared out: SplitNone, SplitEven or SplitWeighted (the CostSplit values).
type Split string

// Splits, as CostSplit.
const (
	SplitNone     Split = "None"
	SplitEven     Split = "Even"
	SplitWeighted Split = "Weighted"
)

// RowKind says what a row is.
type RowKind string

// Row kinds.
const (
	// KindNamespace is a namespace charged to its tenant.
	KindNamespace RowKind = "namespace"
	// KindShared is a shared namespace. When its cost is shared out, its Shared component is minus its cost,
	// so its total is zero and the amount shows on the other rows.
	KindShared RowKind = "shared"
	// KindIdle is the idle capacity left out of the namespaces' costs (Namespace is IdleNamespace).
	KindIdle RowKind = "idle"
)

// Row is what one namespace cost during one hour of one cluster. The rows of an hour add up to what the
// cluster cost: the nodes' capacity (or what was allocated, if more), storage and load balancers.
type Row struct {
	Hour                               time.Time
	Cluster                            string
	Namespace                          string
	Kind                               RowKind
	Tenant, CostCenter, Template, Tier string
	Labels                             map[string]string
	// Basis is UsagePrometheus when CPU and memory are max(request, usage), UsageRequests when requests alone.
	Basis string
	// Seconds is the part of the hour the row covers (3600, or less for the hour in progress).
	Seconds int64
	// Currency is the currency of Cost.
	Currency string
	// Cost is the cost by component, in nano-units.
	Cost Components
	// Quantities is what was requested, used and allocated.
	Quantities Quantities
}

// Components is a cost by component, in nano-units of a currency.
type Components struct {
	CPU, Memory, GPU, Storage, LoadBalancer money.Amount
	// Idle is the row's share of idle capacity (or, on the IdleNamespace row, all of it).
	Idle money.Amount
	// Shared is the row's share of the shared namespaces' cost (negative on a shared namespace's row whose
	// cost was shared out).
	Shared money.Amount
}

// Direct is what the row's own workloads cost: CPU, memory, GPU, storage and load balancers.
func (c Components) Direct() money.Amount {
	return c.CPU.Add(c.Memory).Add(c.GPU).Add(c.Storage).Add(c.LoadBalancer)
}

// Total is every component added up.
func (c Components) Total() money.Amount { return c.Direct().Add(c.Idle).Add(c.Shared) }

// Plus returns c + o, component by component.
func (c Components) Plus(o Components) Components {
	return Components{
		CPU: c.CPU.Add(o.CPU), Memory: c.Memory.Add(o.Memory), GPU: c.GPU.Add(o.GPU),
		Storage: c.Storage.Add(o.Storage), LoadBalancer: c.LoadBalancer.Add(o.LoadBalancer),
		Idle: c.Idle.Add(o.Idle), Shared: c.Shared.Add(o.Shared),
	}
}

// Scale returns c × f, each component rounded half away from zero.
func (c Components) Scale(f money.Factor) Components {
	return Components{
		CPU: c.CPU.Mul(f), Memory: c.Memory.Mul(f), GPU: c.GPU.Mul(f), Storage: c.Storage.Mul(f),
		LoadBalancer: c.LoadBalancer.Mul(f), Idle: c.Idle.Mul(f), Shared: c.Shared.Mul(f),
	}
}

// Quantities are amounts of resources over time: millicore-seconds, byte-seconds, GPU-seconds,
// load-balancer-seconds. One hour of 2 cores is 7_200_000 millicore-seconds.
type Quantities struct {
	CPURequest, CPUUsage, CPUAllocated          int64
	MemoryRequest, MemoryUsage, MemoryAllocated int64
	GPU, Storage, LoadBalancers                 int64
}

// Plus returns q + o.
func (q Quantities) Plus(o Quantities) Quantities {
	return Quantities{
		CPURequest: q.CPURequest + o.CPURequest, CPUUsage: q.CPUUsage + o.CPUUsage,
		CPUAllocated: q.CPUAllocated + o.CPUAllocated, MemoryRequest: q.MemoryRequest + o.MemoryRequest,
		MemoryUsage: q.MemoryUsage + o.MemoryUsage, MemoryAllocated: q.MemoryAllocated + o.MemoryAllocated,
		GPU: q.GPU + o.GPU, Storage: q.Storage + o.Storage, LoadBalancers: q.LoadBalancers + o.LoadBalancers,
	}
}

// Result is one computed hour.
type Result struct {
	// Rows are sorted by namespace; the IdleNamespace row, if any, comes last.
	Rows []Row
	// Currency is the rows' currency.
	Currency string
	// Rates are the exchange rates that converted PriceBooks into Currency (none when no book needed one).
	Rates []money.Rate
	// Capacity is what the nodes' capacity cost (CPU, Memory, GPU), with storage and load balancers.
	Capacity Components
}

// Seconds is how many seconds of [from, to) fall within [start, end): how long something that ran from from to
// to (zero to: still running) ran during an hour.
func Seconds(start, end, from, to time.Time) int64 {
	if to.IsZero() || to.After(end) {
		to = end
	}
	if from.Before(start) {
		from = start
	}
	if !to.After(from) {
		return 0
	}
	return int64(to.Sub(from) / time.Second)
}
