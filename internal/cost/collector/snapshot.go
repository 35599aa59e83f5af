package collector

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/allocation"
)

// Snapshot is what a cluster holds now: the raw objects an hour is computed from.
type Snapshot struct {
	Nodes      []corev1.Node
	Namespaces []corev1.Namespace
	Pods       []corev1.Pod
	Claims     []corev1.PersistentVolumeClaim
	Services   []corev1.Service
}

// TakeSnapshot lists what an hour is computed from, through r (a direct reader: naas does not cache pods).
func TakeSnapshot(ctx context.Context, r client.Reader) (*Snapshot, error) {
	s := &Snapshot{}
	var (
		nodes    corev1.NodeList
		nss      corev1.NamespaceList
		pods     corev1.PodList
		pvcs     corev1.PersistentVolumeClaimList
		services corev1.ServiceList
	)
	for _, l := range []struct {
		what string
		list client.ObjectList
	}{{"nodes", &nodes}, {"namespaces", &nss}, {"pods", &pods}, {"persistent volume claims", &pvcs}, {"services", &services}} {
		if err := r.List(ctx, l.list); err != nil {
			return nil, fmt.Errorf("list %s: %w", l.what, err)
		}
	}
	s.Nodes, s.Namespaces, s.Pods, s.Claims, s.Services = nodes.Items, nss.Items, pods.Items, pvcs.Items, services.Items
	return s, nil
}

// Labels are what naas knows of a namespace beyond the cluster: its tenant's cost center.
type Labels struct {
	// CostCenters maps a tenant to its cost center.
	CostCenters map[string]string
}

// ContainerKey names a container of a pod.
type ContainerKey struct{ Namespace, Pod, Container string }

// ContainerUsage is a container's average usage over an hour.
type ContainerUsage struct {
	CPUMillicores, MemoryBytes int64
}

// Input turns the snapshot into the model's input for [start, end) of cluster. usage is nil without Prometheus.
func (s *Snapshot) Input(cluster string, start, end time.Time, l Labels, usage map[ContainerKey]ContainerUsage) allocation.Input {
	in := allocation.Input{Cluster: cluster, Start: start, End: end, UsageSource: allocation.UsageRequests}
	if usage != nil {
		in.UsageSource = allocation.UsagePrometheus
	}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		secs := allocation.Seconds(start, end, n.CreationTimestamp.Time, deleted(n.DeletionTimestamp))
		if secs == 0 {
			continue
		}
		c := n.Status.Capacity
		in.Nodes = append(in.Nodes, allocation.Node{
			Name: n.Name, Pool: n.Labels[naasv1alpha1.NodePoolLabel], Seconds: secs,
			CPUMillicores: c.Cpu().MilliValue(), MemoryBytes: c.Memory().Value(), GPUs: gpus(c),
		})
	}
	for i := range s.Namespaces {
		ns := &s.Namespaces[i]
		if !ns.CreationTimestamp.Before(&metav1.Time{Time: end}) {
			continue // Made after the span: a back-filled hour does not list it.
		}
		tenant := ns.Labels[naasv1alpha1.LabelTenant]
		in.Namespaces = append(in.Namespaces, allocation.Namespace{
			Name: ns.Name, Tenant: tenant, CostCenter: l.CostCenters[tenant],
			Template: ns.Labels[naasv1alpha1.LabelTemplate], Tier: ns.Labels[naasv1alpha1.LabelTier], Labels: ns.Labels,
		})
	}
	for i := range s.Pods {
		p := &s.Pods[i]
		from, to, ok := ran(p)
		if !ok {
			continue
		}
		secs := allocation.Seconds(start, end, from, to)
		if secs == 0 {
			continue
		}
		pod := allocation.Pod{Namespace: p.Namespace, Name: p.Name, Workload: workload(p), Node: p.Spec.NodeName, Seconds: secs}
		for _, c := range p.Spec.Containers {
			r := c.Resources.Requests
			ct := allocation.Container{
				Name: c.Name, CPURequestMillicores: r.Cpu().MilliValue(), MemoryRequestBytes: r.Memory().Value(), GPURequest: gpus(r),
			}
			if u, ok := usage[ContainerKey{p.Namespace, p.Name, c.Name}]; ok {
				ct.CPUUsageMillicores, ct.MemoryUsageBytes = &u.CPUMillicores, &u.MemoryBytes
			}
			pod.Containers = append(pod.Containers, ct)
		}
		in.Pods = append(in.Pods, pod)
	}
	for i := range s.Claims {
		c := &s.Claims[i]
		if c.Status.Phase != corev1.ClaimBound {
			continue
		}
		secs := allocation.Seconds(start, end, c.CreationTimestamp.Time, deleted(c.DeletionTimestamp))
		if secs == 0 {
			continue
		}
		capacity := c.Status.Capacity.Storage()
		if capacity.IsZero() {
			capacity = c.Spec.Resources.Requests.Storage()
		}
		class := ""
		if c.Spec.StorageClassName != nil {
			class = *c.Spec.StorageClassName
		}
		in.Volumes = append(in.Volumes, allocation.Volume{Namespace: c.Namespace, Name: c.Name, StorageClass: class, CapacityBytes: capacity.Value(), Seconds: secs})
	}
	for i := range s.Services {
		svc := &s.Services[i]
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		if secs := allocation.Seconds(start, end, svc.CreationTimestamp.Time, deleted(svc.DeletionTimestamp)); secs > 0 {
			in.LoadBalancers = append(in.LoadBalancers, allocation.LoadBalancer{Namespace: svc.Namespace, Name: svc.Name, Seconds: secs})
		}
	}
	return in
}

// ran returns when a pod ran: from its start (once scheduled and started) to when its containers finished or it
// was deleted; zero to while it still runs. A pod never scheduled or started did not run.
func ran(p *corev1.Pod) (from, to time.Time, ok bool) {
	if p.Spec.NodeName == "" || p.Status.StartTime == nil {
		return time.Time{}, time.Time{}, false
	}
	from = p.Status.StartTime.Time
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && t.FinishedAt.After(to) {
				to = t.FinishedAt.Time
			}
		}
		if to.IsZero() {
			to = from // Finished, but no container says when: count nothing rather than forever.
		}
	}
	if p.DeletionTimestamp != nil && (to.IsZero() || p.DeletionTimestamp.Before(&metav1.Time{Time: to})) {
		to = p.DeletionTimestamp.Time
	}
	return from, to, true
}

func deleted(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

// gpuResource is the extended resource of NVIDIA GPUs, the one the OpenCost specification prices.
const gpuResource corev1.ResourceName = "nvidia.com/gpu"

func gpus(l corev1.ResourceList) int64 {
	if q, ok := l[gpuResource]; ok {
		return q.Value()
	}
	return 0
}

// workload names a pod's controller: a ReplicaSet's name stands for its Deployment, less its hash suffix.
func workload(p *corev1.Pod) string {
	ref := metav1.GetControllerOf(p)
	if ref == nil {
		return "Pod/" + p.Name
	}
	if ref.Kind == "ReplicaSet" {
		if h := p.Labels["pod-template-hash"]; h != "" && len(ref.Name) > len(h)+1 && ref.Name[len(ref.Name)-len(h)-1:] == "-"+h {
			return "Deployment/" + ref.Name[:len(ref.Name)-len(h)-1]
		}
	}
	return ref.Kind + "/" + ref.Name
}
