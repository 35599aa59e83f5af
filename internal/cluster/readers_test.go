package cluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func registered(name string, reachable metav1.ConditionStatus) naasv1alpha1.Cluster {
	c := naasv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if reachable != "" {
		c.Status.Conditions = []metav1.Condition{{Type: naasv1alpha1.ClusterReachable, Status: reachable}}
	}
	return c
}

func TestMembersToCount(t *testing.T) {
	tests := []struct {
		name     string
		clusters []naasv1alpha1.Cluster
		holds    map[string]bool
		want     []PlannedMember
	}{
		{name: "a single cluster: no member", clusters: []naasv1alpha1.Cluster{registered("local", "")}, holds: map[string]bool{"local": true}},
		{
			name:     "every member is read, those holding the tenant's namespaces must be",
			clusters: []naasv1alpha1.Cluster{registered("m2", metav1.ConditionTrue), registered("local", ""), registered("m1", metav1.ConditionTrue)},
			holds:    map[string]bool{"m2": true},
			want:     []PlannedMember{{Name: "m1"}, {Name: "m2", Holds: true}},
		},
		{
			name:     "a member just registered, reachability unknown, is read",
			clusters: []naasv1alpha1.Cluster{registered("new", "")},
			want:     []PlannedMember{{Name: "new"}},
		},
		{
			name:     "an unreachable member is skipped unless it holds the tenant's namespaces",
			clusters: []naasv1alpha1.Cluster{registered("down", metav1.ConditionFalse), registered("down-held", metav1.ConditionFalse)},
			holds:    map[string]bool{"down-held": true},
			want:     []PlannedMember{{Name: "down", Skip: true}, {Name: "down-held", Holds: true}},
		},
		{
			name:  "a cluster holding the tenant's namespaces that is not registered must still be read",
			holds: map[string]bool{"gone": true, "local": true},
			want:  []PlannedMember{{Name: "gone", Holds: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, MembersToCount(tt.clusters, tt.holds)); diff != "" {
				t.Errorf("MembersToCount (-want +got):\n%s", diff)
			}
		})
	}
}
