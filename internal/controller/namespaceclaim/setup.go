package namespaceclaim

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Field indexes of NamespaceClaims, used to find the claims a tenant, template or tier change affects.
const (
	IndexTenant   = "spec.tenant"
	IndexTemplate = "spec.template"
	IndexTier     = "status.tier"
)

// SetupIndexes registers the claim field indexes with the manager's cache.
func SetupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	for name, f := range map[string]func(*naasv1alpha1.NamespaceClaim) string{
		IndexTenant:   func(c *naasv1alpha1.NamespaceClaim) string { return c.Spec.Tenant },
		IndexTemplate: func(c *naasv1alpha1.NamespaceClaim) string { return c.Spec.Template },
		IndexTier:     func(c *naasv1alpha1.NamespaceClaim) string { return c.Status.Tier },
	} {
		if err := idx.IndexField(ctx, &naasv1alpha1.NamespaceClaim{}, name, func(o client.Object) []string {
			return []string{f(o.(*naasv1alpha1.NamespaceClaim))}
		}); err != nil {
			return err
		}
	}
	return nil
}

// SetupWithManager registers the controller. Objects in namespaces are mapped back to
// their claim by the naas.dev/claim label, so any change to them is healed at once.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, workers int) error {
	byClaimLabel := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		name, ok := o.GetLabels()[naasv1alpha1.LabelClaim]
		if !ok {
			return nil
		}
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: name}}}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("namespaceclaim").
		For(&naasv1alpha1.NamespaceClaim{}).
		Watches(&corev1.Namespace{}, byClaimLabel).
		Watches(&corev1.ResourceQuota{}, byClaimLabel).
		Watches(&corev1.LimitRange{}, byClaimLabel).
		Watches(&rbacv1.RoleBinding{}, byClaimLabel).
		Watches(&networkingv1.NetworkPolicy{}, byClaimLabel).
		Watches(&naasv1alpha1.Tenant{}, r.claimsBy(IndexTenant), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.NamespaceTemplate{}, r.claimsBy(IndexTemplate), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.Tier{}, r.claimsBy(IndexTier), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}

// claimsBy enqueues the claims whose indexed field names the changed object.
func (r *Reconciler) claimsBy(index string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		claims := &naasv1alpha1.NamespaceClaimList{}
		if err := r.Client.List(ctx, claims, client.MatchingFields{index: o.GetName()}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "List claims to requeue", "index", index, "name", o.GetName())
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(claims.Items))
		for _, c := range claims.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKey{Name: c.Name}})
		}
		return reqs
	})
}
