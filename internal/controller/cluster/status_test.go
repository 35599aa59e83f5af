package cluster

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func tier(name, cpu, memory string) naasv1alpha1.Tier {
	t := naasv1alpha1.Tier{}
	t.Name = name
	t.Spec.Quota = corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse(cpu), corev1.ResourceLimitsMemory: resource.MustParse(memory),
		corev1.ResourceRequestsCPU: resource.MustParse("100")}
	return t
}

func claimOfTier(tier string) naasv1alpha1.NamespaceClaim {
	c := naasv1alpha1.NamespaceClaim{}
	c.Status.Tier = tier
	return c
}

func TestAllocated_SumsTierLimitsOfPlacedClaims(t *testing.T) {
	tiers := []naasv1alpha1.Tier{tier("dev", "2", "4Gi"), tier("prod", "500m", "1Gi")}
	for _, tc := range []struct {
		name   string
		claims []naasv1alpha1.NamespaceClaim
		want   corev1.ResourceList
	}{
		{name: "none", want: nil},
		{name: "unresolved tier reserves nothing", claims: []naasv1alpha1.NamespaceClaim{claimOfTier("")}, want: nil},
		{name: "gone tier reserves nothing", claims: []naasv1alpha1.NamespaceClaim{claimOfTier("gone")}, want: nil},
		{name: "sum", claims: []naasv1alpha1.NamespaceClaim{claimOfTier("dev"), claimOfTier("dev"), claimOfTier("prod")},
			want: corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse("4500m"), corev1.ResourceLimitsMemory: resource.MustParse("9Gi")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Allocated(tc.claims, tiers); !resourceListsEqual(got, tc.want) {
				t.Errorf("Allocated = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNodeAllocatable_SumsCPUAndMemory(t *testing.T) {
	node := func(cpu, mem string) corev1.Node {
		n := corev1.Node{}
		n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem),
			corev1.ResourcePods: resource.MustParse("110")}
		return n
	}
	got := NodeAllocatable([]corev1.Node{node("4", "16Gi"), node("3500m", "8Gi")})
	want := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("7500m"), corev1.ResourceMemory: resource.MustParse("24Gi")}
	if !resourceListsEqual(got, want) {
		t.Errorf("NodeAllocatable = %v, want %v", got, want)
	}
	if got := NodeAllocatable(nil); got != nil {
		t.Errorf("no nodes: %v, want nil", got)
	}
}

func TestSummarize_ReadyOnlyWhenReachableAndInstalled(t *testing.T) {
	status := func(b bool) metav1.ConditionStatus {
		if b {
			return metav1.ConditionTrue
		}
		return metav1.ConditionFalse
	}
	for _, tc := range []struct{ reachable, installed bool }{{true, true}, {true, false}, {false, true}, {false, false}} {
		c := &naasv1alpha1.Cluster{}
		setCondition(c, naasv1alpha1.ClusterReachable, status(tc.reachable), "r", "m")
		setCondition(c, naasv1alpha1.ClusterInstalled, status(tc.installed), "r", "m")
		summarize(c)
		if got, want := meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ClusterReady), tc.reachable && tc.installed; got != want {
			t.Errorf("reachable %v installed %v: Ready %v, want %v", tc.reachable, tc.installed, got, want)
		}
	}
}
