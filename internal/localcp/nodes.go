package localcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// SimulatedNode is a node that kwok plays: an API object with a capacity and labels, no kubelet and no
// containers behind it. kube-scheduler binds pods to it by their requests, and kwok makes them Running and
// ready, so that workloads, quotas and the cost model see what they would on a real cluster.
type SimulatedNode struct {
	// Name is the node's name.
	Name string
	// Pool is the node pool, the value of naasv1alpha1.NodePoolLabel.
	Pool string
	// InstanceType is the value of corev1.LabelInstanceTypeStable (node.kubernetes.io/instance-type).
	InstanceType string
	// CPU, Memory and Pods are the node's capacity, all of it allocatable: nothing is reserved for a kubelet
	// or system daemons that do not exist.
	CPU, Memory, Pods resource.Quantity
}

// NodeClass is a kind of simulated node: a pool of one instance type.
type NodeClass struct {
	Pool, InstanceType string
	CPU, Memory        string
}

// DefaultNodeClasses are the pools DefaultNodes deals nodes into: two general-purpose nodes for every
// high-memory one. The instance types and shapes are Google Compute Engine's, for a familiar price list.
var DefaultNodeClasses = []NodeClass{
	{Pool: "general", InstanceType: "n2-standard-4", CPU: "4", Memory: "16Gi"},
	{Pool: "general", InstanceType: "n2-standard-4", CPU: "4", Memory: "16Gi"},
	{Pool: "highmem", InstanceType: "n2-highmem-4", CPU: "4", Memory: "32Gi"},
}

// maxPodsPerNode is each simulated node's pod capacity, a kubelet's default.
const maxPodsPerNode = 110

// DefaultNodes returns n simulated nodes dealt in turn from DefaultNodeClasses: with 3, kwok-general-1 and
// kwok-general-2 (4 CPU, 16Gi, n2-standard-4) and kwok-highmem-1 (4 CPU, 32Gi, n2-highmem-4). Node i is the
// same whatever n is, so a restart with more or fewer nodes keeps the nodes both runs have.
func DefaultNodes(n int) []SimulatedNode {
	nodes := make([]SimulatedNode, 0, max(n, 0))
	perPool := map[string]int{}
	for i := range max(n, 0) {
		c := DefaultNodeClasses[i%len(DefaultNodeClasses)]
		perPool[c.Pool]++
		nodes = append(nodes, SimulatedNode{
			Name:         fmt.Sprintf("kwok-%s-%d", c.Pool, perPool[c.Pool]),
			Pool:         c.Pool,
			InstanceType: c.InstanceType,
			CPU:          resource.MustParse(c.CPU),
			Memory:       resource.MustParse(c.Memory),
			Pods:         *resource.NewQuantity(maxPodsPerNode, resource.DecimalSI),
		})
	}
	return nodes
}

// DescribeNodes summarises nodes for a person: "3 nodes: 2 general n2-standard-4 (4 CPU, 16Gi), 1 highmem
// n2-highmem-4 (4 CPU, 32Gi)".
func DescribeNodes(nodes []SimulatedNode) string {
	type kind struct{ pool, instanceType, cpu, memory string }
	var order []kind
	count := map[kind]int{}
	for _, n := range nodes {
		k := kind{n.Pool, n.InstanceType, n.CPU.String(), n.Memory.String()}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	parts := make([]string, 0, len(order))
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%d %s %s (%s CPU, %s)", count[k], k.pool, k.instanceType, k.cpu, k.memory))
	}
	noun := "nodes"
	if len(nodes) == 1 {
		noun = "node"
	}
	return fmt.Sprintf("%d %s: %s", len(nodes), noun, strings.Join(parts, ", "))
}

// Labels and annotations of simulated nodes.
const (
	// SimulatedNodeManager is the value of naasv1alpha1.LabelManagedBy on the nodes the local control plane
	// makes: those it removes again when a restart asks for fewer.
	SimulatedNodeManager = "naas-localcp"
	// kwokNodeAnnotation marks the nodes kwok plays, as kwok's documentation does; kwok is started to manage
	// exactly these, so a node made by hand with it is played too.
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	kwokNodeValue      = "fake"
)

// nodeObject is the Node of a simulated node: labelled as a cloud node of its pool and instance type, with its
// capacity all allocatable, and not yet Ready (kwok's node-initialize stage makes it so).
func nodeObject(n SimulatedNode) *corev1.Node {
	resources := corev1.ResourceList{corev1.ResourceCPU: n.CPU, corev1.ResourceMemory: n.Memory, corev1.ResourcePods: n.Pods}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: n.Name,
			Labels: map[string]string{
				corev1.LabelHostname:           n.Name,
				corev1.LabelOSStable:           "linux",
				corev1.LabelArchStable:         "amd64",
				corev1.LabelInstanceTypeStable: n.InstanceType,
				naasv1alpha1.NodePoolLabel:     n.Pool,
				naasv1alpha1.LabelManagedBy:    SimulatedNodeManager,
				"type":                         "kwok",
			},
			Annotations: map[string]string{kwokNodeAnnotation: kwokNodeValue},
		},
		Status: corev1.NodeStatus{Capacity: resources, Allocatable: resources.DeepCopy()},
	}
}

// ensureNodes makes the simulated nodes that are missing and removes the ones an earlier run made that are no
// longer wanted. A node that exists is left as it is: its name fixes its shape (DefaultNodes).
func ensureNodes(ctx context.Context, cs kubernetes.Interface, nodes []SimulatedNode) error {
	want := map[string]bool{}
	for _, n := range nodes {
		want[n.Name] = true
		if _, err := cs.CoreV1().Nodes().Create(ctx, nodeObject(n), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create simulated node %s: %w", n.Name, err)
		}
	}
	ours := labels.SelectorFromSet(labels.Set{naasv1alpha1.LabelManagedBy: SimulatedNodeManager}).String()
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: ours})
	if err != nil {
		return fmt.Errorf("list simulated nodes: %w", err)
	}
	var errs []error
	for _, n := range list.Items {
		if want[n.Name] {
			continue
		}
		if err := cs.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove simulated node %s: %w", n.Name, err))
		}
	}
	return errors.Join(errs...)
}

// waitNodesReady waits until every node is Ready, which kwok reports once it plays them, and schedulable: the
// node lifecycle controller has lifted the not-ready taint the API server put on the new node.
func waitNodesReady(ctx context.Context, cs kubernetes.Interface, nodes []SimulatedNode, p *process, logPath string) error {
	return waitFor(ctx, p, logPath, func(ctx context.Context) error {
		for _, n := range nodes {
			node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !nodeReady(node) {
				return fmt.Errorf("%w: node %s is not Ready yet", errNotReady, n.Name)
			}
			for _, taint := range node.Spec.Taints {
				if taint.Key == corev1.TaintNodeNotReady {
					return fmt.Errorf("%w: node %s still has the taint %s", errNotReady, n.Name, taint.Key)
				}
			}
		}
		return nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// nodeReadyTimeout bounds how long Start waits for kwok to make the nodes Ready.
const nodeReadyTimeout = 90 * time.Second
