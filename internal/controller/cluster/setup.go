package cluster

import (
	"context"

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

// ControllerName names the controller in logs and metrics.
const ControllerName = "cluster"

// Workers is how many Clusters are reconciled at once.
const Workers = 4

// SetupWithManager registers the controller and its heartbeat. A Cluster is reconciled when it changes; when its
// reachability changes, and once a HeartbeatOptions.StatusPeriod (heartbeat); when a Tenant or Tier changes (every
// cluster keeps their policies and levels); when one of its claims is created, deleted or gets its tier; and when
// naas's cluster-wide objects on it change (its inventory), so that they are put back.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	hb := r.heartbeat()
	if err := mgr.Add(hb); err != nil {
		return err
	}
	r.watches = &secretWatches{md: r.SecretsMetadata, namespace: r.Namespace, changed: hb.enqueue}
	if err := mgr.Add(r.watches); err != nil {
		return err
	}
	allClusters := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, _ client.Object) []reconcile.Request {
		var reqs []reconcile.Request
		for _, m := range r.Registry.Members() {
			if m.Name != naasv1alpha1.LocalClusterName {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKey{Name: m.Name}})
			}
		}
		return reqs
	})
	ofClaim := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		c, ok := o.(*naasv1alpha1.NamespaceClaim)
		if !ok {
			return nil
		}
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: cacheindex.ClusterOf(c)}}}
	})
	claimCounts := predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		was, ok1 := e.ObjectOld.(*naasv1alpha1.NamespaceClaim)
		is, ok2 := e.ObjectNew.(*naasv1alpha1.NamespaceClaim)
		return ok1 && ok2 && (was.Status.Tier != is.Status.Tier || cacheindex.ClusterOf(was) != cacheindex.ClusterOf(is))
	}}
	return ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&naasv1alpha1.Cluster{}).
		Watches(&naasv1alpha1.Tenant{}, allClusters, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.Tier{}, allClusters, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.NamespaceClaim{}, ofClaim, builder.WithPredicates(claimCounts)).
		WatchesRawSource(r.Registry.Source(memberObjectChanged)).
		WatchesRawSource(source.Channel(hb.events, &handler.EnqueueRequestForObject{})).
		// One worker per cluster, up to Workers: a pass over a slow member does not hold the others' (their
		// status, a heartbeat's verdict).
		WithOptions(controller.Options{MaxConcurrentReconciles: Workers}).
		Complete(r)
}

// memberObjectChanged maps a change on a member's inventory to the member's Cluster when it is one of naas's
// cluster-wide objects there (not a namespace, nor an object in one).
func memberObjectChanged(cluster string, o client.Object) []reconcile.Request {
	if cluster == naasv1alpha1.LocalClusterName || o.GetNamespace() != "" || o.GetObjectKind().GroupVersionKind().Kind == "Namespace" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: cluster}}}
}
