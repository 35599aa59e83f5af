// Package tenant keeps each Tenant's status (its namespace count) and the
// per-tenant namespace gauge up to date.
package tenant

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
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
)

// Reconciler reconciles Tenants.
type Reconciler struct {
	Client client.Client
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
	// The claims are only counted: read without copies, which at 1,000 namespaces in a tenant were megabytes on
	// every claim created or deleted.
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := r.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimTenant: t.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return ctrl.Result{}, fmt.Errorf("list claims of tenant %s: %w", t.Name, err)
	}
	count := int32(len(claims.Items))
	if r.Namespaces != nil {
		r.Namespaces.WithLabelValues(t.Name).Set(float64(count))
	}
	before := t.Status.DeepCopy()
	t.Status.NamespaceCount = count
	t.Status.ObservedGeneration = t.Generation
	msg := fmt.Sprintf("%d namespaces", count)
	if t.Spec.MaxNamespaces != nil {
		msg = fmt.Sprintf("%d of at most %d namespaces", count, *t.Spec.MaxNamespaces)
	}
	meta.SetStatusCondition(&t.Status.Conditions, metav1.Condition{
		Type: naasv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: naasv1alpha1.ReasonReconciled,
		Message: msg, ObservedGeneration: t.Generation,
	})
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

// SetupWithManager registers the controller; claims are mapped to their tenant.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("tenant").
		For(&naasv1alpha1.Tenant{}).
		Watches(&naasv1alpha1.NamespaceClaim{}, handler.EnqueueRequestsFromMapFunc(
			func(_ context.Context, o client.Object) []reconcile.Request {
				return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: o.(*naasv1alpha1.NamespaceClaim).Spec.Tenant}}}
			}),
			// Only a new or deleted claim changes a tenant's count (spec.tenant is immutable).
			builder.WithPredicates(predicate.Funcs{UpdateFunc: func(event.UpdateEvent) bool { return false }})).
		Complete(r)
}
