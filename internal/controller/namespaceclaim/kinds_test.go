package namespaceclaim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	discoveryfake "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
)

var (
	ruleKind    = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"}
	routingKind = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1alpha1", Kind: "AlertmanagerConfig"}
	cmKind      = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
)

// discoveryOf serves the given resource lists and counts the questions it is asked.
type discoveryOf struct {
	*discoveryfake.FakeDiscovery
}

func newDiscovery(lists ...*metav1.APIResourceList) discoveryOf {
	return discoveryOf{&discoveryfake.FakeDiscovery{Fake: &clienttesting.Fake{Resources: lists}}}
}

func (d discoveryOf) calls() int { return len(d.Actions()) }

func resources(gv string, kinds ...string) *metav1.APIResourceList {
	l := &metav1.APIResourceList{GroupVersion: gv}
	for _, k := range kinds {
		l.APIResources = append(l.APIResources, metav1.APIResource{Name: k + "s", Kind: k},
			metav1.APIResource{Name: k + "s/status", Kind: k + "Status"})
	}
	return l
}

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestServedKinds_Missing(t *testing.T) {
	d := newDiscovery(resources("v1", "ConfigMap"), resources("monitoring.coreos.com/v1", "PrometheusRule"))
	s := NewServedKinds(d)
	tests := []struct {
		name  string
		kinds []schema.GroupVersionKind
		want  []schema.GroupVersionKind
	}{
		{"nothing asked", nil, nil},
		{"all served", []schema.GroupVersionKind{cmKind, ruleKind}, nil},
		{"a group version not served", []schema.GroupVersionKind{ruleKind, routingKind}, []schema.GroupVersionKind{routingKind}},
		{"a kind the group version does not have", []schema.GroupVersionKind{{Group: "monitoring.coreos.com", Version: "v1", Kind: "Probe"}},
			[]schema.GroupVersionKind{{Group: "monitoring.coreos.com", Version: "v1", Kind: "Probe"}}},
		{"a subresource's kind is no kind of the group", []schema.GroupVersionKind{{Version: "v1", Kind: "ConfigMapStatus"}},
			[]schema.GroupVersionKind{{Version: "v1", Kind: "ConfigMapStatus"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Missing(context.Background(), tt.kinds)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Missing mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServedKinds_AsksDiscoveryOncePerGroupVersionAndTTL(t *testing.T) {
	ctx := context.Background()
	d := newDiscovery(resources("monitoring.coreos.com/v1", "PrometheusRule"))
	clk := &clock{t: time.Unix(1000, 0)}
	s := NewServedKindsWithTTL(d, time.Minute, 2*time.Second, clk.now)
	ask := func(kinds ...schema.GroupVersionKind) {
		t.Helper()
		if _, err := s.Missing(ctx, kinds); err != nil {
			t.Fatal(err)
		}
	}

	for range 1000 { // a thousand claims reconciled in a burst
		ask(ruleKind, routingKind)
	}
	if got := d.calls(); got != 2 {
		t.Fatalf("discovery calls after a burst = %d, want 2 (one per group version)", got)
	}
	clk.advance(3 * time.Second) // the "not served" answer expired, the "served" one did not
	ask(ruleKind, routingKind)
	if got := d.calls(); got != 3 {
		t.Fatalf("discovery calls after the short TTL = %d, want 3", got)
	}
	clk.advance(time.Minute)
	ask(ruleKind)
	if got := d.calls(); got != 4 {
		t.Fatalf("discovery calls after the long TTL = %d, want 4", got)
	}
}

func TestServedKinds_AKindMissingFromAServedGroupVersionIsAskedAgainAfterTheShortTTL(t *testing.T) {
	ctx := context.Background()
	// The ServiceMonitor CRD is established, the PrometheusRule CRD of the same group version not yet.
	d := newDiscovery(resources("monitoring.coreos.com/v1", "ServiceMonitor"))
	clk := &clock{t: time.Unix(1000, 0)}
	s := NewServedKindsWithTTL(d, time.Hour, 2*time.Second, clk.now)
	if missing, _ := s.Missing(ctx, []schema.GroupVersionKind{ruleKind}); len(missing) != 1 {
		t.Fatalf("missing = %v, want PrometheusRule", missing)
	}
	d.Resources = []*metav1.APIResourceList{resources("monitoring.coreos.com/v1", "ServiceMonitor", "PrometheusRule")}
	clk.advance(3 * time.Second)
	if missing, err := s.Missing(ctx, []schema.GroupVersionKind{ruleKind}); err != nil || len(missing) != 0 {
		t.Fatalf("after the short TTL: missing = %v, %v; want none (the group version's answer must not be trusted for the long TTL)", missing, err)
	}
}

func TestServedKinds_InvalidateSeesANewCRDAtOnce(t *testing.T) {
	ctx := context.Background()
	d := newDiscovery()
	s := NewServedKindsWithTTL(d, time.Hour, time.Hour, time.Now)
	if missing, _ := s.Missing(ctx, []schema.GroupVersionKind{ruleKind}); len(missing) != 1 {
		t.Fatalf("before the CRD: missing = %v, want PrometheusRule", missing)
	}
	d.Resources = append(d.Resources, resources("monitoring.coreos.com/v1", "PrometheusRule"))
	if missing, _ := s.Missing(ctx, []schema.GroupVersionKind{ruleKind}); len(missing) != 1 {
		t.Fatalf("cached answer: missing = %v, want PrometheusRule until invalidated", missing)
	}
	s.Invalidate("other.example.com")
	if missing, _ := s.Missing(ctx, []schema.GroupVersionKind{ruleKind}); len(missing) != 1 {
		t.Fatalf("another group's invalidation changed the answer: missing = %v", missing)
	}
	s.Invalidate("monitoring.coreos.com")
	if missing, err := s.Missing(ctx, []schema.GroupVersionKind{ruleKind}); err != nil || len(missing) != 0 {
		t.Fatalf("after invalidation: missing = %v, %v; want none", missing, err)
	}
}

func TestServedKinds_AskedOnlyAboutRequiredGroups(t *testing.T) {
	s := NewServedKinds(newDiscovery())
	if s.Asked("monitoring.coreos.com") {
		t.Fatal("Asked before any question")
	}
	_, _ = s.Missing(context.Background(), []schema.GroupVersionKind{ruleKind})
	if !s.Asked("monitoring.coreos.com") || s.Asked("cert-manager.io") {
		t.Errorf("Asked(monitoring.coreos.com) = %v, Asked(cert-manager.io) = %v; want true, false",
			s.Asked("monitoring.coreos.com"), s.Asked("cert-manager.io"))
	}
}

func TestServedKinds_DiscoveryErrorsAreReturnedNotCached(t *testing.T) {
	ctx := context.Background()
	d := newDiscovery(resources("monitoring.coreos.com/v1", "PrometheusRule"))
	fail := true
	d.PrependReactor("*", "*", func(clienttesting.Action) (bool, runtime.Object, error) {
		if fail {
			return true, nil, errors.New("connection refused")
		}
		return false, nil, nil
	})
	s := NewServedKinds(d)
	if _, err := s.Missing(ctx, []schema.GroupVersionKind{ruleKind}); err == nil {
		t.Fatal("want the discovery error")
	}
	fail = false
	if missing, err := s.Missing(ctx, []schema.GroupVersionKind{ruleKind}); err != nil || len(missing) != 0 {
		t.Fatalf("after discovery recovers: missing = %v, %v; want none", missing, err)
	}
}

func TestCRDGroup(t *testing.T) {
	for name, want := range map[string]string{
		"prometheusrules.monitoring.coreos.com": "monitoring.coreos.com",
		"gateways.gateway.networking.k8s.io":    "gateway.networking.k8s.io",
		"nodot":                                 "",
	} {
		if got := crdGroup(name); got != want {
			t.Errorf("crdGroup(%q) = %q, want %q", name, got, want)
		}
	}
}
