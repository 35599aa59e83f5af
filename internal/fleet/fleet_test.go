package fleet

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/placement"
)

func cluster(name string, labels map[string]string, change ...func(*naasv1alpha1.Cluster)) naasv1alpha1.Cluster {
	c := naasv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	c.Status.Conditions = []metav1.Condition{{Type: naasv1alpha1.ClusterReachable, Status: metav1.ConditionTrue}}
	for _, f := range change {
		f(&c)
	}
	return c
}

func sel(k, v string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
}

func tenantPlaced(s *metav1.LabelSelector, tol ...naasv1alpha1.ClusterToleration) *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop"}, Spec: naasv1alpha1.TenantSpec{
		Placement: &naasv1alpha1.Placement{ClusterSelector: s, Tolerations: tol}}}
}

func tier(name, cpu, mem string, s *metav1.LabelSelector) *naasv1alpha1.Tier {
	q := corev1.ResourceList{}
	if cpu != "" {
		q["limits.cpu"] = resource.MustParse(cpu)
	}
	if mem != "" {
		q["limits.memory"] = resource.MustParse(mem)
	}
	return &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.TierSpec{Quota: q, ClusterSelector: s}}
}

func TestQuota_IsTheTiersLimitsWithTheTemplatesAdditions(t *testing.T) {
	tpl := &naasv1alpha1.NamespaceTemplate{Spec: naasv1alpha1.NamespaceTemplateSpec{QuotaAdditions: corev1.ResourceList{"limits.cpu": resource.MustParse("500m")}}}
	requestsOnly := &naasv1alpha1.Tier{Spec: naasv1alpha1.TierSpec{Quota: corev1.ResourceList{"requests.cpu": resource.MustParse("1"), "requests.memory": resource.MustParse("1Gi")}}}
	for name, tc := range map[string]struct {
		tier *naasv1alpha1.Tier
		tpl  *naasv1alpha1.NamespaceTemplate
		want placement.Resources
	}{
		"limits":                  {tier("dev", "2", "4Gi", nil), nil, placement.Resources{MilliCPU: 2000, MemoryBytes: 4 << 30}},
		"template additions":      {tier("dev", "2", "4Gi", nil), tpl, placement.Resources{MilliCPU: 2500, MemoryBytes: 4 << 30}},
		"requests when no limits": {requestsOnly, nil, placement.Resources{MilliCPU: 1000, MemoryBytes: 1 << 30}},
		"no tier":                 {nil, nil, placement.Resources{}},
		"no compute in the quota": {tier("objects", "", "", nil), nil, placement.Resources{}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Quota(tc.tier, tc.tpl); got != tc.want {
				t.Errorf("Quota = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRequest_GathersClustersConstraintsAndTolerations(t *testing.T) {
	tol := naasv1alpha1.ClusterToleration{Key: "dedicated", Operator: naasv1alpha1.ClusterTolerationEqual, Value: "gpu", Effect: naasv1alpha1.ClusterTaintNoSchedule}
	tpl := &naasv1alpha1.NamespaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: naasv1alpha1.NamespaceTemplateSpec{ClusterSelector: sel("cloud", "aws")}}
	claim := &naasv1alpha1.NamespaceClaim{Spec: naasv1alpha1.NamespaceClaimSpec{Cluster: "m2"}}
	clusters := []naasv1alpha1.Cluster{
		cluster("m1", map[string]string{"region": "eu"}, func(c *naasv1alpha1.Cluster) {
			c.Spec.Cordoned = true
			c.Spec.Taints = []naasv1alpha1.ClusterTaint{{Key: "dedicated", Value: "gpu", Effect: naasv1alpha1.ClusterTaintNoSchedule}}
			c.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi")}
		}),
		cluster("m2", nil, func(c *naasv1alpha1.Cluster) { c.Status.Conditions = nil }),
	}
	got := Request(Inputs{
		Claim: claim, Tenant: tenantPlaced(sel("region", "eu"), tol), Template: tpl, Tier: tier("prod", "1", "2Gi", sel("environment", "prod")),
		Clusters: clusters, Allocated: map[string]placement.Resources{"m1": {MilliCPU: 500}}, Spread: map[string]int{"m1": 3},
	})
	want := placement.Request{
		Clusters: []placement.Cluster{
			{Name: "m1", Labels: map[string]string{"region": "eu"}, Cordoned: true, Reachable: true,
				Taints:      []placement.Taint{{Key: "dedicated", Value: "gpu", Effect: placement.TaintNoSchedule}},
				Allocatable: placement.Resources{MilliCPU: 8000, MemoryBytes: 32 << 30}, Allocated: placement.Resources{MilliCPU: 500}},
			// No Reachable condition: not reachable; no allocatable reported: capacity does not limit.
			{Name: "m2", Allocatable: placement.Resources{MilliCPU: Unlimited, MemoryBytes: Unlimited}},
		},
		Constraints: []placement.Constraint{
			{From: "tenant shop", Selector: sel("region", "eu")},
			{From: "template web", Selector: sel("cloud", "aws")},
			{From: "tier prod", Selector: sel("environment", "prod")},
		},
		Tolerations: []placement.Toleration{{Key: "dedicated", Operator: placement.TolerationEqual, Value: "gpu", Effect: placement.TaintNoSchedule}},
		Cluster:     "m2",
		Quota:       placement.Resources{MilliCPU: 1000, MemoryBytes: 2 << 30},
		Spread:      map[string]int{"m1": 3},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Request (-want +got):\n%s", diff)
	}
}

func TestUsableAndCheckRequested_AreAboutWhatTheTenantMayUseNotTheClustersStateNow(t *testing.T) {
	taint := func(c *naasv1alpha1.Cluster) {
		c.Spec.Taints = []naasv1alpha1.ClusterTaint{{Key: "dedicated", Value: "gpu", Effect: naasv1alpha1.ClusterTaintNoSchedule}}
	}
	unreachableCordonedFull := func(c *naasv1alpha1.Cluster) {
		c.Spec.Cordoned, c.Status.Conditions = true, nil
		c.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1m")}
	}
	fleet := []naasv1alpha1.Cluster{
		cluster("local", nil),
		cluster("dev-1", map[string]string{"environment": "dev"}, unreachableCordonedFull),
		cluster("prod-1", map[string]string{"environment": "prod"}),
		cluster("gpu-1", map[string]string{"environment": "dev"}, taint),
	}
	devTenant := tenantPlaced(sel("environment", "dev"))
	for name, tc := range map[string]struct {
		clusters   []naasv1alpha1.Cluster
		tenant     *naasv1alpha1.Tenant
		tier       *naasv1alpha1.Tier
		requested  string
		wantUsable []string
		wantErr    string
	}{
		"single cluster, nothing named":  {clusters: nil, tenant: devTenant, wantUsable: []string{"local"}},
		"single cluster, local named":    {clusters: []naasv1alpha1.Cluster{cluster("local", nil)}, tenant: devTenant, requested: "local", wantUsable: []string{"local"}},
		"state does not matter":          {clusters: fleet, tenant: devTenant, requested: "dev-1", wantUsable: []string{"dev-1"}},
		"outside the tenant's selector":  {clusters: fleet, tenant: devTenant, requested: "prod-1", wantUsable: []string{"dev-1"}, wantErr: "may not be placed on cluster prod-1: its labels do not match the cluster selector of tenant shop"},
		"untolerated taint":              {clusters: fleet, tenant: devTenant, requested: "gpu-1", wantUsable: []string{"dev-1"}, wantErr: "does not tolerate its taints dedicated=gpu:NoSchedule; clusters it may use: dev-1"},
		"tolerated taint":                {clusters: fleet, tenant: tenantPlaced(sel("environment", "dev"), naasv1alpha1.ClusterToleration{Key: "dedicated", Operator: naasv1alpha1.ClusterTolerationExists}), requested: "gpu-1", wantUsable: []string{"dev-1", "gpu-1"}},
		"tier narrows":                   {clusters: fleet, tenant: &naasv1alpha1.Tenant{}, tier: tier("prod", "1", "1Gi", sel("environment", "prod")), requested: "dev-1", wantUsable: []string{"prod-1"}, wantErr: "cluster selector of tier prod"},
		"not registered":                 {clusters: fleet, tenant: devTenant, requested: "nosuch", wantUsable: []string{"dev-1"}, wantErr: "no such cluster is registered; clusters the namespace may use: dev-1"},
		"no tenant placement: every one": {clusters: fleet, tenant: &naasv1alpha1.Tenant{}, wantUsable: []string{"dev-1", "local", "prod-1"}},
	} {
		t.Run(name, func(t *testing.T) {
			usable, err := Usable(tc.tenant, nil, tc.tier, tc.clusters)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantUsable, usable); diff != "" {
				t.Errorf("Usable (-want +got):\n%s", diff)
			}
			claim := &naasv1alpha1.NamespaceClaim{Spec: naasv1alpha1.NamespaceClaimSpec{Cluster: tc.requested}}
			ferr := CheckRequested(claim, tc.tenant, nil, tc.tier, tc.clusters)
			switch {
			case tc.wantErr == "" && ferr != nil:
				t.Errorf("CheckRequested = %v, want nil", ferr)
			case tc.wantErr != "" && (ferr == nil || !strings.Contains(ferr.Error(), tc.wantErr)):
				t.Errorf("CheckRequested = %v, want %q", ferr, tc.wantErr)
			}
		})
	}
}

func TestReservations_PruneAddToAndOf(t *testing.T) {
	r := &Reservations{}
	r.Add("a", "uid-a", "m1", placement.Resources{MilliCPU: 100, MemoryBytes: 10}, "placed on m1")
	r.Add("b", "uid-b", "m1", placement.Resources{MilliCPU: 200, MemoryBytes: 20}, "")
	r.Add("c", "uid-c", "m2", placement.Resources{MilliCPU: 300}, "")
	r.Add("d", "uid-d", "m2", placement.Resources{MilliCPU: 400}, "")
	if got := r.Of("a", "uid-a"); got != "m1" {
		t.Errorf("Of(a) = %q", got)
	}
	if got := r.Of("a", "uid-other"); got != "" {
		t.Errorf("Of(a) of another claim of the same name = %q, want none", got)
	}
	cp := r.Copy()
	cache := map[string]struct {
		uid, cluster string
	}{"a": {"uid-a", "m1"}, "b": {"uid-b", ""}, "c": {"uid-c2", ""}}
	pruned := r.Prune(func(name, uid string) (string, bool) {
		c, ok := cache[name]
		if !ok || c.uid != uid {
			return "", false
		}
		return c.cluster, true
	})
	// a: the cache shows it placed; c: made again under the same name; d: gone. b is still in flight.
	if !pruned || len(r.Claims) != 1 || r.Of("b", "uid-b") != "m1" {
		t.Errorf("after Prune: %+v", r.Claims)
	}
	if len(cp.Claims) != 4 {
		t.Errorf("the copy changed with the original: %+v", cp.Claims)
	}
	allocated := map[string]placement.Resources{"m1": {MilliCPU: 1000}}
	cp.AddTo(allocated)
	want := map[string]placement.Resources{"m1": {MilliCPU: 1300, MemoryBytes: 30}, "m2": {MilliCPU: 700}}
	if diff := cmp.Diff(want, allocated); diff != "" {
		t.Errorf("AddTo (-want +got):\n%s", diff)
	}
}
