package namespaceclaim

import (
	"context"
	"fmt"
	"maps"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
)

// SetupWithManager registers the controller. Namespaces and the objects in them are
// mapped back to their claim by the naas.dev/claim label, so any change to them is healed
// at once; each target cluster's inventory tells of them.
// CustomResourceDefinitions are watched (metadata only, by a controller of their own, see
// crdReconciler) so that a step waiting for an add-on's kinds completes as soon as they are installed.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, workers int) error {
	if r.Kinds == nil {
		// The management cluster is the only target cluster today.
		d, err := discovery.NewDiscoveryClientForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
		if err != nil {
			return fmt.Errorf("create a discovery client: %w", err)
		}
		r.Kinds = NewServedKinds(d)
	}
	if r.Events == nil {
		r.Events = newEventRecorder(mgr)
	}
	byClaimLabel := func(o client.Object) []reconcile.Request {
		l := o.GetLabels()
		name, ok := l[naasv1alpha1.LabelClaim]
		if !ok || l[naasv1alpha1.LabelManagedBy] != naasv1alpha1.ManagedByValue {
			return nil
		}
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: name}}}
	}
	requeue := make(claimRequeuer, 1024)
	if err := r.setupRequeuers(mgr, requeue); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("namespaceclaim").
		For(&naasv1alpha1.NamespaceClaim{})
	// Every cluster's inventory, members registered later included.
	b = b.WatchesRawSource(r.Clusters.Source(func(_ string, o client.Object) []reconcile.Request { return byClaimLabel(o) }))
	return b.
		// A cluster turning reachable, unreachable or ready again: its claims report it, or heal what changed
		// meanwhile.
		Watches(&naasv1alpha1.Cluster{}, r.claimsBy(cacheindex.ClaimCluster), builder.WithPredicates(clusterAvailabilityChanged())).
		Watches(&naasv1alpha1.Tenant{}, r.claimsBy(cacheindex.ClaimTenant), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.Tenant{}, r.claimsBy(cacheindex.ClaimCollaborator), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.NamespaceTemplate{}, r.claimsBy(cacheindex.ClaimTemplate), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.Tier{}, r.claimsBy(cacheindex.ClaimTier), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.Cluster{}, r.unplacedClaims(), builder.WithPredicates(placementInputChanged{})).
		WatchesRawSource(source.Channel(requeue, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}

// clusterAvailabilityChanged passes the changes of a Cluster that change what its claims can do: its Reachable,
// Installed or Ready condition, or its removal.
func clusterAvailabilityChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return true },
		DeleteFunc: func(event.DeleteEvent) bool { return true },
		UpdateFunc: func(e event.UpdateEvent) bool {
			was, is := e.ObjectOld.(*naasv1alpha1.Cluster), e.ObjectNew.(*naasv1alpha1.Cluster)
			if was == nil || is == nil {
				return false
			}
			if was.DeletionTimestamp.IsZero() != is.DeletionTimestamp.IsZero() {
				return true
			}
			for _, t := range []string{naasv1alpha1.ClusterReachable, naasv1alpha1.ClusterInstalled, naasv1alpha1.ClusterReady} {
				if meta.IsStatusConditionTrue(was.Status.Conditions, t) != meta.IsStatusConditionTrue(is.Status.Conditions, t) {
					return true
				}
			}
			return false
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
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

// unplacedClaims enqueues the claims not placed yet, whichever Cluster changed: a new cluster, a label, an uncordon
// or room freed may let them be placed.
func (r *Reconciler) unplacedClaims() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, _ client.Object) []reconcile.Request {
		claims := &naasv1alpha1.NamespaceClaimList{}
		if err := r.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimUnplaced: "true"}, client.UnsafeDisableDeepCopy); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "List unplaced claims to requeue")
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(claims.Items))
		for _, c := range claims.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKey{Name: c.Name}})
		}
		return reqs
	})
}

// placementInputChanged passes the Cluster events that may change a placement decision: not a heartbeat alone.
type placementInputChanged struct{ predicate.Funcs }

// Update implements predicate.Predicate.
func (placementInputChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*naasv1alpha1.Cluster)
	n, ok2 := e.ObjectNew.(*naasv1alpha1.Cluster)
	if !ok1 || !ok2 {
		return true
	}
	return o.Generation != n.Generation || !maps.Equal(o.Labels, n.Labels) ||
		meta.IsStatusConditionTrue(o.Status.Conditions, naasv1alpha1.ClusterReachable) != meta.IsStatusConditionTrue(n.Status.Conditions, naasv1alpha1.ClusterReachable) ||
		!apiequality.Semantic.DeepEqual(o.Status.Allocatable, n.Status.Allocatable)
}

// crdGroup is the API group of a CustomResourceDefinition, from its name <plural>.<group>.
func crdGroup(name string) string {
	_, group, _ := strings.Cut(name, ".")
	return group
}
