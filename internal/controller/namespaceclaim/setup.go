package namespaceclaim

import (
	"context"
	"fmt"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
)

// recheckAfter are when claims are looked at again after a CRD event, in case the API server's discovery served
// the new kinds only after the event (later under load).
var recheckAfter = []time.Duration{5 * time.Second, 20 * time.Second}

// SetupWithManager registers the controller. Namespaces and the objects in them are
// mapped back to their claim by the naas.dev/claim label, so any change to them is healed
// at once; each target cluster's inventory tells of them.
// CustomResourceDefinitions are watched (metadata only) so that a step waiting for an
// add-on's kinds completes as soon as they are installed.
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
	b := ctrl.NewControllerManagedBy(mgr).
		Named("namespaceclaim").
		For(&naasv1alpha1.NamespaceClaim{})
	for _, t := range r.Clusters.Targets() {
		if t.Inventory != nil {
			b = b.WatchesRawSource(t.Inventory.Source(byClaimLabel))
		}
	}
	return b.
		Watches(&naasv1alpha1.Tenant{}, r.claimsBy(cacheindex.ClaimTenant), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.Tenant{}, r.claimsBy(cacheindex.ClaimCollaborator), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.NamespaceClaim{}, r.namespacesChanged()).
		Watches(&naasv1alpha1.NamespaceTemplate{}, r.claimsBy(cacheindex.ClaimTemplate), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&naasv1alpha1.Tier{}, r.claimsBy(cacheindex.ClaimTier), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(&apiextensionsv1.CustomResourceDefinition{}, r.crdChanged()).
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

// crdChanged reacts to CustomResourceDefinitions of the API groups some step requires: it forgets what
// discovery said about the group, and enqueues the claims it may affect. A new or changed CRD may complete the
// claims with a step not applicable for lack of its kinds; a deleted one may make any claim's step not
// applicable. CRDs of other groups are ignored.
func (r *Reconciler) crdChanged() handler.EventHandler {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	changed := func(ctx context.Context, o client.Object, q queue, deleted bool) {
		group := crdGroup(o.GetName())
		if r.Kinds == nil || !r.Kinds.Asked(group) {
			return
		}
		r.Kinds.Invalidate(group)
		opts := []client.ListOption{client.MatchingFields{cacheindex.ClaimNotApplicable: "true"}}
		if deleted {
			opts = nil
		}
		claims := &naasv1alpha1.NamespaceClaimList{}
		if err := r.Client.List(ctx, claims, opts...); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "List claims to requeue after a CRD change", "crd", o.GetName())
			return
		}
		reqs := make([]reconcile.Request, 0, len(claims.Items))
		for _, c := range claims.Items {
			req := reconcile.Request{NamespacedName: client.ObjectKey{Name: c.Name}}
			reqs = append(reqs, req)
			q.Add(req)
		}
		// The rechecks are added when due, not with AddAfter: controller-runtime's priority queue merges an
		// AddAfter with the Add of the same request still waiting in the queue, and the recheck would be lost.
		for _, after := range recheckAfter {
			time.AfterFunc(after, func() {
				for _, req := range reqs {
					q.Add(req)
				}
			})
		}
	}
	return handler.TypedFuncs[client.Object, reconcile.Request]{
		CreateFunc: func(ctx context.Context, e event.TypedCreateEvent[client.Object], q queue) {
			changed(ctx, e.Object, q, false)
		},
		UpdateFunc: func(ctx context.Context, e event.TypedUpdateEvent[client.Object], q queue) {
			changed(ctx, e.ObjectNew, q, false)
		},
		DeleteFunc: func(ctx context.Context, e event.TypedDeleteEvent[client.Object], q queue) {
			changed(ctx, e.Object, q, true)
		},
	}
}

// crdGroup is the API group of a CustomResourceDefinition, from its name <plural>.<group>.
func crdGroup(name string) string {
	_, group, _ := strings.Cut(name, ".")
	return group
}
