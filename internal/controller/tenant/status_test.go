package tenant

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestReadiness_SaysWhatDisagrees(t *testing.T) {
	tenant := func(mods ...func(*naasv1alpha1.Tenant)) *naasv1alpha1.Tenant {
		t := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop", Generation: 3}}
		for _, m := range mods {
			m(t)
		}
		return t
	}
	maxNamespaces := func(n int32) func(*naasv1alpha1.Tenant) {
		return func(t *naasv1alpha1.Tenant) { t.Spec.MaxNamespaces = ptr.To(n) }
	}
	cpu := func(hard, used string) func(*naasv1alpha1.Tenant) {
		return func(t *naasv1alpha1.Tenant) {
			t.Spec.Quota = corev1.ResourceList{corev1.ResourceRequestsCPU: resource.MustParse(hard)}
			t.Status.Used = corev1.ResourceList{corev1.ResourceRequestsCPU: resource.MustParse(used)}
		}
	}
	made := func(names ...string) []claimState {
		var out []claimState
		for _, n := range names {
			out = append(out, claimState{name: n, namespaceMade: true})
		}
		return out
	}
	namespaces := func(names ...string) []namespaceState {
		out := []namespaceState{}
		for _, n := range names {
			out = append(out, namespaceState{name: n, claim: n})
		}
		return out
	}
	type want struct {
		Status  metav1.ConditionStatus
		Reason  string
		Message string
	}
	tests := []struct {
		name   string
		tenant *naasv1alpha1.Tenant
		o      observed
		want   want
	}{
		{
			name:   "claims and namespaces agree",
			tenant: tenant(maxNamespaces(5), cpu("4", "2")),
			o:      observed{claims: made("shop-a", "shop-b"), namespaces: namespaces("shop-a", "shop-b")},
			want:   want{metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, "2 of at most 5 namespaces"},
		},
		{
			name:   "a claim not provisioned yet has no namespace to miss",
			tenant: tenant(),
			o:      observed{claims: []claimState{{name: "shop-new"}}, namespaces: namespaces()},
			want:   want{metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, "1 namespaces"},
		},
		{
			name:   "a namespace labelled for the tenant without a claim",
			tenant: tenant(),
			o: observed{claims: made("shop-a"), namespaces: append(namespaces("shop-a"),
				namespaceState{name: "shop-stray", claim: "shop-stray"})},
			want: want{metav1.ConditionFalse, naasv1alpha1.ReasonNamespacesOrphaned,
				"namespaces labelled for the tenant have no claim of it: shop-stray (delete them, or claim them again)"},
		},
		{
			name:   "a namespace being deleted is not an orphan",
			tenant: tenant(),
			o:      observed{namespaces: []namespaceState{{name: "shop-old", claim: "shop-old", deleting: true}}},
			want:   want{metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, "0 namespaces"},
		},
		{
			name:   "a claim whose namespace is gone",
			tenant: tenant(),
			o:      observed{claims: made("shop-a", "shop-b"), namespaces: namespaces("shop-a")},
			want: want{metav1.ConditionFalse, naasv1alpha1.ReasonNamespacesMissing,
				"claims whose namespace is gone: shop-b (naas makes them again; look at the claims if this stays)"},
		},
		{
			name:   "namespaces not looked at: none missing",
			tenant: tenant(),
			o:      observed{claims: made("shop-a")},
			want:   want{metav1.ConditionTrue, naasv1alpha1.ReasonReconciled, "1 namespaces"},
		},
		{
			name:   "more namespaces than the limit (lowered since)",
			tenant: tenant(maxNamespaces(1)),
			o:      observed{claims: made("shop-a", "shop-b"), namespaces: namespaces("shop-a", "shop-b")},
			want: want{metav1.ConditionFalse, naasv1alpha1.ReasonOverNamespaceLimit,
				"2 namespaces, more than spec.maxNamespaces (1): new claims are refused until some are deleted or the limit is raised"},
		},
		{
			name:   "usage above the quota",
			tenant: tenant(cpu("2", "3")),
			o:      observed{namespaces: namespaces()},
			want: want{metav1.ConditionFalse, naasv1alpha1.ReasonOverQuota,
				"usage above spec.quota: requests.cpu 3 of 2: new workloads are refused until usage falls or the quota is raised"},
		},
		{
			name:   "a service account owner in a namespace that does not exist",
			tenant: tenant(),
			o:      observed{namespaces: namespaces(), missingMemberNamespaces: []string{"ci"}},
			want: want{metav1.ConditionFalse, naasv1alpha1.ReasonMembersUnresolvable,
				"owners name service accounts in namespaces that do not exist: ci (fix spec.owners)"},
		},
		{
			name:   "several disagreements: the first is the reason, all are told",
			tenant: tenant(cpu("2", "3")),
			o:      observed{claims: made("shop-a"), namespaces: namespaces(), missingMemberNamespaces: []string{"ci"}},
			want: want{metav1.ConditionFalse, naasv1alpha1.ReasonNamespacesMissing,
				"claims whose namespace is gone: shop-a (naas makes them again; look at the claims if this stays); " +
					"usage above spec.quota: requests.cpu 3 of 2: new workloads are refused until usage falls or the quota is raised; " +
					"owners name service accounts in namespaces that do not exist: ci (fix spec.owners)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readiness(tt.tenant, tt.o)
			if diff := cmp.Diff(tt.want, want{c.Status, c.Reason, c.Message}); diff != "" {
				t.Errorf("readiness (-want +got):\n%s", diff)
			}
			if c.Type != naasv1alpha1.ConditionReady || c.ObservedGeneration != 3 {
				t.Errorf("condition %s at generation %d, want Ready at 3", c.Type, c.ObservedGeneration)
			}
		})
	}
}

func TestList_BoundsTheNames(t *testing.T) {
	var names []string
	for _, c := range "lkjihgfedcba" {
		names = append(names, string(c))
	}
	if got, want := list(names), "a, b, c, d, e, f, g, h, i, j and 2 more"; got != want {
		t.Errorf("list = %q, want %q", got, want)
	}
}
