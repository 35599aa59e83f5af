package bundle

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestQuotaHard_AddsTemplateAdditionsToLimitedResourcesOnly(t *testing.T) {
	tier := &naasv1alpha1.Tier{Spec: naasv1alpha1.TierSpec{Quota: corev1.ResourceList{
		"limits.memory":           resource.MustParse("4Gi"),
		"requests.nvidia.com/gpu": resource.MustParse("0"),
		"persistentvolumeclaims":  resource.MustParse("5"),
	}}}
	tpl := &naasv1alpha1.NamespaceTemplate{Spec: naasv1alpha1.NamespaceTemplateSpec{QuotaAdditions: corev1.ResourceList{
		"limits.memory":           resource.MustParse("8Gi"),
		"requests.nvidia.com/gpu": resource.MustParse("1"),
		"services.loadbalancers":  resource.MustParse("2"), // unlimited in the tier: stays unlimited
	}}}
	got := QuotaHard(tier, tpl)
	want := map[corev1.ResourceName]string{"limits.memory": "12Gi", "requests.nvidia.com/gpu": "1", "persistentvolumeclaims": "5"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for name, w := range want {
		q := got[name]
		if q.Cmp(resource.MustParse(w)) != 0 {
			t.Errorf("%s = %s, want %s", name, q.String(), w)
		}
	}
	if q := tier.Spec.Quota["limits.memory"]; q.String() != "4Gi" {
		t.Errorf("the tier was modified: limits.memory = %s", q.String())
	}
}
