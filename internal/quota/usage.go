package quota

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	resourcehelper "k8s.io/component-helpers/resource"
)

// podResourceOptions are those of the ResourceQuota pod evaluator in Kubernetes 1.36: in-place resize is GA,
// so a pod is charged the larger of what its spec asks and what it was given, and pod-level resources count.
var podResourceOptions = resourcehelper.PodResourcesOptions{UseStatusResources: true}

// one is the quantity 1, for object counts.
func one() resource.Quantity { return *resource.NewQuantity(1, resource.DecimalSI) }

// Charged reports whether a pod counts against compute quota at now: a pod in a terminal phase does not, nor
// does one whose deletion grace period has passed (its node may be gone), as in Kubernetes' quota.
func Charged(pod *corev1.Pod, now time.Time) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil {
		grace := time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
		if now.After(pod.DeletionTimestamp.Add(grace)) {
			return false
		}
	}
	return true
}

// PodUsage is what a pod charges: count/pods always, and while Charged, pods and its effective requests and
// limits (the larger of the sum of its containers and sidecars and its largest init container, plus the pod
// overhead; or its pod-level resources), named as in a ResourceQuota.
func PodUsage(pod *corev1.Pod, now time.Time) corev1.ResourceList {
	out := corev1.ResourceList{"count/pods": one()}
	if !Charged(pod, now) {
		return out
	}
	out[corev1.ResourcePods] = one()
	requests := resourcehelper.PodRequests(pod, podResourceOptions)
	limits := resourcehelper.PodLimits(pod, podResourceOptions)
	for _, r := range []struct{ name, request, limit corev1.ResourceName }{
		{corev1.ResourceCPU, corev1.ResourceRequestsCPU, corev1.ResourceLimitsCPU},
		{corev1.ResourceMemory, corev1.ResourceRequestsMemory, corev1.ResourceLimitsMemory},
		{corev1.ResourceEphemeralStorage, corev1.ResourceRequestsEphemeralStorage, corev1.ResourceLimitsEphemeralStorage},
	} {
		if q, ok := requests[r.name]; ok {
			out[r.name] = q
			out[r.request] = q
		}
		if q, ok := limits[r.name]; ok {
			out[r.limit] = q
		}
	}
	for name, q := range requests {
		s := string(name)
		if strings.HasPrefix(s, hugePagesPrefix) {
			out[name] = q
			out[corev1.ResourceName(requestsPrefix+s)] = q
		}
		if isExtended(s) {
			// Extended resources cannot be overcommitted, so quota names only their requests.
			out[corev1.ResourceName(requestsPrefix+s)] = q
		}
	}
	return out
}

// PVCUsage is what a persistent volume claim charges: the claim count and its storage (the larger of the
// request and what was allocated, rounded up to whole bytes), also per storage class when it names one.
func PVCUsage(pvc *corev1.PersistentVolumeClaim) corev1.ResourceList {
	out := corev1.ResourceList{
		corev1.ResourcePersistentVolumeClaims: one(),
		"count/persistentvolumeclaims":        one(),
	}
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	} else if c, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		class = c
	}
	if class != "" {
		out[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourcePersistentVolumeClaims))] = one()
	}
	req, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		return out
	}
	storage := req.DeepCopy()
	if alloc, ok := pvc.Status.AllocatedResources[corev1.ResourceStorage]; ok && alloc.Cmp(storage) > 0 {
		storage = alloc.DeepCopy()
	}
	storage.RoundUp(0)
	out[corev1.ResourceRequestsStorage] = storage
	if class != "" {
		out[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourceRequestsStorage))] = storage
	}
	return out
}

// ServiceUsage is what a service charges: the service count, one load balancer for type LoadBalancer, and the
// node ports it allocates (every port of a NodePort service, and of a LoadBalancer that allocates node ports).
func ServiceUsage(svc *corev1.Service) corev1.ResourceList {
	out := corev1.ResourceList{
		corev1.ResourceServices:              one(),
		"count/services":                     one(),
		corev1.ResourceServicesLoadBalancers: *resource.NewQuantity(0, resource.DecimalSI),
		corev1.ResourceServicesNodePorts:     *resource.NewQuantity(0, resource.DecimalSI),
	}
	ports := int64(len(svc.Spec.Ports))
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		out[corev1.ResourceServicesNodePorts] = *resource.NewQuantity(ports, resource.DecimalSI)
	case corev1.ServiceTypeLoadBalancer:
		out[corev1.ResourceServicesLoadBalancers] = one()
		if svc.Spec.AllocateLoadBalancerNodePorts != nil && !*svc.Spec.AllocateLoadBalancerNodePorts {
			ports = 0
			for _, p := range svc.Spec.Ports {
				if p.NodePort != 0 {
					ports++
				}
			}
		}
		out[corev1.ResourceServicesNodePorts] = *resource.NewQuantity(ports, resource.DecimalSI)
	}
	return out
}

// Usage is what obj charges: a *corev1.Pod, *corev1.PersistentVolumeClaim or *corev1.Service.
func Usage(obj runtime.Object, now time.Time) (corev1.ResourceList, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return PodUsage(o, now), nil
	case *corev1.PersistentVolumeClaim:
		return PVCUsage(o), nil
	case *corev1.Service:
		return ServiceUsage(o), nil
	default:
		return nil, fmt.Errorf("tenant quota does not charge %T", obj)
	}
}

// Mask returns the part of list whose names hard caps.
func Mask(list, hard corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for name, q := range list {
		if _, ok := hard[name]; ok {
			out[name] = q.DeepCopy()
		}
	}
	return out
}

// Add returns a + b.
func Add(a, b corev1.ResourceList) corev1.ResourceList {
	out := a.DeepCopy()
	if out == nil {
		out = corev1.ResourceList{}
	}
	for name, q := range b {
		sum := out[name]
		sum.Add(q)
		out[name] = sum
	}
	return out
}

// Increase returns how much greater next is than prev, per resource, keeping only increases: what an update
// from prev to next must reserve.
func Increase(prev, next corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for name, q := range next {
		d := q.DeepCopy()
		if p, ok := prev[name]; ok {
			d.Sub(p)
		}
		if d.Sign() > 0 {
			out[name] = d
		}
	}
	return out
}

// IsZero reports whether every quantity of list is zero.
func IsZero(list corev1.ResourceList) bool {
	for _, q := range list {
		if !q.IsZero() {
			return false
		}
	}
	return true
}

// Covers reports whether have is at least want for every resource of want.
func Covers(have, want corev1.ResourceList) bool {
	for name, w := range want {
		h, ok := have[name]
		if w.Sign() > 0 && (!ok || h.Cmp(w) < 0) {
			return false
		}
	}
	return true
}
