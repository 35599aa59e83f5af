package placement

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const gi = int64(1) << 30

// cl builds a reachable cluster with 10 CPUs and 40 GiB, nothing allocated.
type cl Cluster

func cluster(name string) *cl {
	return &cl{Name: name, Reachable: true, Labels: map[string]string{},
		Allocatable: Resources{MilliCPU: 10000, MemoryBytes: 40 * gi}}
}
func (c *cl) label(k, v string) *cl { c.Labels[k] = v; return c }
func (c *cl) taint(k, v string, e TaintEffect) *cl {
	c.Taints = append(c.Taints, Taint{Key: k, Value: v, Effect: e})
	return c
}
func (c *cl) cordoned() *cl    { c.Cordoned = true; return c }
func (c *cl) unreachable() *cl { c.Reachable = false; return c }
func (c *cl) allocated(milliCPU, mem int64) *cl {
	c.Allocated = Resources{MilliCPU: milliCPU, MemoryBytes: mem}
	return c
}
func (c *cl) obj() Cluster { return Cluster(*c) }

func clusters(cs ...*cl) []Cluster {
	out := make([]Cluster, len(cs))
	for i, c := range cs {
		out[i] = c.obj()
	}
	return out
}

func selector(k, v string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
}

// small is a dev-sized quota: 2 CPUs, 4 GiB.
var small = Resources{MilliCPU: 2000, MemoryBytes: 4 * gi}

// excluded summarises a decision: the chosen cluster, and per left-out cluster its predicates.
func excluded(d Decision) map[string][]string {
	out := map[string][]string{}
	for _, c := range d.Candidates {
		for _, r := range c.Excluded {
			out[c.Cluster] = append(out[c.Cluster], r.Predicate)
		}
	}
	return out
}

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name         string
		req          Request
		want         string
		wantExcluded map[string][]string
		wantMessage  []string // substrings of the message
	}{{
		name:        "no clusters registered: nothing fits, and the message says so",
		req:         Request{Quota: small},
		wantMessage: []string{"no cluster fits", "no clusters are registered"},
	}, {
		name: "the least allocated cluster wins",
		req: Request{Quota: small, Clusters: clusters(
			cluster("a").allocated(6000, 20*gi), cluster("b").allocated(1000, 4*gi), cluster("c").allocated(3000, 8*gi))},
		want:         "b",
		wantExcluded: map[string][]string{},
	}, {
		name:         "equal scores: the name that sorts first, whatever the input order",
		req:          Request{Quota: small, Clusters: clusters(cluster("zeta"), cluster("alpha"), cluster("mid"))},
		want:         "alpha",
		wantExcluded: map[string][]string{},
	}, {
		name: "the tenant is spread: a cluster with fewer of its namespaces wins over an emptier one",
		req: Request{Quota: small, Spread: map[string]int{"a": 3, "b": 0},
			Clusters: clusters(cluster("a"), cluster("b").allocated(1000, 4*gi))},
		want:         "b",
		wantExcluded: map[string][]string{},
	}, {
		name: "unreachable, cordoned and full clusters are left out, each with its reason",
		req: Request{Quota: small, Clusters: clusters(
			cluster("down").unreachable(), cluster("closed").cordoned(), cluster("full").allocated(9000, 10*gi),
			cluster("ok").allocated(8000, 36*gi))},
		want:         "ok",
		wantExcluded: map[string][]string{"down": {PredicateReachable}, "closed": {PredicateCordoned}, "full": {PredicateCapacity}},
		wantMessage:  []string{"placed on ok", "down: naas cannot reach", "closed: it is cordoned", "full: not enough room: CPU: the tier's quota reserves 2000m, 1000m free"},
	}, {
		name: "the tenant's selector and the tier's narrowing both apply",
		req: Request{Quota: small,
			Constraints: []Constraint{{From: "tenant payments", Selector: selector("region", "eu")}, {From: "tier prod", Selector: selector("environment", "prod")}},
			Clusters: clusters(cluster("eu-dev").label("region", "eu").label("environment", "dev"),
				cluster("us-prod").label("region", "us").label("environment", "prod"),
				cluster("eu-prod").label("region", "eu").label("environment", "prod"))},
		want:         "eu-prod",
		wantExcluded: map[string][]string{"eu-dev": {PredicateSelector}, "us-prod": {PredicateSelector}},
		wantMessage:  []string{"eu-dev: its labels do not match the cluster selector of tier prod (environment=prod)"},
	}, {
		name: "a cluster failing several predicates lists every reason",
		req: Request{Quota: small, Constraints: []Constraint{{From: "tier prod", Selector: selector("environment", "prod")}},
			Clusters: clusters(cluster("bad").unreachable().cordoned().taint("gpu", "true", TaintNoSchedule).allocated(10000, 40*gi))},
		wantExcluded: map[string][]string{"bad": {PredicateReachable, PredicateCordoned, PredicateSelector, PredicateTaints, PredicateCapacity}},
		wantMessage:  []string{"no cluster fits", "bad: naas cannot reach its API server; it is cordoned"},
	}, {
		name: "an untolerated NoSchedule (or NoExecute) taint keeps a tenant off; a toleration lets it on",
		req: Request{Quota: small, Tolerations: []Toleration{{Key: "dedicated", Operator: TolerationEqual, Value: "payments"}},
			Clusters: clusters(cluster("gpu").taint("gpu", "true", TaintNoExecute), cluster("dedicated").taint("dedicated", "payments", TaintNoSchedule))},
		want:         "dedicated",
		wantExcluded: map[string][]string{"gpu": {PredicateTaints}},
		wantMessage:  []string{"gpu: the tenant does not tolerate its taints gpu=true:NoExecute"},
	}, {
		name: "an Exists toleration with no key tolerates every taint",
		req: Request{Quota: small, Tolerations: []Toleration{{Operator: TolerationExists}},
			Clusters: clusters(cluster("tainted").taint("anything", "x", TaintNoSchedule))},
		want:         "tainted",
		wantExcluded: map[string][]string{},
	}, {
		name: "a toleration for another effect does not tolerate",
		req: Request{Quota: small, Tolerations: []Toleration{{Key: "gpu", Operator: TolerationExists, Effect: TaintPreferNoSchedule}},
			Clusters: clusters(cluster("gpu").taint("gpu", "true", TaintNoSchedule))},
		wantExcluded: map[string][]string{"gpu": {PredicateTaints}},
	}, {
		name: "PreferNoSchedule only lowers the score",
		req: Request{Quota: small, Clusters: clusters(
			cluster("a-soft").taint("spot", "true", TaintPreferNoSchedule), cluster("b-plain"))},
		want:         "b-plain",
		wantExcluded: map[string][]string{},
	}, {
		name:         "the claim names a cluster: it is used even when another scores higher",
		req:          Request{Quota: small, Cluster: "busy", Clusters: clusters(cluster("busy").allocated(7000, 30*gi), cluster("empty"))},
		want:         "busy",
		wantExcluded: map[string][]string{"empty": {PredicateRequested}},
		wantMessage:  []string{"placed on busy, as the claim asks"},
	}, {
		name:         "the claim names a cluster that cannot take it: none, never another",
		req:          Request{Quota: small, Cluster: "closed", Clusters: clusters(cluster("closed").cordoned(), cluster("open"))},
		wantExcluded: map[string][]string{"closed": {PredicateCordoned}, "open": {PredicateRequested}},
		wantMessage:  []string{"no cluster fits", "closed: it is cordoned"},
	}, {
		name:         "the claim names a cluster that is not registered",
		req:          Request{Quota: small, Cluster: "nowhere", Clusters: clusters(cluster("a"), cluster("b"))},
		wantMessage:  []string{"asks for cluster nowhere, which is not registered; clusters: a, b"},
		wantExcluded: map[string][]string{"a": {PredicateRequested}, "b": {PredicateRequested}},
	}, {
		name:         "a quota exactly filling the cluster fits",
		req:          Request{Quota: small, Clusters: clusters(cluster("tight").allocated(8000, 36*gi))},
		want:         "tight",
		wantExcluded: map[string][]string{},
	}, {
		name:         "memory alone can be short",
		req:          Request{Quota: small, Clusters: clusters(cluster("mem").allocated(0, 37*gi))},
		wantExcluded: map[string][]string{"mem": {PredicateCapacity}},
		wantMessage:  []string{"memory: the tier's quota reserves 4096Mi, 3072Mi free"},
	}, {
		name: "weights decide between room and spread",
		req: Request{Quota: small, Spread: map[string]int{"roomy": 2}, Weights: Weights{LeastAllocated: 0, Spread: 1, PreferNoTaint: 0},
			Clusters: clusters(cluster("roomy"), cluster("used").allocated(6000, 24*gi))},
		want:         "used",
		wantExcluded: map[string][]string{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decide(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Cluster != tc.want {
				t.Errorf("placed on %q, want %q (%s)", d.Cluster, tc.want, d.Message)
			}
			if tc.wantExcluded != nil {
				if diff := cmp.Diff(tc.wantExcluded, excluded(d)); diff != "" {
					t.Errorf("left out (-want +got):\n%s", diff)
				}
			}
			for _, m := range tc.wantMessage {
				if !strings.Contains(d.Message, m) {
					t.Errorf("message %q does not say %q", d.Message, m)
				}
			}
			for _, c := range d.Candidates {
				if (len(c.Excluded) == 0) != (c.Scores != nil) {
					t.Errorf("cluster %s: scores %v with reasons %v; exactly the clusters that fit are scored", c.Cluster, c.Scores, c.Excluded)
				}
			}
		})
	}
}

func TestDecide_IsDeterministic(t *testing.T) {
	req := Request{Quota: small, Spread: map[string]int{"b": 1, "c": 1},
		Clusters: clusters(cluster("c"), cluster("a").allocated(2000, 8*gi), cluster("b"), cluster("d").cordoned())}
	first, err := Decide(req)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		// Reverse the input order each time: the decision must not depend on it.
		for i, j := 0, len(req.Clusters)-1; i < j; i, j = i+1, j-1 {
			req.Clusters[i], req.Clusters[j] = req.Clusters[j], req.Clusters[i]
		}
		d, err := Decide(req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, d); diff != "" {
			t.Fatalf("the same request gave another decision (-first +now):\n%s", diff)
		}
	}
}

func TestDecide_ScoresAreExplained(t *testing.T) {
	d, err := Decide(Request{Quota: small, Spread: map[string]int{"a": 2, "b": 1},
		Clusters: clusters(cluster("a").allocated(2000, 8*gi), cluster("b").taint("spot", "true", TaintPreferNoSchedule))})
	if err != nil {
		t.Fatal(err)
	}
	want := []Candidate{
		// a: (100*(10000-2000-2000)/10000 + 100*(40-8-4)/40)/2 = (60+70)/2 = 65; spread 100*(2-2)/2 = 0.
		{Cluster: "a", Scores: &Scores{LeastAllocated: 65, Spread: 0, PreferNoTaint: 100, Total: 2*65 + 0 + 100}},
		// b: (80+90)/2 = 85; spread 100*(2-1)/2 = 50; soft taint not tolerated.
		{Cluster: "b", Scores: &Scores{LeastAllocated: 85, Spread: 50, PreferNoTaint: 0, Total: 2*85 + 50 + 0}},
	}
	if diff := cmp.Diff(want, d.Candidates); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
	// a's 230 beats b's 220: the soft taint costs b more than its room and spread gain.
	if d.Cluster != "a" {
		t.Errorf("placed on %q, want a", d.Cluster)
	}
}

func TestDecide_RefusesBadInput(t *testing.T) {
	for name, req := range map[string]Request{
		"invalid selector": {Clusters: clusters(cluster("a")), Constraints: []Constraint{{From: "tenant x",
			Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: "Sometimes"}}}}}},
		"a cluster twice": {Clusters: clusters(cluster("a"), cluster("a"))},
	} {
		if _, err := Decide(req); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
