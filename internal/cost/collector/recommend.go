package collector

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/pricing"
	"github.com/naas-dev/naas/internal/cost/rightsizing"
)

// ErrNoUsage is Recommend's error when no Prometheus is configured: requests cannot be sized without usage.
var ErrNoUsage = errors.New("no Prometheus is configured (naas --prometheus-url): without measured usage there is nothing to size requests by")

// ErrUsageUnavailable wraps the error of a Prometheus that did not answer.
var ErrUsageUnavailable = errors.New("prometheus did not answer")

// RecommendQuery is what right-sizing is asked for.
type RecommendQuery struct {
	// Namespace is the namespace whose workloads are sized.
	Namespace string
	// Cluster is the target the namespace is on; the first target when empty.
	Cluster string
	// Window is how far back p95 usage is taken, up to End (now, by the collector's clock, when zero).
	Window time.Duration
	End    time.Time
	// CurrentTier is the namespace's tier; Tiers those it may move to.
	CurrentTier string
	Tiers       []naasv1alpha1.Tier
	// Currency prices savings; the cost policy's when empty.
	Currency string
}

// Recommendation is a namespace's right-sizing and the currency of its savings.
type Recommendation struct {
	rightsizing.NamespaceRecommendation
	// End is when the window ended.
	End      time.Time
	Currency string
	// Book is the PriceBook that priced the savings.
	Book string
}

// Recommend sizes the requests of the namespace's Deployments, StatefulSets and DaemonSets by the 95th percentile
// of their containers' usage over the window (rightsizing.DefaultRule), prices the change with the cluster's
// PriceBook, and picks the smallest of q.Tiers the recommended requests fit.
func (c *Collector) Recommend(ctx context.Context, q RecommendQuery) (*Recommendation, error) {
	if c.opts.Usage == nil {
		return nil, ErrNoUsage
	}
	t, err := c.target(q.Cluster)
	if err != nil {
		return nil, err
	}
	specs, err := WorkloadSpecs(ctx, t.Reader, q.Namespace)
	if err != nil {
		return nil, err
	}
	end := q.End
	if end.IsZero() {
		end = c.opts.Now()
	}
	p95, err := c.opts.Usage.P95(ctx, q.Namespace, q.Window, end)
	if err != nil {
		return nil, fmt.Errorf("%w: p95 usage of namespace %s: %w", ErrUsageUnavailable, q.Namespace, err)
	}
	usage := make([]rightsizing.PodUsage, 0, len(p95))
	for k, u := range p95 {
		if k.Namespace == q.Namespace {
			usage = append(usage, rightsizing.PodUsage{Pod: k.Pod, Container: k.Container, CPUMillicores: u.CPUMillicores, MemoryBytes: u.MemoryBytes})
		}
	}
	cfg, err := c.Config(ctx)
	if err != nil {
		return nil, err
	}
	catalog := cfg.Catalog
	if q.Currency != "" && q.Currency != catalog.Currency() {
		if catalog, err = pricing.NewCatalog(cfg.Books, q.Currency); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadReport, err)
		}
	}
	// Pods of one workload may run on several node pools: the cluster's book prices the change.
	prices, err := catalog.For(t.Name, "")
	if err != nil {
		return nil, err
	}
	rule := rightsizing.DefaultRule()
	var recs []rightsizing.WorkloadRecommendation
	for _, w := range rightsizing.Workloads(q.Namespace, specs, usage) {
		recs = append(recs, rightsizing.Recommend(w, rule, prices, q.Window))
	}
	return &Recommendation{
		NamespaceRecommendation: rightsizing.ForNamespace(q.Namespace, q.CurrentTier, recs, q.Tiers),
		Currency:                prices.Currency, Book: prices.Book, End: end,
	}, nil
}

// target is the target named name, or the first when name is empty.
func (c *Collector) target(name string) (Target, error) {
	targets := c.opts.Targets()
	for _, t := range targets {
		if name == "" || t.Name == name {
			return t, nil
		}
	}
	return Target{}, fmt.Errorf("no cluster %q to read workloads from", name)
}

// WorkloadSpecs lists the Deployments, StatefulSets and DaemonSets of namespace with their replicas and the
// requests of their pod templates' containers.
func WorkloadSpecs(ctx context.Context, r client.Reader, namespace string) ([]rightsizing.Spec, error) {
	var (
		deployments  appsv1.DeploymentList
		statefulSets appsv1.StatefulSetList
		daemonSets   appsv1.DaemonSetList
	)
	for _, l := range []struct {
		what string
		list client.ObjectList
	}{{"deployments", &deployments}, {"stateful sets", &statefulSets}, {"daemon sets", &daemonSets}} {
		if err := r.List(ctx, l.list, client.InNamespace(namespace)); err != nil {
			return nil, fmt.Errorf("list %s of %s: %w", l.what, namespace, err)
		}
	}
	var out []rightsizing.Spec
	for i := range deployments.Items {
		d := &deployments.Items[i]
		out = append(out, spec(rightsizing.KindDeployment, d.Name, replicas(d.Spec.Replicas), &d.Spec.Template.Spec))
	}
	for i := range statefulSets.Items {
		s := &statefulSets.Items[i]
		out = append(out, spec(rightsizing.KindStatefulSet, s.Name, replicas(s.Spec.Replicas), &s.Spec.Template.Spec))
	}
	for i := range daemonSets.Items {
		d := &daemonSets.Items[i]
		out = append(out, spec(rightsizing.KindDaemonSet, d.Name, int64(d.Status.DesiredNumberScheduled), &d.Spec.Template.Spec))
	}
	return out, nil
}

// replicas is a workload's spec.replicas, which defaults to 1.
func replicas(r *int32) int64 {
	if r == nil {
		return 1
	}
	return int64(*r)
}

func spec(kind, name string, replicas int64, pod *corev1.PodSpec) rightsizing.Spec {
	s := rightsizing.Spec{Kind: kind, Name: name, Replicas: replicas}
	for _, c := range pod.Containers {
		r := c.Resources.Requests
		s.Containers = append(s.Containers, rightsizing.ContainerRequests{Name: c.Name, CPUMillicores: r.Cpu().MilliValue(), MemoryBytes: r.Memory().Value()})
	}
	return s
}
