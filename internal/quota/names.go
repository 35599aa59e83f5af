package quota

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Kind is a kind of object that tenant quota charges.
type Kind string

// Kinds charged by tenant quota, named as their API resources.
const (
	KindPods     Kind = "pods"
	KindPVCs     Kind = "persistentvolumeclaims"
	KindServices Kind = "services"
)

const (
	storageClassSuffix = ".storageclass.storage.k8s.io/"
	requestsPrefix     = "requests."
	limitsPrefix       = "limits."
	hugePagesPrefix    = "hugepages-"
)

// fixed maps every fixed resource name tenant quota supports to the kind that charges it.
var fixed = map[corev1.ResourceName]Kind{
	corev1.ResourcePods:                     KindPods,
	"count/pods":                            KindPods,
	corev1.ResourceCPU:                      KindPods,
	corev1.ResourceMemory:                   KindPods,
	corev1.ResourceEphemeralStorage:         KindPods,
	corev1.ResourceRequestsCPU:              KindPods,
	corev1.ResourceRequestsMemory:           KindPods,
	corev1.ResourceRequestsEphemeralStorage: KindPods,
	corev1.ResourceLimitsCPU:                KindPods,
	corev1.ResourceLimitsMemory:             KindPods,
	corev1.ResourceLimitsEphemeralStorage:   KindPods,

	corev1.ResourcePersistentVolumeClaims: KindPVCs,
	"count/persistentvolumeclaims":        KindPVCs,
	corev1.ResourceRequestsStorage:        KindPVCs,

	corev1.ResourceServices:              KindServices,
	"count/services":                     KindServices,
	corev1.ResourceServicesLoadBalancers: KindServices,
	corev1.ResourceServicesNodePorts:     KindServices,
}

// KindOf returns the kind of object that charges the resource name, and false for names tenant quota does not
// support. Besides the fixed names (pods, requests.cpu, requests.storage, services.loadbalancers, ...) it
// accepts extended resources as requests.<domain>/<name> (GPUs: requests.nvidia.com/gpu), huge pages, and
// storage per storage class (<class>.storageclass.storage.k8s.io/requests.storage or /persistentvolumeclaims).
func KindOf(name corev1.ResourceName) (Kind, bool) {
	if k, ok := fixed[name]; ok {
		return k, true
	}
	s := string(name)
	switch {
	case strings.HasPrefix(s, hugePagesPrefix), strings.HasPrefix(s, requestsPrefix+hugePagesPrefix):
		return KindPods, true
	case strings.HasPrefix(s, requestsPrefix) && isExtended(strings.TrimPrefix(s, requestsPrefix)):
		return KindPods, true
	}
	if class, res, ok := strings.Cut(s, storageClassSuffix); ok && class != "" &&
		(res == string(corev1.ResourceRequestsStorage) || res == string(corev1.ResourcePersistentVolumeClaims)) {
		return KindPVCs, true
	}
	return "", false
}

// isExtended reports whether name is an extended resource: domain-qualified outside kubernetes.io.
func isExtended(name string) bool {
	domain, _, qualified := strings.Cut(name, "/")
	return qualified && domain != "" && !strings.HasSuffix(domain, "kubernetes.io")
}

// Kinds returns the kinds of objects that charge the resources of hard, sorted.
func Kinds(hard corev1.ResourceList) []Kind {
	seen := map[Kind]bool{}
	for name := range hard {
		if k, ok := KindOf(name); ok {
			seen[k] = true
		}
	}
	out := make([]Kind, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ValidateHard checks a Tenant's spec.quota: every resource name must be one tenant quota enforces, and no
// amount may be negative.
func ValidateHard(hard corev1.ResourceList, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := make([]string, 0, len(hard))
	for name := range hard {
		names = append(names, string(name))
	}
	sort.Strings(names)
	for _, n := range names {
		name := corev1.ResourceName(n)
		q := hard[name]
		if _, ok := KindOf(name); !ok {
			errs = append(errs, field.NotSupported(path.Key(n), n, supportedExamples()).
				WithOrigin("tenantQuotaResource"))
			continue
		}
		if q.Sign() < 0 {
			errs = append(errs, field.Invalid(path.Key(n), q.String(), "must not be negative"))
		}
	}
	return errs
}

// supportedExamples lists the resource names tenant quota takes, for error messages.
func supportedExamples() []string {
	out := make([]string, 0, len(fixed)+3)
	for name := range fixed {
		out = append(out, string(name))
	}
	sort.Strings(out)
	return append(out,
		"requests.<domain>/<extended resource> (e.g. requests.nvidia.com/gpu)",
		"requests.hugepages-<size>",
		"<storage class>"+storageClassSuffix+"requests.storage or persistentvolumeclaims")
}

// describe formats resources as "requests.cpu=500m, pods=1", sorted by name.
func describe(list corev1.ResourceList) string {
	names := make([]string, 0, len(list))
	for name := range list {
		names = append(names, string(name))
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		q := list[corev1.ResourceName(n)]
		parts = append(parts, fmt.Sprintf("%s=%s", n, q.String()))
	}
	return strings.Join(parts, ", ")
}
