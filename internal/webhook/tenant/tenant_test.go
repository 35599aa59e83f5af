package tenant

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		spec naasv1alpha1.TenantSpec
		want []string // fields with errors
	}{
		{name: "quota of compute, storage, GPUs and counts", spec: naasv1alpha1.TenantSpec{Quota: corev1.ResourceList{
			"requests.cpu": resource.MustParse("10"), "limits.memory": resource.MustParse("20Gi"), "requests.storage": resource.MustParse("1Ti"),
			"requests.nvidia.com/gpu": resource.MustParse("2"), "pods": resource.MustParse("100"), "services.loadbalancers": resource.MustParse("2"),
		}}},
		{name: "quota of a resource tenant quota does not count", spec: naasv1alpha1.TenantSpec{Quota: corev1.ResourceList{
			"configmaps": resource.MustParse("10"),
		}}, want: []string{"spec.quota[configmaps]"}},
		{name: "forbidden pattern that does not compile", spec: naasv1alpha1.TenantSpec{Naming: naasv1alpha1.NamingRules{
			ForbiddenPatterns: []string{"^ok$", "(unclosed"},
		}}, want: []string{"spec.naming.forbiddenPatterns[1]"}},
		{name: "registry with a space", spec: naasv1alpha1.TenantSpec{AllowedRegistries: []string{"ghcr.io/acme/", "ghcr.io/ acme"}},
			want: []string{"spec.allowedRegistries[1]"}},
		{name: "accepting the collaboration of another tenant", spec: naasv1alpha1.TenantSpec{AcceptedCollaborations: []string{"globex"}}},
		{name: "accepting its own collaboration", spec: naasv1alpha1.TenantSpec{AcceptedCollaborations: []string{"globex", "acme"}},
			want: []string{"spec.acceptedCollaborations[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: tt.spec}) {
				got = append(got, e.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWarnings_LoweredCapsKeepWhatExists(t *testing.T) {
	tn := &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "acme"},
		Spec:       naasv1alpha1.TenantSpec{MaxNamespaces: ptr.To[int32](3), Quota: corev1.ResourceList{"requests.cpu": resource.MustParse("4"), "pods": resource.MustParse("10")}},
		Status:     naasv1alpha1.TenantStatus{Used: corev1.ResourceList{"requests.cpu": resource.MustParse("6"), "pods": resource.MustParse("3")}},
	}
	got := Warnings(tn, 5)
	if len(got) != 2 || !strings.Contains(got[0], "has 5 namespaces, more than spec.maxNamespaces 3") || !strings.Contains(got[1], "uses requests.cpu=6") {
		t.Errorf("Warnings() = %q", got)
	}
	if got := Warnings(tn, 3); len(got) != 1 {
		t.Errorf("at the cap exactly: Warnings() = %q, want only the cpu warning", got)
	}
}
