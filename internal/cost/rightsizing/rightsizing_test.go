package rightsizing

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/cost/pricing"
)

// Prices in GBP: a core-hour 0.04, a GiB-hour 0.005.
var gbp = &pricing.Prices{Book: "default", Currency: "GBP", CPUCoreHour: 40_000_000, MemoryGiBHour: 5_000_000}

const week = 7 * 24 * time.Hour

func TestRecommend_HandWorked(t *testing.T) {
	for _, tc := range []struct {
		name     string
		w        Workload
		cpu, mem string
		cpuRec   int64
		memRec   int64
		saving   money.Amount
	}{{
		// CPU: 0.31 × 1.2 = 0.372 → up to 50m: 0.4. Saves (2 - 0.4) × 3 replicas × 0.04 × 730 = £140.16.
		// Memory: 700Mi × 1.2 = 840Mi → up to 64Mi: 896Mi. Saves (4096 - 896)/1024 GiB × 3 × 0.005 × 730
		// = 3.125 × 10.95 = £34.21875 → £34.22.
		name:   "over-requested",
		w:      Workload{Namespace: "a", Name: "Deployment/web", Replicas: 3, CPURequestMillicores: 2000, MemoryRequestBytes: 4 * gi, CPUP95Millicores: 310, MemoryP95Bytes: 700 * mi},
		cpu:    "CPU request 2 cores, p95 usage 0.31 over 7 days: recommend 0.4; saves £140.16/month",
		mem:    "Memory request 4Gi, p95 usage 700Mi over 7 days: recommend 896Mi; saves £34.22/month",
		cpuRec: 400, memRec: 896 * mi, saving: 140_160_000_000 + 34_218_750_000,
	}, {
		// CPU: 0.5 × 1.2 = 0.6 above the 0.1 request: costs (0.6 - 0.1) × 0.04 × 730 = £14.60 more.
		// Memory: nothing used: the 64Mi floor; saves (128 - 64)/1024 × 0.005 × 730 = £0.228125 → £0.23.
		name:   "under-requested, idle memory",
		w:      Workload{Namespace: "a", Name: "Deployment/worker", Replicas: 1, CPURequestMillicores: 100, MemoryRequestBytes: 128 * mi, CPUP95Millicores: 500},
		cpu:    "CPU request 0.1 cores, p95 usage 0.5 over 7 days: recommend 0.6; costs £14.60/month more",
		mem:    "Memory request 128Mi, p95 usage 0Mi over 7 days: recommend 64Mi; saves £0.23/month",
		cpuRec: 600, memRec: 64 * mi, saving: -14_600_000_000 + 228_125_000,
	}, {
		// Right-sized already: 250m × 1.2 = 300m, the request; 853Mi × 1.2 = 1023.6Mi, up to 64Mi: 1024Mi, the request.
		name:   "right-sized",
		w:      Workload{Namespace: "a", Name: "StatefulSet/db", Replicas: 0, CPURequestMillicores: 300, MemoryRequestBytes: gi, CPUP95Millicores: 250, MemoryP95Bytes: 853 * mi},
		cpu:    "CPU request 0.3 cores, p95 usage 0.25 over 7 days: recommend 0.3; no change",
		mem:    "Memory request 1Gi, p95 usage 853Mi over 7 days: recommend 1Gi; no change",
		cpuRec: 300, memRec: gi, saving: 0,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := Recommend(tc.w, DefaultRule(), gbp, week)
			got := []any{r.CPU.Explanation, r.Memory.Explanation, r.CPU.Recommended, r.Memory.Recommended, r.MonthlySaving}
			want := []any{tc.cpu, tc.mem, tc.cpuRec, tc.memRec, tc.saving}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("recommendation (-want +got):\n%s", diff)
			}
		})
	}
}

// The issue's example line, with a rule of its shape (p95 × 1.5 up to 250m): 0.31 × 1.5 = 0.465 → 0.5; saves
// (2 - 0.5) × 0.04 × 730 = £43.80 at our prices (the issue's £41.20 implies £0.037626 per core-hour).
func TestRecommend_TheIssuesLine(t *testing.T) {
	rule := Rule{Headroom: 1_500_000_000, CPUStepMillicores: 250, MemoryStepBytes: 64 * mi, CPUFloorMillicores: 250, MemoryFloorBytes: 64 * mi}
	r := Recommend(Workload{Replicas: 1, CPURequestMillicores: 2000, CPUP95Millicores: 310}, rule, gbp, week)
	if want := "CPU request 2 cores, p95 usage 0.31 over 7 days: recommend 0.5; saves £43.80/month"; r.CPU.Explanation != want {
		t.Errorf("line = %q, want %q", r.CPU.Explanation, want)
	}
	p := *gbp
	p.CPUCoreHour = 37_626_000
	r = Recommend(Workload{Replicas: 1, CPURequestMillicores: 2000, CPUP95Millicores: 310}, rule, &p, week)
	if want := "CPU request 2 cores, p95 usage 0.31 over 7 days: recommend 0.5; saves £41.20/month"; r.CPU.Explanation != want {
		t.Errorf("line = %q, want %q", r.CPU.Explanation, want)
	}
}

func tier(name, cpu, mem string) naasv1alpha1.Tier {
	return naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.TierSpec{Quota: corev1.ResourceList{
		corev1.ResourceRequestsCPU: resource.MustParse(cpu), corev1.ResourceRequestsMemory: resource.MustParse(mem)}}}
}

func TestTier_SmallestThatFits(t *testing.T) {
	tiers := []naasv1alpha1.Tier{tier("prod", "8", "16Gi"), tier("dev", "2", "4Gi"), tier("staging", "4", "8Gi"),
		{ObjectMeta: metav1.ObjectMeta{Name: "objects-only"}, Spec: naasv1alpha1.TierSpec{Quota: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")}}}}
	for _, tc := range []struct {
		cpu, mem int64
		want     string
	}{
		{1500, 2 * gi, "dev"},
		{2000, 4 * gi, "dev"},
		{2001, gi, "staging"},
		{1000, 10 * gi, "prod"},
		{9000, gi, ""},
	} {
		if got := Tier(tiers, tc.cpu, tc.mem); got != tc.want {
			t.Errorf("Tier(%d, %d) = %q, want %q", tc.cpu, tc.mem, got, tc.want)
		}
	}
}

func TestForNamespace(t *testing.T) {
	web := Recommend(Workload{Name: "web", Replicas: 3, CPURequestMillicores: 2000, MemoryRequestBytes: 4 * gi, CPUP95Millicores: 310, MemoryP95Bytes: 700 * mi}, DefaultRule(), gbp, week)
	db := Recommend(Workload{Name: "db", Replicas: 1, CPURequestMillicores: 300, MemoryRequestBytes: gi, CPUP95Millicores: 250, MemoryP95Bytes: 853 * mi}, DefaultRule(), gbp, week)
	// 3 × 400m + 300m = 1.5 cores; 3 × 896Mi + 1Gi = 3712Mi: fits dev (2 cores, 4Gi).
	ns := ForNamespace("a", "prod", []WorkloadRecommendation{web, db}, []naasv1alpha1.Tier{tier("prod", "8", "16Gi"), tier("dev", "2", "4Gi")})
	if ns.CPUMillicores != 1500 || ns.MemoryBytes != 3712*mi || ns.Tier != "dev" || ns.CurrentTier != "prod" || ns.Workloads[0].Name != "db" || ns.MonthlySaving != web.MonthlySaving {
		t.Errorf("ForNamespace = %+v", ns)
	}
}
