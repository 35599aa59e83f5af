package allocation

import (
	"fmt"
	"time"
)

// Synthetic is an hour (starting at start) of n namespaces, for benchmarks: in each, two pods of two containers,
// a 10 GiB PVC and, in every tenth, a load balancer; on n/20 nodes of 16 cores and 64 GiB; usage from
// Prometheus. Namespace ns-00042 belongs to tenant t-042 (of 300), tier dev.
func Synthetic(n int, start time.Time) Input {
	in := Input{Cluster: "c1", Start: start, UsageSource: UsagePrometheus}
	for i := range max(n/20, 1) {
		in.Nodes = append(in.Nodes, Node{Name: fmt.Sprintf("node-%04d", i), CPUMillicores: 16000, MemoryBytes: 64 * bytesPerGiB, Seconds: 3600})
	}
	for i := range n {
		ns := fmt.Sprintf("ns-%05d", i)
		in.Namespaces = append(in.Namespaces, Namespace{Name: ns, Tenant: fmt.Sprintf("t-%03d", i%300), Tier: "dev", Labels: map[string]string{"team": "x"}})
		for p := range 2 {
			in.Pods = append(in.Pods, Pod{Namespace: ns, Name: fmt.Sprintf("p%d", p), Node: in.Nodes[i%len(in.Nodes)].Name, Seconds: 3600,
				Containers: []Container{
					{CPURequestMillicores: 250, MemoryRequestBytes: 256 << 20, CPUUsageMillicores: ptrTo(int64(100 + i%300)), MemoryUsageBytes: ptrTo(200 << 20)},
					{CPURequestMillicores: 50, MemoryRequestBytes: 64 << 20},
				}})
		}
		in.Volumes = append(in.Volumes, Volume{Namespace: ns, Name: "data", CapacityBytes: 10 * bytesPerGiB, Seconds: 3600})
		if i%10 == 0 {
			in.LoadBalancers = append(in.LoadBalancers, LoadBalancer{Namespace: ns, Name: "web", Seconds: 3600})
		}
	}
	return in
}

func ptrTo(v int64) *int64 { return &v }
