// Package tenant keeps each Tenant's status up to date: its namespace count, the per-tenant namespace gauge,
// and a Ready condition that says whether its namespaces, claims, limits and members agree.
package tenant

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/cluster"
)

// Reconciler reconciles Tenants.
type Reconciler struct {
	Client client.Client
	// Clusters are the target clusters whose namespaces the tenant's Ready accounts for (their clients read
	// namespaces' metadata from the inventory); nil looks at claims, limits and quota only.
	Clusters cluster.Resolver
	// Namespaces is the per-tenant namespace gauge; nil records nothing.
	Namespaces *prometheus.GaugeVec
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// NewNamespacesGauge creates and registers platform_tenant_namespaces.
func NewNamespacesGauge(reg prometheus.Registerer) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "platform_tenant_namespaces",
		Help: "Number of namespace claims per tenant.",
	}, []string{"tenant"})
	reg.MustRegister(g)
	return g
}

// Reconcile implements reconcile.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	t := &naasv1alpha1.Tenant{}
	if err := r.Client.Get(ctx, req.NamespacedName, t); err != nil {
		if client.IgnoreNotFound(err) == nil && r.Namespaces != nil {
			r.Namespaces.DeleteLabelValues(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	o, err := r.observe(ctx, t)
	if err != nil {
		return ctrl.Result{}, err
	}
	count := int32(len(o.claims))
	if r.Namespaces != nil {
		r.Namespaces.WithLabelValues(t.Name).Set(float64(count))
	}
	before := t.Status.DeepCopy()
	t.Status.NamespaceCount = count
	t.Status.ObservedGeneration = t.Generation
	meta.SetStatusCondition(&t.Status.Conditions, readiness(t, o))
	if apiequality.Semantic.DeepEqual(*before, t.Status) {
		return ctrl.Result{}, nil
	}
	patch := t.DeepCopy()
	patch.Status = *before
	if err := r.Client.Status().Patch(ctx, t, client.MergeFrom(patch)); err != nil {
		return ctrl.Result{}, fmt.Errorf("patch status of tenant %s: %w", t.Name, err)
	}
	return ctrl.Result{}, nil
}

// observe reads the tenant's claims, the namespaces labelled for it and its members' namespaces.
func (r *Reconciler) observe(ctx context.Context, t *naasv1alpha1.Tenant) (observed, error) {
	var o observed
	// Read without copies: at 1,000 namespaces in a tenant, copies were megabytes on every claim created or
	// deleted.
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := r.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimTenant: t.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return o, fmt.Errorf("list claims of tenant %s: %w", t.Name, err)
	}
	for i := range claims.Items {
		c := &claims.Items[i]
		o.claims = append(o.claims, claimState{name: c.Name, namespaceMade: meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionNamespace)})
	}
	if r.Clusters == nil {
		return o, nil
	}
	o.namespaces = []namespaceState{}
	for _, target := range r.Clusters.Targets() {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("NamespaceList"))
		if err := target.Client.List(ctx, list, client.MatchingLabels{
			naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelTenant: t.Name,
		}); err != nil {
			return o, fmt.Errorf("list the namespaces of tenant %s on cluster %s: %w", t.Name, target.Name, err)
		}
		for _, ns := range list.Items {
			o.namespaces = append(o.namespaces, namespaceState{name: ns.Name, claim: ns.Labels[naasv1alpha1.LabelClaim], deleting: !ns.DeletionTimestamp.IsZero()})
		}
	}
	if err := r.confirmMissing(ctx, &o); err != nil {
		return o, err
	}
	for _, ns := range cacheindex.TenantServiceAccountNamespaces(t) {
		found, err := r.namespaceExists(ctx, ns)
		if err != nil {
			return o, err
		}
		if !found {
			o.missingMemberNamespaces = append(o.missingMemberNamespaces, ns)
		}
	}
	return o, nil
}

// confirmMissing reads directly the namespaces of claims that should have one and that the inventory does not
// show: the inventory may lag a namespace made a moment ago, and a tenant must not turn unready for that.
func (r *Reconciler) confirmMissing(ctx context.Context, o *observed) error {
	present := map[string]bool{}
	for _, ns := range o.namespaces {
		present[ns.name] = true
	}
	checked := 0
	for _, c := range o.claims {
		if !c.namespaceMade || present[c.name] || checked > maxListed {
			continue
		}
		checked++
		for _, target := range r.Clusters.Targets() {
			ns := &metav1.PartialObjectMetadata{}
			ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
			err := target.Reader.Get(ctx, client.ObjectKey{Name: c.name}, ns)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("get namespace %s on cluster %s: %w", c.name, target.Name, err)
			}
			o.namespaces = append(o.namespaces, namespaceState{name: ns.Name, claim: ns.Labels[naasv1alpha1.LabelClaim], deleting: !ns.DeletionTimestamp.IsZero()})
			break
		}
	}
	return nil
}

// namespaceExists tells whether a namespace of that name exists on some target cluster.
func (r *Reconciler) namespaceExists(ctx context.Context, name string) (bool, error) {
	for _, target := range r.Clusters.Targets() {
		ns := &metav1.PartialObjectMetadata{}
		ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
		err := target.Client.Get(ctx, client.ObjectKey{Name: name}, ns)
		switch {
		case err == nil:
			return true, nil
		case !apierrors.IsNotFound(err):
			return false, fmt.Errorf("get namespace %s on cluster %s: %w", name, target.Name, err)
		}
	}
	return false, nil
}

// SetupWithManager registers the controller. A tenant is looked at again when it changes (its status too: the
// quota controller publishes its usage there), when one of its claims is created or deleted or its namespace
// made or lost, and, through each target cluster's inventory, when a namespace labelled for it or named by its
// ServiceAccount owners changes.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		Named("tenant").
		For(&naasv1alpha1.Tenant{}).
		Watches(&naasv1alpha1.NamespaceClaim{}, handler.EnqueueRequestsFromMapFunc(
			func(_ context.Context, o client.Object) []reconcile.Request {
				return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: o.(*naasv1alpha1.NamespaceClaim).Spec.Tenant}}}
			}),
			// A claim changes its tenant's count when it is created or deleted (spec.tenant is immutable), its
			// consistency when its namespace is made or lost.
			builder.WithPredicates(predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
				was, is := e.ObjectOld.(*naasv1alpha1.NamespaceClaim), e.ObjectNew.(*naasv1alpha1.NamespaceClaim)
				return meta.IsStatusConditionTrue(was.Status.Conditions, naasv1alpha1.ConditionNamespace) !=
					meta.IsStatusConditionTrue(is.Status.Conditions, naasv1alpha1.ConditionNamespace)
			}}))
	if r.Clusters != nil {
		b = b.WatchesRawSource(r.Clusters.Source(func(_ string, o client.Object) []reconcile.Request { return r.tenantsOfNamespace(o) }))
	}
	return b.Complete(r)
}

// tenantsOfNamespace maps a namespace to the tenant it is labelled for and the tenants whose ServiceAccount owners
// live in it. The inventory tells of naas's other objects too; they are not namespaces and map to nothing.
func (r *Reconciler) tenantsOfNamespace(o client.Object) []reconcile.Request {
	if o.GetNamespace() != "" || o.GetObjectKind().GroupVersionKind().Kind != "Namespace" {
		return nil
	}
	var reqs []reconcile.Request
	if l := o.GetLabels(); l[naasv1alpha1.LabelManagedBy] == naasv1alpha1.ManagedByValue && l[naasv1alpha1.LabelTenant] != "" {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKey{Name: l[naasv1alpha1.LabelTenant]}})
	}
	tenants := &naasv1alpha1.TenantList{}
	if err := r.Client.List(context.Background(), tenants, client.MatchingFields{cacheindex.TenantServiceAccountNamespace: o.GetName()},
		client.UnsafeDisableDeepCopy); err == nil {
		for _, t := range tenants.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKey{Name: t.Name}})
		}
	}
	return reqs
}
