package placement

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TaintEffect says what an untolerated taint does to placement.
type TaintEffect string

// Taint effects. NoExecute is taken as NoSchedule: placement never moves a namespace that is placed.
const (
	TaintNoSchedule       TaintEffect = "NoSchedule"
	TaintPreferNoSchedule TaintEffect = "PreferNoSchedule"
	TaintNoExecute        TaintEffect = "NoExecute"
)

// Taint keeps namespaces off a cluster unless they tolerate it.
type Taint struct {
	Key    string
	Value  string
	Effect TaintEffect
}

// TolerationOperator is Exists or Equal (the default).
type TolerationOperator string

// Toleration operators.
const (
	TolerationExists TolerationOperator = "Exists"
	TolerationEqual  TolerationOperator = "Equal"
)

// Toleration lets a tenant's namespaces onto clusters with a matching taint. An empty Key with Exists
// tolerates every taint; an empty Effect every effect.
type Toleration struct {
	Key      string
	Operator TolerationOperator
	Value    string
	Effect   TaintEffect
}

// Tolerates reports whether t tolerates taint.
func (t Toleration) Tolerates(taint Taint) bool {
	if t.Effect != "" && effect(t.Effect) != effect(taint.Effect) {
		return false
	}
	if t.Operator == TolerationExists {
		return t.Key == "" || t.Key == taint.Key
	}
	return t.Key == taint.Key && t.Value == taint.Value
}

func effect(e TaintEffect) TaintEffect {
	if e == TaintNoExecute {
		return TaintNoSchedule
	}
	return e
}

// Resources are amounts of CPU (millicores) and memory (bytes).
type Resources struct {
	MilliCPU    int64
	MemoryBytes int64
}

// Cluster is a candidate member cluster as the caller sees it at decision time.
type Cluster struct {
	Name   string
	Labels map[string]string
	Taints []Taint
	// Cordoned clusters take no new namespaces (those there stay).
	Cordoned bool
	// Reachable is false when naas cannot reach the cluster's API server now.
	Reachable bool
	// Allocatable is what namespaces may reserve on the cluster in all; Allocated what the quotas of the
	// namespaces placed there already reserve.
	Allocatable Resources
	Allocated   Resources
}

// Constraint is a label selector over clusters that some object imposes: the tenant's spec.placement, or a
// template's or tier's narrowing (e.g. tier prod only on clusters labelled environment=prod).
type Constraint struct {
	// From names the object in reasons, e.g. "tenant payments" or "tier prod".
	From     string
	Selector *metav1.LabelSelector
}

// Weights weigh the scores; zero weights (the zero value) mean DefaultWeights.
type Weights struct {
	LeastAllocated int
	Spread         int
	PreferNoTaint  int
}

// DefaultWeights favour room to grow, then spreading a tenant, then clusters without soft taints.
var DefaultWeights = Weights{LeastAllocated: 2, Spread: 1, PreferNoTaint: 1}

// Request is one namespace to place.
type Request struct {
	Clusters []Cluster
	// Constraints must all match a cluster.
	Constraints []Constraint
	// Tolerations are the tenant's.
	Tolerations []Toleration
	// Cluster is the cluster the claim names (spec.cluster), or "" to let naas choose.
	Cluster string
	// Quota is what the tier's quota reserves for the namespace.
	Quota Resources
	// Spread counts the tenant's namespaces per cluster name.
	Spread map[string]int
	// Weights weigh the scores.
	Weights Weights
}

// Predicate names, in the order they are checked; a cluster may fail several.
const (
	PredicateRequested = "Requested"
	PredicateReachable = "Reachable"
	PredicateCordoned  = "Cordoned"
	PredicateSelector  = "Selector"
	PredicateTaints    = "Taints"
	PredicateCapacity  = "Capacity"
)

// Reason says why a cluster was left out.
type Reason struct {
	Predicate string
	Message   string
}

// Scores are a feasible cluster's scores, each 0 to 100, and their weighted sum.
type Scores struct {
	LeastAllocated int
	Spread         int
	PreferNoTaint  int
	Total          int
}

// Candidate is what the decision found about one cluster.
type Candidate struct {
	Cluster string
	// Excluded lists why the cluster was left out; empty when it could take the namespace.
	Excluded []Reason
	// Scores are set for clusters that were not left out.
	Scores *Scores
}

// Decision is the outcome: the chosen cluster, or "" and why none fits.
type Decision struct {
	Cluster string
	// Candidates are every cluster, sorted by name.
	Candidates []Candidate
	// Message summarises the decision for the claim's Placed condition.
	Message string
}

// Decide places req. It returns an error only for input the caller should not have passed (an invalid
// selector, a cluster named twice); "no cluster fits" is a Decision with no Cluster, and its message.
func Decide(req Request) (Decision, error) {
	selectors, err := selectorsOf(req.Constraints)
	if err != nil {
		return Decision{}, err
	}
	clusters := append([]Cluster(nil), req.Clusters...)
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	for i := 1; i < len(clusters); i++ {
		if clusters[i].Name == clusters[i-1].Name {
			return Decision{}, fmt.Errorf("cluster %q is a candidate twice", clusters[i].Name)
		}
	}
	w := req.Weights
	if w == (Weights{}) {
		w = DefaultWeights
	}

	d := Decision{Candidates: make([]Candidate, len(clusters))}
	var feasible []int
	found := req.Cluster == ""
	for i, c := range clusters {
		d.Candidates[i] = Candidate{Cluster: c.Name, Excluded: predicates(req, selectors, c)}
		found = found || c.Name == req.Cluster
		if len(d.Candidates[i].Excluded) == 0 {
			feasible = append(feasible, i)
		}
	}
	if !found {
		d.Message = fmt.Sprintf("the claim asks for cluster %s, which is not registered; clusters: %s", req.Cluster, names(clusters))
		return d, nil
	}

	maxSpread := 0
	for _, i := range feasible {
		maxSpread = max(maxSpread, req.Spread[clusters[i].Name])
	}
	best := -1
	for _, i := range feasible {
		c := clusters[i]
		s := Scores{
			LeastAllocated: leastAllocated(c, req.Quota),
			Spread:         100,
			PreferNoTaint:  100,
		}
		if maxSpread > 0 {
			s.Spread = 100 * (maxSpread - req.Spread[c.Name]) / maxSpread
		}
		if len(untolerated(c.Taints, req.Tolerations, TaintPreferNoSchedule)) > 0 {
			s.PreferNoTaint = 0
		}
		s.Total = w.LeastAllocated*s.LeastAllocated + w.Spread*s.Spread + w.PreferNoTaint*s.PreferNoTaint
		d.Candidates[i].Scores = &s
		// Clusters are in name order: a later cluster wins only with a strictly higher score.
		if best < 0 || s.Total > d.Candidates[best].Scores.Total {
			best = i
		}
	}
	if best < 0 {
		d.Message = "no cluster fits: " + excludedSummary(d.Candidates)
		return d, nil
	}
	d.Cluster = clusters[best].Name
	if req.Cluster != "" {
		d.Message = fmt.Sprintf("placed on %s, as the claim asks", d.Cluster)
	} else {
		d.Message = fmt.Sprintf("placed on %s (score %d of %d candidates that fit)", d.Cluster, d.Candidates[best].Scores.Total, len(feasible))
		if others := excludedSummary(d.Candidates); others != "" {
			d.Message += "; left out: " + others
		}
	}
	return d, nil
}

// selectorsOf parses the constraints' selectors; a nil selector selects every cluster.
func selectorsOf(constraints []Constraint) ([]labels.Selector, error) {
	selectors := make([]labels.Selector, len(constraints))
	for i, c := range constraints {
		if c.Selector == nil {
			selectors[i] = labels.Everything()
			continue
		}
		s, err := metav1.LabelSelectorAsSelector(c.Selector)
		if err != nil {
			return nil, fmt.Errorf("the cluster selector of %s: %w", c.From, err)
		}
		selectors[i] = s
	}
	return selectors, nil
}

// Admits reports whether namespaces under constraints and tolerations may ever go to c: its labels match
// every selector and every NoSchedule taint is tolerated. What changes from moment to moment (reachability,
// cordon, capacity) is Decide's to weigh; Admits answers "may this tenant use this cluster", e.g. to show a
// tenant the clusters it may ask for.
func Admits(c Cluster, constraints []Constraint, tolerations []Toleration) (bool, error) {
	selectors, err := selectorsOf(constraints)
	if err != nil {
		return false, err
	}
	set := labels.Set(c.Labels)
	for _, s := range selectors {
		if !s.Matches(set) {
			return false, nil
		}
	}
	return len(untolerated(c.Taints, tolerations, TaintNoSchedule)) == 0, nil
}

// predicates returns every reason c cannot take the namespace.
func predicates(req Request, selectors []labels.Selector, c Cluster) []Reason {
	var out []Reason
	if req.Cluster != "" && c.Name != req.Cluster {
		out = append(out, Reason{PredicateRequested, "the claim asks for cluster " + req.Cluster})
	}
	if !c.Reachable {
		out = append(out, Reason{PredicateReachable, "naas cannot reach its API server"})
	}
	if c.Cordoned {
		out = append(out, Reason{PredicateCordoned, "it is cordoned: it takes no new namespaces"})
	}
	set := labels.Set(c.Labels)
	for i, s := range selectors {
		if !s.Matches(set) {
			out = append(out, Reason{PredicateSelector, fmt.Sprintf("its labels do not match the cluster selector of %s (%s)", req.Constraints[i].From, s)})
		}
	}
	if t := untolerated(c.Taints, req.Tolerations, TaintNoSchedule); len(t) > 0 {
		out = append(out, Reason{PredicateTaints, "the tenant does not tolerate its taints " + strings.Join(t, ", ")})
	}
	free := Resources{c.Allocatable.MilliCPU - c.Allocated.MilliCPU, c.Allocatable.MemoryBytes - c.Allocated.MemoryBytes}
	var short []string
	if req.Quota.MilliCPU > free.MilliCPU {
		short = append(short, fmt.Sprintf("CPU: the tier's quota reserves %dm, %dm free", req.Quota.MilliCPU, max(free.MilliCPU, 0)))
	}
	if req.Quota.MemoryBytes > free.MemoryBytes {
		short = append(short, fmt.Sprintf("memory: the tier's quota reserves %s, %s free", mebibytes(req.Quota.MemoryBytes), mebibytes(max(free.MemoryBytes, 0))))
	}
	if len(short) > 0 {
		out = append(out, Reason{PredicateCapacity, "not enough room: " + strings.Join(short, "; ")})
	}
	return out
}

// untolerated returns the taints of the given effect no toleration tolerates, as key=value:effect.
func untolerated(taints []Taint, tolerations []Toleration, e TaintEffect) []string {
	var out []string
	for _, t := range taints {
		if effect(t.Effect) != e {
			continue
		}
		tolerated := false
		for _, tol := range tolerations {
			if tol.Tolerates(t) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			out = append(out, fmt.Sprintf("%s=%s:%s", t.Key, t.Value, t.Effect))
		}
	}
	return out
}

// leastAllocated is the share (0 to 100) of the cluster left free once the namespace's quota is reserved,
// the mean of CPU and memory. A resource the cluster has none of counts as full.
func leastAllocated(c Cluster, quota Resources) int {
	free := func(allocatable, allocated, want int64) int64 {
		if allocatable <= 0 {
			return 0
		}
		return max(0, 100*(allocatable-allocated-want)/allocatable)
	}
	return int((free(c.Allocatable.MilliCPU, c.Allocated.MilliCPU, quota.MilliCPU) +
		free(c.Allocatable.MemoryBytes, c.Allocated.MemoryBytes, quota.MemoryBytes)) / 2)
}

func excludedSummary(cs []Candidate) string {
	var parts []string
	for _, c := range cs {
		if len(c.Excluded) == 0 {
			continue
		}
		msgs := make([]string, len(c.Excluded))
		for i, r := range c.Excluded {
			msgs[i] = r.Message
		}
		parts = append(parts, c.Cluster+": "+strings.Join(msgs, "; "))
	}
	if len(parts) == 0 && len(cs) == 0 {
		return "no clusters are registered"
	}
	return strings.Join(parts, ". ")
}

func names(cs []Cluster) string {
	if len(cs) == 0 {
		return "none"
	}
	n := make([]string, len(cs))
	for i, c := range cs {
		n[i] = c.Name
	}
	return strings.Join(n, ", ")
}

func mebibytes(b int64) string { return fmt.Sprintf("%dMi", b>>20) }
