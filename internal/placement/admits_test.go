package placement

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAdmits_SelectorsAndNoScheduleTaintsDecideWhatATenantMayUse(t *testing.T) {
	prod := []Constraint{{From: "tenant payments", Selector: selector("environment", "prod")}}
	gpu := []Toleration{{Key: "gpu", Operator: TolerationExists}}
	tests := []struct {
		name        string
		cluster     *cl
		constraints []Constraint
		tolerations []Toleration
		want        bool
	}{
		{name: "no placement admits an untainted cluster", cluster: cluster("a"), want: true},
		{name: "matching selector", cluster: cluster("a").label("environment", "prod"), constraints: prod, want: true},
		{name: "selector not matched", cluster: cluster("a").label("environment", "dev"), constraints: prod, want: false},
		{name: "NoSchedule taint not tolerated", cluster: cluster("a").taint("gpu", "", TaintNoSchedule), want: false},
		{name: "NoExecute taken as NoSchedule", cluster: cluster("a").taint("gpu", "", TaintNoExecute), want: false},
		{name: "NoSchedule taint tolerated", cluster: cluster("a").taint("gpu", "", TaintNoSchedule), tolerations: gpu, want: true},
		{name: "PreferNoSchedule only lowers the score", cluster: cluster("a").taint("spot", "", TaintPreferNoSchedule), want: true},
		{name: "cordoned and unreachable clusters may still be used later", cluster: cluster("a").cordoned().unreachable(), want: true},
		{name: "every constraint must match", cluster: cluster("a").label("environment", "prod"),
			constraints: append(prod, Constraint{From: "tier gold", Selector: selector("region", "eu")}), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Admits(tt.cluster.obj(), tt.constraints, tt.tolerations)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Admits = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAdmits_AnInvalidSelectorIsAnError(t *testing.T) {
	bad := []Constraint{{From: "tenant x", Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}}}
	if _, err := Admits(cluster("a").obj(), bad, nil); err == nil {
		t.Fatal("Admits accepted an invalid selector")
	}
}
