// Package namespaceclaim provisions namespaces: it turns each NamespaceClaim into a
// namespace with the bundle of its tenant, template and tier, keeps that bundle as
// declared (drift heals, an idle resync writes nothing) and deletes the namespace
// with the claim.
package namespaceclaim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/fleet/fleetledger"
)

// Reconciler reconciles NamespaceClaims.
type Reconciler struct {
	// Client reads and writes the management cluster (claims, tenants, catalog).
	Client client.Client
	// Clusters says which cluster each claim's namespace lives on.
	Clusters cluster.Resolver
	// Placement holds the placements in flight, so that concurrent decisions see each other; nil places every
	// claim on the management cluster ("local").
	Placement *fleetledger.Store
	// Cache, when set, is the cache behind Client: placement reads the claims of an index in place.
	Cache cache.Cache
	// Bundle configures the objects of a namespace.
	Bundle bundle.Config
	// Kinds tells which API kinds the target cluster serves, for steps that require an add-on's CRDs; nil
	// treats every kind as served. SetupWithManager sets it from the manager's cluster when nil.
	Kinds *ServedKinds
	// Metrics records provisioning outcomes; nil records nothing.
	Metrics *Metrics
	// Events records Kubernetes Events on claims, for `kubectl describe`; SetupWithManager sets the manager's
	// when nil. Nil records nothing.
	Events events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OnOutcome, when set, is told of every provisioning outcome (for the audit log).
	OnOutcome func(ctx context.Context, claim *naasv1alpha1.NamespaceClaim, ready bool, reason, message string)

	// seen is when each claim not yet provisioned was first seen, the start of its provisioning time.
	seen firstSeen
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// scope is the state of one reconcile pass.
type scope struct {
	claim    *naasv1alpha1.NamespaceClaim
	original *naasv1alpha1.NamespaceClaim
	target   *cluster.Target
	tenant   *naasv1alpha1.Tenant
	template *naasv1alpha1.NamespaceTemplate
	tier     *naasv1alpha1.Tier
	params   map[string]string
	// results are the outcomes of the pass's phases and steps, in order (see report).
	results []result
	// complete: every phase ran, or one ended the pass with its result; Ready is summarised only from a
	// complete pass, a pass cut short by an error leaves it as it was.
	complete bool
	// skipStatus skips the status patch at the end of the pass.
	skipStatus bool
}

// phase is one step of a pass. It returns its results, which the pass reports in order; a result that blocks
// ends the pass. An error is for what a retry may fix (an API call that failed) and cuts the pass short.
type phase func(ctx context.Context, s *scope) ([]result, error)

// Reconcile implements reconcile.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, err error) {
	claim := &naasv1alpha1.NamespaceClaim{}
	if err := r.Client.Get(ctx, req.NamespacedName, claim); err != nil {
		if apierrors.IsNotFound(err) {
			r.seen.forget(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	switch {
	case !claim.DeletionTimestamp.IsZero():
		r.seen.forget(claim.Name)
	case claim.Status.ProvisionedAt == nil:
		r.seen.note(claim.Name, claim.UID, r.now())
	}
	ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("claim", klog.KObj(claim), "tenant", claim.Spec.Tenant))
	s := &scope{claim: claim, original: claim.DeepCopy()}
	switch {
	case !claim.DeletionTimestamp.IsZero() && claim.Status.Cluster == "" && claim.Spec.Cluster != "":
		// Never placed, so nothing was made: placement records the cluster before anything is.
	case claim.DeletionTimestamp.IsZero() && !placed(claim):
		// Placed by the place phase, which resolves the target once the claim has a cluster.
	default:
		if s.target, err = r.Clusters.Resolve(ctx, claim); err != nil {
			return r.reportUnresolved(ctx, claim, err)
		}
	}
	defer func() { err = errors.Join(err, r.patchStatus(ctx, s)) }()

	if !claim.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	if controllerutil.AddFinalizer(claim, naasv1alpha1.FinalizerNamespace) {
		// The finalizer is on before anything exists that it must clean up.
		if err := r.Client.Patch(ctx, claim, client.MergeFrom(s.original)); err != nil {
			return ctrl.Result{}, fmt.Errorf("add finalizer: %w", err)
		}
		s.original = claim.DeepCopy()
	}
	return s.run(ctx, r.resolve, r.authorize, r.approve, r.place, r.ownNamespace, r.applyBundle)
}

// run runs the phases in order, reporting their results, until one blocks or fails. The pass is complete, and
// Ready summarised from it, when every phase ran or one blocked: an error alone (a read that failed, a prune)
// says nothing of the claim's state, and leaves Ready as it was.
func (s *scope) run(ctx context.Context, phases ...phase) (ctrl.Result, error) {
	for _, p := range phases {
		results, err := p(ctx, s)
		s.report(results...)
		blocked := slices.ContainsFunc(results, result.blocks)
		if err != nil || blocked {
			s.complete = blocked
			return ctrl.Result{RequeueAfter: requeueAfter(s.results)}, err
		}
	}
	s.complete = true
	// A result that does not block may still ask to be looked at again (a step a member cannot do yet).
	return ctrl.Result{RequeueAfter: requeueAfter(s.results)}, nil
}

// unresolvedRequeue is how soon a claim whose cluster naas cannot act on is looked at again; a change of the
// Cluster's conditions requeues it at once, this is a backstop.
const unresolvedRequeue = time.Minute

// notReadyRequeue is how soon a claim whose cluster naas is setting up is looked at again: setting up takes
// seconds, and its end changes no condition a watch would see when naas restarts.
const notReadyRequeue = 2 * time.Second

// reportUnresolved reports, in Ready, why the claim's cluster cannot be acted on: it does not answer
// (ClusterUnreachable), is not ready yet, is being removed, or is not registered. Nothing is done on the
// cluster, created or deleted: what is there stays as it was, and the claim keeps its finalizer. Other errors
// are returned for a retry.
func (r *Reconciler) reportUnresolved(ctx context.Context, claim *naasv1alpha1.NamespaceClaim, err error) (ctrl.Result, error) {
	var unavailable *cluster.UnavailableError
	var unknown *cluster.UnknownError
	cond := metav1.Condition{Type: naasv1alpha1.ConditionReady, ObservedGeneration: claim.Generation, Status: metav1.ConditionUnknown}
	requeue := unresolvedRequeue
	switch {
	case errors.As(err, &unavailable) && unavailable.Unreachable:
		cond.Reason = naasv1alpha1.ReasonClusterUnreachable
		cond.Message = fmt.Sprintf("cluster %q does not answer; the namespace and its objects are kept as they were and reconciled when it answers again (%s)",
			unavailable.Cluster, unavailable.Message)
	case errors.As(err, &unavailable):
		cond.Reason = naasv1alpha1.ReasonClusterNotReady
		cond.Message = fmt.Sprintf("cluster %q is not ready: %s", unavailable.Cluster, unavailable.Message)
		requeue = notReadyRequeue
	case errors.As(err, &unknown):
		registered, err := r.clusterRegistered(ctx, unknown.Cluster)
		if err != nil {
			return ctrl.Result{}, err
		}
		if registered {
			// The Cluster is there, and naas has not reached it yet (it is starting).
			cond.Reason = naasv1alpha1.ReasonClusterNotReady
			cond.Message = fmt.Sprintf("cluster %q is not ready: naas has not reached it yet", unknown.Cluster)
			requeue = notReadyRequeue
			break
		}
		cond.Status = metav1.ConditionFalse
		cond.Reason = naasv1alpha1.ReasonUnknownCluster
		cond.Message = fmt.Sprintf("cluster %q is not registered: register it (naas cluster register) or claim the namespace elsewhere", unknown.Cluster)
	default:
		return ctrl.Result{}, fmt.Errorf("resolve the target cluster of claim %s: %w", claim.Name, err)
	}
	original := claim.DeepCopy()
	meta.SetStatusCondition(&claim.Status.Conditions, cond)
	if !apiequality.Semantic.DeepEqual(original.Status, claim.Status) {
		if err := r.Client.Status().Patch(ctx, claim, client.MergeFromWithOptions(original, client.MergeFromWithOptimisticLock{})); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("patch status: %w", err)
		}
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// clusterRegistered tells whether a Cluster of that name exists (in the manager's cache).
func (r *Reconciler) clusterRegistered(ctx context.Context, name string) (bool, error) {
	err := r.Client.Get(ctx, client.ObjectKey{Name: name}, &naasv1alpha1.Cluster{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return false, nil
	}
	return false, fmt.Errorf("get cluster %s: %w", name, err)
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// patchStatus writes the status when it changed, and summarises Ready and the phase.
func (r *Reconciler) patchStatus(ctx context.Context, s *scope) error {
	if s.skipStatus {
		return nil
	}
	c := s.claim
	c.Status.ObservedGeneration = c.Generation
	switch {
	case !c.DeletionTimestamp.IsZero():
		setReady(c, terminating(c))
	case s.complete:
		setReady(c, summarize(c.Name, s.results))
	}
	if apiequality.Semantic.DeepEqual(s.original.Status, c.Status) {
		return nil
	}
	// The first Ready is the provisioning outcome; later transitions (a healed
	// drift, a tier change) are not new provisions.
	firstReady := c.Status.ProvisionedAt == nil && meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady)
	var readyAt time.Time
	if firstReady {
		readyAt = r.now()
		c.Status.ProvisionedAt = &metav1.Time{Time: readyAt}
	}
	firstFailure := c.Status.ProvisionedAt == nil && c.Status.Phase == naasv1alpha1.PhaseFailed &&
		s.original.Status.Phase != naasv1alpha1.PhaseFailed
	// The optimistic lock keeps a pass that read a stale claim from overwriting a
	// status field written meanwhile by someone else (an approval decision).
	if err := r.Client.Status().Patch(ctx, c, client.MergeFromWithOptions(s.original, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("patch status: %w", err)
	}
	r.recordEvents(s)
	switch {
	case firstReady:
		r.recordOutcome(ctx, c, true, readyAt)
	case firstFailure:
		r.recordOutcome(ctx, c, false, time.Time{})
	}
	return nil
}

// recordOutcome records the outcome of a claim's provisioning, ready at readyAt, in the metrics, the log and
// OnOutcome.
func (r *Reconciler) recordOutcome(ctx context.Context, c *naasv1alpha1.NamespaceClaim, ready bool, readyAt time.Time) {
	cond := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionReady)
	if !ready {
		if r.Metrics != nil {
			r.Metrics.Provisions.WithLabelValues("failure").Inc()
		}
		ctrl.LoggerFrom(ctx).Info("Namespace provisioning failed", "reason", cond.Reason, "message", cond.Message)
	} else {
		seen, ok := r.seen.take(c.Name, c.UID)
		if r.Metrics != nil {
			r.Metrics.Provisions.WithLabelValues("success").Inc()
			r.Metrics.Duration.Observe(provisionDuration(c, seen, ok, readyAt).Seconds())
		}
		ctrl.LoggerFrom(ctx).Info("Namespace ready", "namespace", c.Name)
	}
	if r.OnOutcome != nil {
		r.OnOutcome(ctx, c, ready, cond.Reason, cond.Message)
	}
}
