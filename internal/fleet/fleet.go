// Package fleet turns naas's objects into the values of a placement decision (package placement, which knows no
// CRD types): Cluster objects into candidates, a tenant's spec.placement and the template's and tier's
// clusterSelector into constraints, the tier's quota into what a namespace reserves. It also holds the pure
// checks that the claim admission, the REST API and the portal share: which clusters a tenant may use, and
// whether a claim may name the cluster it names. It is pure: callers read the objects.
package fleet

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/placement"
)

// Unlimited is the allocatable amount of a resource a cluster does not report (a control plane without nodes):
// capacity does not limit placement there.
const Unlimited = math.MaxInt64 / 4

// Candidate is a Cluster as placement sees it; allocated is what the namespaces placed there reserve.
func Candidate(c *naasv1alpha1.Cluster, allocated placement.Resources) placement.Cluster {
	out := placement.Cluster{
		Name:        c.Name,
		Labels:      c.Labels,
		Cordoned:    c.Spec.Cordoned,
		Reachable:   meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ClusterReachable),
		Allocatable: allocatable(c.Status.Allocatable),
		Allocated:   allocated,
	}
	for _, t := range c.Spec.Taints {
		out.Taints = append(out.Taints, placement.Taint{Key: t.Key, Value: t.Value, Effect: placement.TaintEffect(t.Effect)})
	}
	return out
}

// allocatable reads a cluster's allocatable CPU and memory; one it does not report (or reports as zero: no
// nodes) is Unlimited.
func allocatable(l corev1.ResourceList) placement.Resources {
	r := placement.Resources{MilliCPU: Unlimited, MemoryBytes: Unlimited}
	if q, ok := l[corev1.ResourceCPU]; ok && q.Sign() > 0 {
		r.MilliCPU = q.MilliValue()
	}
	if q, ok := l[corev1.ResourceMemory]; ok && q.Sign() > 0 {
		r.MemoryBytes = q.Value()
	}
	return r
}

// Quota is what a namespace of tier (with template's additions) reserves on its cluster: the quota's
// limits.cpu and limits.memory (requests.* when the tier limits only those). A tier without them reserves
// nothing.
func Quota(tier *naasv1alpha1.Tier, tpl *naasv1alpha1.NamespaceTemplate) placement.Resources {
	if tier == nil {
		return placement.Resources{}
	}
	hard := bundle.QuotaHard(tier, tpl)
	pick := func(names ...corev1.ResourceName) resource.Quantity {
		for _, n := range names {
			if q, ok := hard[n]; ok {
				return q
			}
		}
		return resource.Quantity{}
	}
	cpu := pick(corev1.ResourceLimitsCPU, corev1.ResourceRequestsCPU, corev1.ResourceCPU)
	mem := pick(corev1.ResourceLimitsMemory, corev1.ResourceRequestsMemory, corev1.ResourceMemory)
	return placement.Resources{MilliCPU: cpu.MilliValue(), MemoryBytes: mem.Value()}
}

// Inputs are the objects one placement decision is made from.
type Inputs struct {
	Claim    *naasv1alpha1.NamespaceClaim
	Tenant   *naasv1alpha1.Tenant
	Template *naasv1alpha1.NamespaceTemplate
	Tier     *naasv1alpha1.Tier
	// Clusters are the registered Clusters.
	Clusters []naasv1alpha1.Cluster
	// Allocated is what the namespaces placed on each cluster reserve, by cluster name.
	Allocated map[string]placement.Resources
	// Spread counts the tenant's namespaces on each cluster, by cluster name.
	Spread map[string]int
}

// Request is the placement request of in.
func Request(in Inputs) placement.Request {
	req := placement.Request{
		Cluster:     in.Claim.Spec.Cluster,
		Quota:       Quota(in.Tier, in.Template),
		Spread:      in.Spread,
		Constraints: Constraints(in.Tenant, in.Template, in.Tier),
	}
	if in.Tenant != nil && in.Tenant.Spec.Placement != nil {
		req.Tolerations = Tolerations(in.Tenant.Spec.Placement.Tolerations)
	}
	for i := range in.Clusters {
		req.Clusters = append(req.Clusters, Candidate(&in.Clusters[i], in.Allocated[in.Clusters[i].Name]))
	}
	return req
}

// Constraints are the cluster selectors of the tenant, the template and the tier, those that are set.
func Constraints(tenant *naasv1alpha1.Tenant, tpl *naasv1alpha1.NamespaceTemplate, tier *naasv1alpha1.Tier) []placement.Constraint {
	var out []placement.Constraint
	if tenant != nil && tenant.Spec.Placement != nil && tenant.Spec.Placement.ClusterSelector != nil {
		out = append(out, placement.Constraint{From: "tenant " + tenant.Name, Selector: tenant.Spec.Placement.ClusterSelector})
	}
	if tpl != nil && tpl.Spec.ClusterSelector != nil {
		out = append(out, placement.Constraint{From: "template " + tpl.Name, Selector: tpl.Spec.ClusterSelector})
	}
	if tier != nil && tier.Spec.ClusterSelector != nil {
		out = append(out, placement.Constraint{From: "tier " + tier.Name, Selector: tier.Spec.ClusterSelector})
	}
	return out
}

// Tolerations converts a tenant's tolerations.
func Tolerations(ts []naasv1alpha1.ClusterToleration) []placement.Toleration {
	out := make([]placement.Toleration, 0, len(ts))
	for _, t := range ts {
		out = append(out, placement.Toleration{Key: t.Key, Operator: placement.TolerationOperator(t.Operator), Value: t.Value, Effect: placement.TaintEffect(t.Effect)})
	}
	return out
}

// SingleCluster reports whether the fleet is the management cluster alone (no Cluster, or only "local"): every
// namespace then goes to it, with no decision to make, as naas did before it knew of fleets.
func SingleCluster(clusters []naasv1alpha1.Cluster) bool {
	for _, c := range clusters {
		if c.Name != naasv1alpha1.LocalClusterName {
			return false
		}
	}
	return true
}

// permitted is whether placement's reason is about what the tenant, template and tier allow, not about the
// cluster's state now (reachability, cordon, capacity), which changes by itself.
func permitted(r placement.Reason) bool {
	return r.Predicate != placement.PredicateSelector && r.Predicate != placement.PredicateTaints
}

// Usable returns the names of the clusters the tenant's namespaces of template and tier may be placed on (by
// the selectors and the tenant's tolerations; cordoned, unreachable or full clusters are included: they may
// take namespaces later), sorted. In a single-cluster fleet that is "local".
func Usable(tenant *naasv1alpha1.Tenant, tpl *naasv1alpha1.NamespaceTemplate, tier *naasv1alpha1.Tier, clusters []naasv1alpha1.Cluster) ([]string, error) {
	if SingleCluster(clusters) {
		return []string{naasv1alpha1.LocalClusterName}, nil
	}
	reasons, err := exclusions(tenant, tpl, tier, clusters)
	if err != nil {
		return nil, err
	}
	var out []string
	for name, rs := range reasons {
		if len(rs) == 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// exclusions runs placement's predicates with the clusters' state left out: by cluster name, the reasons the
// tenant, template and tier do not allow it.
func exclusions(tenant *naasv1alpha1.Tenant, tpl *naasv1alpha1.NamespaceTemplate, tier *naasv1alpha1.Tier, clusters []naasv1alpha1.Cluster) (map[string][]placement.Reason, error) {
	req := placement.Request{Constraints: Constraints(tenant, tpl, tier)}
	if tenant != nil && tenant.Spec.Placement != nil {
		req.Tolerations = Tolerations(tenant.Spec.Placement.Tolerations)
	}
	for i := range clusters {
		c := Candidate(&clusters[i], placement.Resources{})
		c.Reachable, c.Cordoned, c.Allocatable = true, false, placement.Resources{MilliCPU: Unlimited, MemoryBytes: Unlimited}
		req.Clusters = append(req.Clusters, c)
	}
	d, err := placement.Decide(req)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]placement.Reason, len(d.Candidates))
	for _, c := range d.Candidates {
		out[c.Cluster] = slices.DeleteFunc(c.Excluded, permitted)
	}
	return out, nil
}

// CheckRequested checks the cluster a claim names (spec.cluster): it must be registered, and the tenant,
// template and tier must allow it. Nil when the claim names none, or one it may use.
func CheckRequested(c *naasv1alpha1.NamespaceClaim, tenant *naasv1alpha1.Tenant, tpl *naasv1alpha1.NamespaceTemplate, tier *naasv1alpha1.Tier, clusters []naasv1alpha1.Cluster) *field.Error {
	name := c.Spec.Cluster
	if name == "" {
		return nil
	}
	path := field.NewPath("spec", "cluster")
	if name == naasv1alpha1.LocalClusterName && SingleCluster(clusters) {
		return nil
	}
	usable, err := Usable(tenant, tpl, tier, clusters)
	if err != nil {
		return field.InternalError(path, err)
	}
	hint := "none"
	if len(usable) > 0 {
		hint = strings.Join(usable, ", ")
	}
	if !slices.ContainsFunc(clusters, func(cl naasv1alpha1.Cluster) bool { return cl.Name == name }) {
		return field.Invalid(path, name, "no such cluster is registered; clusters the namespace may use: "+hint)
	}
	reasons, err := exclusions(tenant, tpl, tier, clusters)
	if err != nil {
		return field.InternalError(path, err)
	}
	if rs := reasons[name]; len(rs) > 0 {
		msgs := make([]string, len(rs))
		for i, r := range rs {
			msgs[i] = r.Message
		}
		return field.Forbidden(path, fmt.Sprintf("the namespace may not be placed on cluster %s: %s; clusters it may use: %s",
			name, strings.Join(msgs, "; "), hint))
	}
	return nil
}
