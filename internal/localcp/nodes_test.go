package localcp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestDefaultNodes_DealsPoolsInTurnAndNodeIIsTheSameWhateverN(t *testing.T) {
	names := func(nodes []SimulatedNode) []string {
		var out []string
		for _, n := range nodes {
			out = append(out, n.Name+"/"+n.Pool+"/"+n.InstanceType+"/"+n.CPU.String()+"/"+n.Memory.String())
		}
		return out
	}
	for _, tc := range []struct {
		n    int
		want []string
	}{
		{0, nil},
		{-1, nil},
		{1, []string{"kwok-general-1/general/n2-standard-4/4/16Gi"}},
		{3, []string{
			"kwok-general-1/general/n2-standard-4/4/16Gi",
			"kwok-general-2/general/n2-standard-4/4/16Gi",
			"kwok-highmem-1/highmem/n2-highmem-4/4/32Gi",
		}},
		{5, []string{
			"kwok-general-1/general/n2-standard-4/4/16Gi",
			"kwok-general-2/general/n2-standard-4/4/16Gi",
			"kwok-highmem-1/highmem/n2-highmem-4/4/32Gi",
			"kwok-general-3/general/n2-standard-4/4/16Gi",
			"kwok-general-4/general/n2-standard-4/4/16Gi",
		}},
	} {
		if diff := cmp.Diff(tc.want, names(DefaultNodes(tc.n))); diff != "" {
			t.Errorf("DefaultNodes(%d) (-want +got):\n%s", tc.n, diff)
		}
	}
}

func TestDescribeNodes(t *testing.T) {
	for n, want := range map[int]string{
		1: "1 node: 1 general n2-standard-4 (4 CPU, 16Gi)",
		3: "3 nodes: 2 general n2-standard-4 (4 CPU, 16Gi), 1 highmem n2-highmem-4 (4 CPU, 32Gi)",
	} {
		if got := DescribeNodes(DefaultNodes(n)); got != want {
			t.Errorf("DescribeNodes(DefaultNodes(%d)) = %q, want %q", n, got, want)
		}
	}
}

func TestNodeObject_LabelsPoolInstanceTypeAndAllocatableIsCapacity(t *testing.T) {
	node := nodeObject(DefaultNodes(3)[2])
	for key, want := range map[string]string{
		naasv1alpha1.NodePoolLabel:     "highmem",
		corev1.LabelInstanceTypeStable: "n2-highmem-4",
		corev1.LabelHostname:           "kwok-highmem-1",
		naasv1alpha1.LabelManagedBy:    SimulatedNodeManager,
	} {
		if got := node.Labels[key]; got != want {
			t.Errorf("label %s = %q, want %q", key, got, want)
		}
	}
	if node.Annotations[kwokNodeAnnotation] != kwokNodeValue {
		t.Errorf("annotations %v lack %s=%s, which kwok is started to play", node.Annotations, kwokNodeAnnotation, kwokNodeValue)
	}
	if diff := cmp.Diff(node.Status.Capacity, node.Status.Allocatable); diff != "" {
		t.Errorf("allocatable differs from capacity (-capacity +allocatable):\n%s", diff)
	}
	if cpu, pods := node.Status.Allocatable[corev1.ResourceCPU], node.Status.Allocatable[corev1.ResourcePods]; cpu.String() != "4" || pods.String() != "110" {
		t.Errorf("allocatable CPU %s, pods %s, want 4 and 110", cpu.String(), pods.String())
	}
}
