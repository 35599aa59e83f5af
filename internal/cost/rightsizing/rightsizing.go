// Package rightsizing recommends requests from usage: for each workload, its requests against the 95th
// percentile of its usage over a window, the recommended requests, the monthly saving at list prices, and a
// line that explains it; for each namespace, the smallest tier whose quota fits the recommended requests. It is
// pure and deterministic: the same figures give the same words.
package rightsizing

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/cost/pricing"
)

const (
	mi = 1 << 20
	gi = 1 << 30
)

// Rule is how a request is recommended: p95 × Headroom, rounded up to a multiple of Step, and never below Floor.
type Rule struct {
	// Headroom multiplies p95 usage (1.2: 20% above it).
	Headroom money.Factor
	// CPUStepMillicores and MemoryStepBytes are what recommendations are rounded up to a multiple of.
	CPUStepMillicores, MemoryStepBytes int64
	// CPUFloorMillicores and MemoryFloorBytes are the smallest recommendations.
	CPUFloorMillicores, MemoryFloorBytes int64
}

// DefaultRule is p95 × 1.2, rounded up to 50m of CPU and 64Mi of memory, never below 50m and 64Mi.
func DefaultRule() Rule {
	return Rule{Headroom: 1_200_000_000, CPUStepMillicores: 50, MemoryStepBytes: 64 * mi, CPUFloorMillicores: 50, MemoryFloorBytes: 64 * mi}
}

// Workload is a workload's requests and usage over the window, per replica: of one container (Container set), or
// summed over its containers.
type Workload struct {
	Namespace, Name string
	// Container names the container the figures are of; empty when they add up every container.
	Container string
	// Replicas is how many pods it runs (the average over the window, at least 1); savings count each.
	Replicas int64
	// CPURequestMillicores and MemoryRequestBytes are one replica's requests.
	CPURequestMillicores, MemoryRequestBytes int64
	// CPUP95Millicores and MemoryP95Bytes are the 95th percentile of one replica's usage over the window.
	CPUP95Millicores, MemoryP95Bytes int64
}

// Resource names.
const (
	CPU    = "cpu"
	Memory = "memory"
)

// Recommendation is what to request for one resource of a workload.
type Recommendation struct {
	Resource string
	// Request, P95 and Recommended are in millicores (CPU) or bytes (memory), per replica.
	Request, P95, Recommended int64
	// MonthlySaving is (Request - Recommended) × replicas × price × 730 hours; negative when the recommendation
	// is above the request (it then costs more).
	MonthlySaving money.Amount
	// Explanation is the line a person reads, such as
	// "CPU request 2 cores, p95 usage 0.31 over 7 days: recommend 0.4; saves £41.20/month".
	Explanation string
}

// WorkloadRecommendation is the recommendations for one workload.
type WorkloadRecommendation struct {
	Namespace, Name, Container string
	Replicas                   int64
	CPU, Memory                Recommendation
	// MonthlySaving adds up CPU and memory.
	MonthlySaving money.Amount
}

// Recommend recommends requests for w by rule, priced with prices, for usage over window.
func Recommend(w Workload, rule Rule, prices *pricing.Prices, window time.Duration) WorkloadRecommendation {
	replicas := max(w.Replicas, 1)
	out := WorkloadRecommendation{Namespace: w.Namespace, Name: w.Name, Container: w.Container, Replicas: replicas}
	out.CPU = recommend(CPU, w.CPURequestMillicores, w.CPUP95Millicores, rule.Headroom, rule.CPUStepMillicores, rule.CPUFloorMillicores)
	out.Memory = recommend(Memory, w.MemoryRequestBytes, w.MemoryP95Bytes, rule.Headroom, rule.MemoryStepBytes, rule.MemoryFloorBytes)
	out.CPU.MonthlySaving = monthly(out.CPU.Request-out.CPU.Recommended, replicas, 1000, prices.CPUCoreHour)
	out.Memory.MonthlySaving = monthly(out.Memory.Request-out.Memory.Recommended, replicas, gi, prices.MemoryGiBHour)
	out.MonthlySaving = out.CPU.MonthlySaving.Add(out.Memory.MonthlySaving)
	out.CPU.Explanation = explain(out.CPU, window, prices.Currency)
	out.Memory.Explanation = explain(out.Memory, window, prices.Currency)
	return out
}

// recommend is ceil(p95 × headroom / step) × step, and at least floor.
func recommend(resource string, request, p95 int64, headroom money.Factor, step, floor int64) Recommendation {
	scaled := ceilDiv(money.MulDiv(p95, int64(headroom), 1, 1), money.Scale) // p95 × headroom, rounded up
	rec := max(ceilDiv(scaled, step)*step, floor)
	return Recommendation{Resource: resource, Request: request, P95: p95, Recommended: rec}
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// monthly is delta (in units of unit) × replicas × price per unit-hour × 730 hours.
func monthly(delta, replicas, unit int64, price money.Amount) money.Amount {
	neg := delta < 0
	if neg {
		delta = -delta
	}
	v := money.Amount(money.MulDiv(delta*replicas, int64(price), pricing.HoursPerMonth, unit))
	if neg {
		return -v
	}
	return v
}

// explain writes the recommendation's line.
func explain(r Recommendation, window time.Duration, currency string) string {
	name, q := "CPU", cores
	if r.Resource == Memory {
		name, q = "Memory", bytes
	}
	verdict := "no change"
	switch {
	case r.MonthlySaving > 0:
		verdict = "saves " + money.Format(r.MonthlySaving, currency) + "/month"
	case r.MonthlySaving < 0:
		verdict = "costs " + money.Format(-r.MonthlySaving, currency) + "/month more"
	}
	request := q(r.Request, true)
	if r.Request == 0 {
		request = "none"
	}
	return fmt.Sprintf("%s request %s, p95 usage %s over %s: recommend %s; %s", name, request, q(r.P95, false), span(window), q(r.Recommended, false), verdict)
}

// cores writes millicores as cores with at most three decimals: "2 cores" (with unit), "0.31", "0.5".
func cores(m int64, unit bool) string {
	s := strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%d.%03d", m/1000, m%1000), "0"), ".")
	if unit {
		if s == "1" {
			return "1 core"
		}
		return s + " cores"
	}
	return s
}

// bytes writes a memory size in Gi when whole, else in Mi (rounded up).
func bytes(b int64, _ bool) string {
	if b > 0 && b%gi == 0 {
		return strconv.FormatInt(b/gi, 10) + "Gi"
	}
	return strconv.FormatInt(ceilDiv(b, mi), 10) + "Mi"
}

// span writes a window as "7 days" or "36 hours".
func span(d time.Duration) string {
	h := int64(d / time.Hour)
	switch {
	case h%24 == 0 && h/24 == 1:
		return "1 day"
	case h%24 == 0 && h > 0:
		return strconv.FormatInt(h/24, 10) + " days"
	case h == 1:
		return "1 hour"
	default:
		return strconv.FormatInt(h, 10) + " hours"
	}
}

// Tier recommends the smallest tier whose quota fits cpu millicores and memory bytes of requests (a
// namespace's recommended requests, all workloads and replicas): its requests.cpu and requests.memory (else
// limits.cpu and limits.memory) are at least as much. Tiers without either are not considered. "Smallest" is by
// CPU, then memory, then name. It returns "" when no tier fits.
func Tier(tiers []naasv1alpha1.Tier, cpu, memory int64) string {
	type fit struct {
		name        string
		cpu, memory int64
	}
	var fits []fit
	for _, t := range tiers {
		c, okc := quota(t.Spec.Quota, corev1.ResourceRequestsCPU, corev1.ResourceLimitsCPU)
		m, okm := quota(t.Spec.Quota, corev1.ResourceRequestsMemory, corev1.ResourceLimitsMemory)
		if !okc || !okm {
			continue
		}
		cm, mb := c.MilliValue(), m.Value()
		if cm >= cpu && mb >= memory {
			fits = append(fits, fit{t.Name, cm, mb})
		}
	}
	if len(fits) == 0 {
		return ""
	}
	sort.Slice(fits, func(i, j int) bool {
		if fits[i].cpu != fits[j].cpu {
			return fits[i].cpu < fits[j].cpu
		}
		if fits[i].memory != fits[j].memory {
			return fits[i].memory < fits[j].memory
		}
		return fits[i].name < fits[j].name
	})
	return fits[0].name
}

func quota(q corev1.ResourceList, names ...corev1.ResourceName) (resource.Quantity, bool) {
	for _, n := range names {
		if v, ok := q[n]; ok {
			return v, true
		}
	}
	return resource.Quantity{}, false
}

// NamespaceRecommendation is the recommendations of a namespace's workloads, and the tier they fit.
type NamespaceRecommendation struct {
	Namespace string
	Workloads []WorkloadRecommendation
	// CPUMillicores and MemoryBytes are the recommended requests of all workloads and replicas.
	CPUMillicores, MemoryBytes int64
	// CurrentTier is the namespace's tier; Tier the smallest that fits (empty when none does).
	CurrentTier, Tier string
	// MonthlySaving adds up the workloads' savings (tier prices aside: a tier is a quota, not a price).
	MonthlySaving money.Amount
}

// ForNamespace adds up the recommendations of one namespace's workloads (sorted by name, then container) and
// picks its tier.
func ForNamespace(namespace, currentTier string, workloads []WorkloadRecommendation, tiers []naasv1alpha1.Tier) NamespaceRecommendation {
	ws := append([]WorkloadRecommendation(nil), workloads...)
	sort.Slice(ws, func(i, j int) bool {
		if ws[i].Name != ws[j].Name {
			return ws[i].Name < ws[j].Name
		}
		return ws[i].Container < ws[j].Container
	})
	out := NamespaceRecommendation{Namespace: namespace, Workloads: ws, CurrentTier: currentTier}
	for _, w := range ws {
		out.CPUMillicores += w.CPU.Recommended * w.Replicas
		out.MemoryBytes += w.Memory.Recommended * w.Replicas
		out.MonthlySaving = out.MonthlySaving.Add(w.MonthlySaving)
	}
	out.Tier = Tier(tiers, out.CPUMillicores, out.MemoryBytes)
	return out
}
