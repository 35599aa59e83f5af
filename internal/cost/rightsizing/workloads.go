package rightsizing

import (
	"regexp"
	"sort"
)

// Workload kinds whose pods right-sizing recognises by name.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindDaemonSet   = "DaemonSet"
)

// Spec is a workload as its object declares it: its kind, name, replicas and each container's requests.
type Spec struct {
	Kind, Name string
	// Replicas is how many pods it asks for (a DaemonSet: how many nodes it runs on).
	Replicas   int64
	Containers []ContainerRequests
}

// ContainerRequests is one container's requests in a workload's pod template.
type ContainerRequests struct {
	Name                       string
	CPUMillicores, MemoryBytes int64
}

// PodUsage is the 95th percentile of one container of one pod over the window.
type PodUsage struct {
	Pod, Container             string
	CPUMillicores, MemoryBytes int64
}

// Pod names, by how each kind names its pods: a Deployment's ReplicaSet adds the pod template hash and a random
// suffix, a StatefulSet the ordinal, a DaemonSet a random suffix. Both hash and suffix are lower-case
// alphanumerics without dashes, so "web-api-7c9d8-x2x4z" is web-api's pod, not web's.
var podSuffix = map[string]*regexp.Regexp{
	KindDeployment:  regexp.MustCompile(`^-[a-z0-9]{1,10}-[a-z0-9]{5}$`),
	KindStatefulSet: regexp.MustCompile(`^-[0-9]+$`),
	KindDaemonSet:   regexp.MustCompile(`^-[a-z0-9]{5}$`),
}

// owner returns the index of the spec whose pods are named like pod, or -1. Usage over a window includes pods
// that no longer exist, so pods are matched by name rather than by owner reference; the longest name wins when
// two could be.
func owner(specs []Spec, pod string) int {
	best := -1
	for i, s := range specs {
		re := podSuffix[s.Kind]
		if re == nil || len(pod) <= len(s.Name) || pod[:len(s.Name)] != s.Name || !re.MatchString(pod[len(s.Name):]) {
			continue
		}
		if best < 0 || len(s.Name) > len(specs[best].Name) {
			best = i
		}
	}
	return best
}

// Workloads pairs each container of each spec with its usage: the largest p95 of that container over the pods
// the workload ran during the window (a replica is sized for the busiest). A container no pod reported usage for
// is left out: there is nothing to size it by. Usage of pods no spec names (bare pods, jobs) is ignored. The
// result is sorted by workload ("Kind/name") and container.
func Workloads(namespace string, specs []Spec, usage []PodUsage) []Workload {
	type key struct {
		spec      int
		container string
	}
	p95 := map[key]PodUsage{}
	for _, u := range usage {
		i := owner(specs, u.Pod)
		if i < 0 {
			continue
		}
		k := key{i, u.Container}
		have, seen := p95[k]
		if !seen {
			p95[k] = u
			continue
		}
		have.CPUMillicores = max(have.CPUMillicores, u.CPUMillicores)
		have.MemoryBytes = max(have.MemoryBytes, u.MemoryBytes)
		p95[k] = have
	}
	var out []Workload
	for i, s := range specs {
		for _, c := range s.Containers {
			u, ok := p95[key{i, c.Name}]
			if !ok {
				continue
			}
			out = append(out, Workload{
				Namespace: namespace, Name: s.Kind + "/" + s.Name, Container: c.Name, Replicas: max(s.Replicas, 1),
				CPURequestMillicores: c.CPUMillicores, MemoryRequestBytes: c.MemoryBytes,
				CPUP95Millicores: u.CPUMillicores, MemoryP95Bytes: u.MemoryBytes,
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Container < out[j].Container
	})
	return out
}
