package rightsizing

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWorkloads_MatchPodsByNameAndTakeTheBusiestReplica(t *testing.T) {
	specs := []Spec{
		{Kind: KindDeployment, Name: "web", Replicas: 3, Containers: []ContainerRequests{{Name: "app", CPUMillicores: 2000, MemoryBytes: 4 * gi}, {Name: "proxy", CPUMillicores: 100, MemoryBytes: 64 * mi}}},
		{Kind: KindDeployment, Name: "web-api", Replicas: 1, Containers: []ContainerRequests{{Name: "app", CPUMillicores: 500, MemoryBytes: gi}}},
		{Kind: KindStatefulSet, Name: "db", Replicas: 2, Containers: []ContainerRequests{{Name: "pg", CPUMillicores: 1000, MemoryBytes: 2 * gi}}},
		{Kind: KindDaemonSet, Name: "agent", Replicas: 0, Containers: []ContainerRequests{{Name: "agent", CPUMillicores: 50, MemoryBytes: 64 * mi}}},
		{Kind: KindDeployment, Name: "idle", Replicas: 1, Containers: []ContainerRequests{{Name: "app", CPUMillicores: 100, MemoryBytes: 64 * mi}}},
	}
	usage := []PodUsage{
		// web: two replicas now, one gone since (another ReplicaSet hash); the busiest per resource counts.
		{Pod: "web-5d4f8c7b9-abcde", Container: "app", CPUMillicores: 310, MemoryBytes: 500 * mi},
		{Pod: "web-5d4f8c7b9-fghij", Container: "app", CPUMillicores: 200, MemoryBytes: 700 * mi},
		{Pod: "web-6c8d9f-klmno", Container: "app", CPUMillicores: 280, MemoryBytes: 600 * mi},
		// web-api's pod is not web's, though both names start with "web-".
		{Pod: "web-api-7c9d8-x2x4z", Container: "app", CPUMillicores: 90, MemoryBytes: 100 * mi},
		{Pod: "db-0", Container: "pg", CPUMillicores: 400, MemoryBytes: gi},
		{Pod: "db-1", Container: "pg", CPUMillicores: 600, MemoryBytes: 900 * mi},
		{Pod: "agent-q7w8e", Container: "agent", CPUMillicores: 10, MemoryBytes: 30 * mi},
		// Neither a bare pod nor a pod of a workload not listed is anyone's.
		{Pod: "debug", Container: "sh", CPUMillicores: 1000},
		{Pod: "job-x-12345", Container: "run", CPUMillicores: 1000},
		// A StatefulSet's ordinal is digits: "db-main" is not db's.
		{Pod: "db-main", Container: "pg", CPUMillicores: 5000},
	}
	got := Workloads("shop", specs, usage)
	want := []Workload{
		{Namespace: "shop", Name: "DaemonSet/agent", Container: "agent", Replicas: 1, CPURequestMillicores: 50, MemoryRequestBytes: 64 * mi, CPUP95Millicores: 10, MemoryP95Bytes: 30 * mi},
		{Namespace: "shop", Name: "Deployment/web", Container: "app", Replicas: 3, CPURequestMillicores: 2000, MemoryRequestBytes: 4 * gi, CPUP95Millicores: 310, MemoryP95Bytes: 700 * mi},
		{Namespace: "shop", Name: "Deployment/web-api", Container: "app", Replicas: 1, CPURequestMillicores: 500, MemoryRequestBytes: gi, CPUP95Millicores: 90, MemoryP95Bytes: 100 * mi},
		{Namespace: "shop", Name: "StatefulSet/db", Container: "pg", Replicas: 2, CPURequestMillicores: 1000, MemoryRequestBytes: 2 * gi, CPUP95Millicores: 600, MemoryP95Bytes: gi},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Workloads (-want +got):\n%s", diff)
	}
}
