package namespaceclaim

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
)

// The claim controller's event handlers only enqueue. What a change to something other than a claim's own
// inputs means for claims is decided by two small controllers of their own, each reconciling what changed (a
// CRD, a tenant's set of namespaces) and handing the claims it affects to the claim controller through a
// channel source (claimRequeuer).

// claimRequeuer hands claims to the claim controller: a channel its controller watches.
type claimRequeuer chan event.GenericEvent

// requeue enqueues the claim named name.
func (q claimRequeuer) requeue(ctx context.Context, name string) error {
	c := &naasv1alpha1.NamespaceClaim{}
	c.Name = name
	select {
	case q <- event.GenericEvent{Object: c}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recheckAfter are the intervals between the passes over the claims a CRD change may affect: one at once, then
// these, in case the API server's discovery served the new kinds only after the event (later under load).
var recheckAfter = []time.Duration{5 * time.Second, 15 * time.Second}

// crdReconciler reacts to CustomResourceDefinitions of the API groups some step requires: it forgets what
// discovery said about the group (ServedKinds.Invalidate) and requeues the claims it may affect. A new or changed
// CRD may complete the claims with a step not applicable for lack of its kinds; a deleted one may make any
// claim's step not applicable. CRDs of other groups are ignored.
type crdReconciler struct {
	client  client.Reader
	kinds   *ServedKinds
	requeue claimRequeuer

	mu sync.Mutex
	// passes counts the passes made over the claims since each CRD last changed (by resource version).
	passes map[string]crdPasses
}

type crdPasses struct {
	resourceVersion string
	n               int
}

var _ reconcile.Reconciler = (*crdReconciler)(nil)

// Reconcile implements reconcile.Reconciler.
func (r *crdReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	group := crdGroup(req.Name)
	if r.kinds == nil || !r.kinds.Asked(group) {
		return ctrl.Result{}, nil
	}
	crd := &metav1.PartialObjectMetadata{}
	crd.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
	err := r.client.Get(ctx, req.NamespacedName, crd)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("get CRD %s: %w", req.Name, err)
	}
	gone := err != nil || !crd.DeletionTimestamp.IsZero()
	pass := r.nextPass(req.Name, crd.ResourceVersion)

	r.kinds.Invalidate(group)
	var opts []client.ListOption
	if !gone {
		opts = append(opts, client.MatchingFields{cacheindex.ClaimNotApplicable: "true"})
	}
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := r.client.List(ctx, claims, append(opts, client.UnsafeDisableDeepCopy)...); err != nil {
		return ctrl.Result{}, fmt.Errorf("list the claims CRD %s may affect: %w", req.Name, err)
	}
	for _, c := range claims.Items {
		if err := r.requeue.requeue(ctx, c.Name); err != nil {
			return ctrl.Result{}, err
		}
	}
	if pass < len(recheckAfter) {
		return ctrl.Result{RequeueAfter: recheckAfter[pass]}, nil
	}
	return ctrl.Result{}, nil
}

// nextPass returns how many passes were made since the CRD name last changed, and counts this one.
func (r *crdReconciler) nextPass(name, resourceVersion string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.passes[name]
	if p.resourceVersion != resourceVersion {
		p = crdPasses{resourceVersion: resourceVersion}
	}
	n := p.n
	p.n++
	if r.passes == nil {
		r.passes = map[string]crdPasses{}
	}
	r.passes[name] = p
	return n
}

// peersResyncDelay gathers the claims a burst of new namespaces affects into one pass per tenant.
const peersResyncDelay = 2 * time.Second

// peersReconciler requeues, for a tenant whose set of namespaces changed (a claim created or deleted), the claims
// whose bundle names the tenant's namespaces: the tenant's other claims and the claims that let the tenant in,
// when their template turns the mesh on (only the mesh's AuthorizationPolicy lists namespaces). Its requests are
// tenants, enqueued peersResyncDelay after the first change: the claims listed then include every namespace that
// appeared meanwhile, so a burst of thousands of new claims (or the initial list at start) costs one pass over
// the tenant's claims, not one per claim. Nothing is listed when no template turns the mesh on, and the cache's
// objects are read without copies.
type peersReconciler struct {
	client  client.Reader
	requeue claimRequeuer
}

var _ reconcile.Reconciler = (*peersReconciler)(nil)

// Reconcile implements reconcile.Reconciler; req.Name is a tenant.
func (r *peersReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	tenant := req.Name
	templates := &naasv1alpha1.NamespaceTemplateList{}
	if err := r.client.List(ctx, templates, client.UnsafeDisableDeepCopy); err != nil {
		return ctrl.Result{}, fmt.Errorf("list templates to requeue the peers of tenant %s: %w", tenant, err)
	}
	mesh := sets.New[string]()
	for _, t := range templates.Items {
		if t.Spec.Features.Mesh {
			mesh.Insert(t.Name)
		}
	}
	if mesh.Len() == 0 {
		return ctrl.Result{}, nil
	}
	var names []string
	for _, index := range []string{cacheindex.ClaimTenant, cacheindex.ClaimCollaborator} {
		claims := &naasv1alpha1.NamespaceClaimList{}
		if err := r.client.List(ctx, claims, client.MatchingFields{index: tenant}, client.UnsafeDisableDeepCopy); err != nil {
			return ctrl.Result{}, fmt.Errorf("list claims to requeue the peers of tenant %s: %w", tenant, err)
		}
		for _, c := range claims.Items {
			if mesh.Has(c.Spec.Template) {
				names = append(names, c.Name)
			}
		}
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		if err := r.requeue.requeue(ctx, name); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{}, nil
}

// tenantOfNewOrDeletedClaim enqueues a claim's tenant, peersResyncDelay later, when the claim is created or
// deleted.
func tenantOfNewOrDeletedClaim() handler.EventHandler {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	enqueue := func(o client.Object, q queue) {
		q.AddAfter(reconcile.Request{NamespacedName: client.ObjectKey{Name: o.(*naasv1alpha1.NamespaceClaim).Spec.Tenant}}, peersResyncDelay)
	}
	return handler.TypedFuncs[client.Object, reconcile.Request]{
		CreateFunc: func(_ context.Context, e event.TypedCreateEvent[client.Object], q queue) { enqueue(e.Object, q) },
		DeleteFunc: func(_ context.Context, e event.TypedDeleteEvent[client.Object], q queue) { enqueue(e.Object, q) },
	}
}

// setupRequeuers registers the CRD and peers controllers, which hand claims to requeue.
func (r *Reconciler) setupRequeuers(mgr ctrl.Manager, requeue claimRequeuer) error {
	crds := &crdReconciler{client: mgr.GetClient(), kinds: r.Kinds, requeue: requeue}
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("namespaceclaim-crds").
		For(&apiextensionsv1.CustomResourceDefinition{}, builder.OnlyMetadata).
		Complete(crds); err != nil {
		return fmt.Errorf("set up the CRD requeuer: %w", err)
	}
	peers := &peersReconciler{client: mgr.GetClient(), requeue: requeue}
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("namespaceclaim-peers").
		Watches(&naasv1alpha1.NamespaceClaim{}, tenantOfNewOrDeletedClaim()).
		Complete(peers); err != nil {
		return fmt.Errorf("set up the mesh peers requeuer: %w", err)
	}
	return nil
}
