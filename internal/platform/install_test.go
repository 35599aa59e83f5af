package platform

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestDesired_AggregatedClusterRolesLeaveRulesToTheAggregationController(t *testing.T) {
	for _, cr := range ClusterRoles() {
		u, err := Desired(cr)
		if err != nil {
			t.Fatal(err)
		}
		_, hasRules := u.Object["rules"]
		_, aggregated, _ := unstructured.NestedMap(u.Object, "aggregationRule")
		switch {
		case aggregated && hasRules:
			t.Errorf("aggregated ClusterRole %s would apply rules %v, which the aggregation controller owns", cr.Name, u.Object["rules"])
		case !aggregated && !hasRules:
			t.Errorf("ClusterRole %s has neither an aggregation rule nor rules", cr.Name)
		}
	}
}
