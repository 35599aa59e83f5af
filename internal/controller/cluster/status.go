package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// allocatedResources are the quota limits a cluster's allocation sums.
var allocatedResources = []corev1.ResourceName{corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory}

// Allocated is what the quotas of claims reserve on their cluster: the sum of limits.cpu and limits.memory of
// each claim's tier (status.tier) quota. Claims whose tier is not resolved yet, or names a tier that is gone,
// reserve nothing.
func Allocated(claims []naasv1alpha1.NamespaceClaim, tiers []naasv1alpha1.Tier) corev1.ResourceList {
	quotas := map[string]corev1.ResourceList{}
	for i := range tiers {
		quotas[tiers[i].Name] = tiers[i].Spec.Quota
	}
	sum := corev1.ResourceList{}
	for i := range claims {
		q, ok := quotas[claims[i].Status.Tier]
		if !ok {
			continue
		}
		for _, name := range allocatedResources {
			if v, ok := q[name]; ok {
				total := sum[name]
				total.Add(v)
				sum[name] = total
			}
		}
	}
	if len(sum) == 0 {
		return nil
	}
	return sum
}

// NodeAllocatable is the sum of the allocatable CPU and memory of nodes.
func NodeAllocatable(nodes []corev1.Node) corev1.ResourceList {
	sum := corev1.ResourceList{}
	for i := range nodes {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if v, ok := nodes[i].Status.Allocatable[name]; ok {
				total := sum[name]
				total.Add(v)
				sum[name] = total
			}
		}
	}
	if len(sum) == 0 {
		return nil
	}
	return sum
}

// summarize sets Ready from Reachable and Installed.
func summarize(c *naasv1alpha1.Cluster) {
	reachable := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ClusterReachable)
	installed := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ClusterInstalled)
	switch {
	case reachable == nil || reachable.Status != metav1.ConditionTrue:
		msg := "the cluster's API server does not answer"
		if reachable != nil {
			msg = reachable.Message
		}
		reason := naasv1alpha1.ReasonClusterNotAnswering
		if reachable != nil {
			reason = reachable.Reason
		}
		setCondition(c, naasv1alpha1.ClusterReady, metav1.ConditionFalse, reason, msg)
	case installed == nil || installed.Status != metav1.ConditionTrue:
		msg := "naas's cluster-wide objects are being installed"
		reason := naasv1alpha1.ReasonClusterInstallFailed
		if installed != nil {
			msg, reason = installed.Message, installed.Reason
		}
		setCondition(c, naasv1alpha1.ClusterReady, metav1.ConditionFalse, reason, msg)
	default:
		setCondition(c, naasv1alpha1.ClusterReady, metav1.ConditionTrue, naasv1alpha1.ReasonClusterReached,
			"reachable, with naas's cluster-wide objects in place: namespaces may be placed and kept here")
	}
}

// observe records reachability from the last heartbeats and, for a reachable cluster, its version and capacity.
func (r *Reconciler) observe(ctx context.Context, s *scope) error {
	c := s.cluster
	if s.member.Name == "" {
		return nil // no usable kubeconfig: connect said so
	}
	if !s.member.Reachable && s.member.Rejected {
		msg := s.member.LastError
		if ref := c.Spec.KubeconfigSecretRef; ref != nil {
			msg += fmt.Sprintf(": put valid credentials for the cluster in the kubeconfig Secret %s/%s (key %s)", r.Namespace, ref.Name, naasv1alpha1.KubeconfigSecretKey)
		}
		setCondition(c, naasv1alpha1.ClusterReachable, metav1.ConditionFalse, naasv1alpha1.ReasonClusterCredentialsRejected, msg)
		return nil
	}
	if !s.member.Reachable {
		msg := "the API server does not answer"
		if s.member.LastError != "" {
			msg += ": " + s.member.LastError
		}
		if !s.member.LastSeen.IsZero() {
			msg += fmt.Sprintf(" (last answered %s)", s.member.LastSeen.UTC().Format("2006-01-02T15:04:05Z"))
		}
		setCondition(c, naasv1alpha1.ClusterReachable, metav1.ConditionFalse, naasv1alpha1.ReasonClusterNotAnswering, msg)
		return nil
	}
	setCondition(c, naasv1alpha1.ClusterReachable, metav1.ConditionTrue, naasv1alpha1.ReasonClusterReached, "the API server answers naas's heartbeats")
	reader, cfg := r.Local, r.LocalConfig
	if s.conn != nil {
		reader, cfg = s.conn.Direct, s.conn.Config
	}
	if reader == nil || cfg == nil {
		return nil
	}
	if dc, err := discovery.NewDiscoveryClientForConfig(cfg); err == nil {
		if v, err := dc.ServerVersion(); err == nil {
			c.Status.KubernetesVersion = v.GitVersion
		}
	}
	nodes := &corev1.NodeList{}
	if err := reader.List(ctx, nodes, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list the nodes of cluster %s: %w", c.Name, err)
	}
	alloc := NodeAllocatable(nodes.Items)
	if !resourceListsEqual(alloc, c.Status.Allocatable) {
		c.Status.Allocatable = alloc
	}
	return nil
}

// resourceListsEqual compares quantities by value: "1000m" and "1" are equal, and a status written with either
// must not be rewritten for it.
func resourceListsEqual(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.Cmp(w) != 0 {
			return false
		}
	}
	return true
}
