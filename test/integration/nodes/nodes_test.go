// Package nodes tests the simulated nodes of the local control plane: kube-scheduler binds pods to kwok's
// nodes by their requests and the nodes' allocatable, kwok makes them Running, and the nodes carry the pool and
// instance type labels the cost model prices them by.
package nodes

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/localcp"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.Options{Nodes: 3}) }

// namespace creates a namespace for the test and waits for its default service account, which the
// ServiceAccount admission plugin needs before it admits pods.
func namespace(t *testing.T, name string) {
	t.Helper()
	env.Create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	testenv.Eventually(t, time.Minute, "default service account of "+name, func() error {
		return env.Client.Get(context.Background(), client.ObjectKey{Namespace: name, Name: "default"}, &corev1.ServiceAccount{})
	})
}

func TestNodes_CarryPoolInstanceTypeAndAllocatableAndAreReady(t *testing.T) {
	ctx := context.Background()
	want := map[string][3]string{ // name: pool, instance type, memory
		"kwok-general-1": {"general", "n2-standard-4", "16Gi"},
		"kwok-general-2": {"general", "n2-standard-4", "16Gi"},
		"kwok-highmem-1": {"highmem", "n2-highmem-4", "32Gi"},
	}
	nodes := &corev1.NodeList{}
	if err := env.Client.List(ctx, nodes); err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != len(want) {
		t.Fatalf("%d nodes, want %d", len(nodes.Items), len(want))
	}
	for _, n := range nodes.Items {
		w, ok := want[n.Name]
		if !ok {
			t.Errorf("unexpected node %s", n.Name)
			continue
		}
		if got := n.Labels[naasv1alpha1.NodePoolLabel]; got != w[0] {
			t.Errorf("node %s pool %q, want %q", n.Name, got, w[0])
		}
		if got := n.Labels[corev1.LabelInstanceTypeStable]; got != w[1] {
			t.Errorf("node %s instance type %q, want %q", n.Name, got, w[1])
		}
		for _, res := range []corev1.ResourceList{n.Status.Capacity, n.Status.Allocatable} {
			if cpu, mem := res[corev1.ResourceCPU], res[corev1.ResourceMemory]; cpu.Cmp(resource.MustParse("4")) != 0 || mem.Cmp(resource.MustParse(w[2])) != 0 {
				t.Errorf("node %s capacity/allocatable %s CPU %s memory, want 4 and %s", n.Name, cpu.String(), mem.String(), w[2])
			}
		}
		ready := slices.ContainsFunc(n.Status.Conditions, func(c corev1.NodeCondition) bool {
			return c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
		})
		if !ready {
			t.Errorf("node %s is not Ready: %v", n.Name, n.Status.Conditions)
		}
	}
}

func TestNodes_DeploymentGetsRunningPodsOnSimulatedNodes(t *testing.T) {
	ctx := context.Background()
	namespace(t, "nodes-deploy")
	env.Create(t, testenv.RestrictedDeployment("nodes-deploy", "web", 3, "100m"))
	var pods []corev1.Pod
	testenv.Eventually(t, 2*time.Minute, "3 Running pods of web", func() (err error) {
		pods, err = testenv.RunningPods(ctx, env.Client, "nodes-deploy", "web", 3)
		return err
	})
	for _, p := range pods {
		if !strings.HasPrefix(p.Spec.NodeName, "kwok-") || p.Status.PodIP == "" {
			t.Errorf("pod %s on node %q with IP %q, want a kwok node and an IP", p.Name, p.Spec.NodeName, p.Status.PodIP)
		}
	}
}

// A pool's nodes have room for what their allocatable leaves: a pod that fits nowhere, or no longer fits in the
// pool it asks for, stays Pending as unschedulable, while the same pod fits in the larger pool.
func TestNodes_SchedulingRespectsRequestsAndAllocatable(t *testing.T) {
	ctx := context.Background()
	namespace(t, "nodes-fit")
	highmem := map[string]string{naasv1alpha1.NodePoolLabel: "highmem"}
	onPool := func(name, cpu string, selector map[string]string) *corev1.Pod {
		p := testenv.RestrictedPodCPU("nodes-fit", name, cpu)
		p.Spec.NodeSelector = selector
		return p
	}

	// 3 of the highmem node's 4 CPUs; whatever the other tests left there requests well under 1 CPU.
	env.Create(t, onPool("big", "3", highmem))
	testenv.Eventually(t, 2*time.Minute, "pod big Running", func() error {
		pods, err := testenv.RunningPods(ctx, env.Client, "nodes-fit", "big", 1)
		if err == nil && pods[0].Spec.NodeName != "kwok-highmem-1" {
			t.Fatalf("pod big on %s, want kwok-highmem-1 (its node selector)", pods[0].Spec.NodeName)
		}
		return err
	})
	env.Create(t, onPool("second", "2", highmem)) // 2 more CPUs than the highmem pool has left
	env.Create(t, onPool("huge", "5", nil))       // more than any node has
	env.Create(t, onPool("elsewhere", "2", nil))  // the same request as second, anywhere: a general node
	for _, name := range []string{"second", "huge"} {
		testenv.Eventually(t, time.Minute, "pod "+name+" unschedulable", func() error {
			p := &corev1.Pod{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "nodes-fit", Name: name}, p); err != nil {
				return err
			}
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
					if p.Spec.NodeName != "" || p.Status.Phase != corev1.PodPending {
						t.Fatalf("pod %s unschedulable but on %q in phase %s", name, p.Spec.NodeName, p.Status.Phase)
					}
					return nil
				}
			}
			return testenv.Errorf("pod %s: node %q, phase %s, conditions %v", name, p.Spec.NodeName, p.Status.Phase, p.Status.Conditions)
		})
	}
	testenv.Eventually(t, 2*time.Minute, "pod elsewhere Running", func() error {
		pods, err := testenv.RunningPods(ctx, env.Client, "nodes-fit", "elsewhere", 1)
		if err == nil && !strings.HasPrefix(pods[0].Spec.NodeName, "kwok-general-") {
			t.Fatalf("pod elsewhere on %s, want a general node (highmem has 1 CPU left)", pods[0].Spec.NodeName)
		}
		return err
	})
}

// Starting again on the same data directory keeps the nodes an earlier run made (same objects, not
// duplicates), adds those a larger --nodes asks for, and removes them all with none asked for.
func TestNodes_RestartKeepsNodesAddsAndRemovesThem(t *testing.T) {
	ctx := context.Background()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	binDir, err := testenv.ControlPlaneBinDir(root)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	start := func(nodes int) (*localcp.ControlPlane, map[string]string) {
		t.Helper()
		cp, err := localcp.Start(ctx, localcp.Options{BinDir: binDir, DataDir: dataDir, Ephemeral: true, Nodes: localcp.DefaultNodes(nodes)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cp.Stop)
		list, err := kubernetes.NewForConfigOrDie(cp.Config).CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		uids := map[string]string{}
		for _, n := range list.Items {
			uids[n.Name] = string(n.UID)
		}
		return cp, uids
	}

	cp, first := start(3)
	cp.Stop()
	cp, second := start(4)
	if len(second) != 4 {
		t.Errorf("nodes after a restart with 4: %v, want 4", second)
	}
	for name, uid := range first {
		if second[name] != uid {
			t.Errorf("node %s was %s, is %q after the restart: want the same object", name, uid, second[name])
		}
	}
	if _, ok := second["kwok-general-3"]; !ok {
		t.Errorf("nodes after a restart with 4: %v, want kwok-general-3 added", second)
	}
	cp.Stop()
	cp, third := start(0)
	if len(third) != 0 {
		t.Errorf("nodes after a restart with 0: %v, want none", third)
	}
	cp.Stop()
	for _, log := range []string{"kube-scheduler.log", "kwok.log"} {
		if _, err := os.Stat(filepath.Join(dataDir, "logs", log)); err != nil {
			t.Errorf("log %s: %v", log, err)
		}
	}
}
