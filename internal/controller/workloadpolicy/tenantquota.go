package workloadpolicy

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/quota"
	"github.com/naas-dev/naas/internal/quota/tenantledger"
)

// DefaultQuotaSyncPeriod is how often a tenant's usage is counted afresh: it bounds how long a deleted pod's
// share shows in Tenant.status.used (admission counts afresh at once before it refuses anything).
const DefaultQuotaSyncPeriod = 10 * time.Second

// QuotaReconciler counts the usage of each tenant with a spec.quota, settles its ledger (releasing the
// reservations of objects that were never written) and publishes the usage in status.used.
type QuotaReconciler struct {
	Client  client.Client
	Ledgers *tenantledger.Store
	Counter *tenantledger.Counter
	// SyncPeriod between counts; DefaultQuotaSyncPeriod when zero.
	SyncPeriod time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

var _ reconcile.Reconciler = (*QuotaReconciler)(nil)

// Reconcile implements reconcile.Reconciler.
func (r *QuotaReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	t := &naasv1alpha1.Tenant{}
	if err := r.Client.Get(ctx, req.NamespacedName, t); err != nil {
		if apierrors.IsNotFound(err) {
			r.Ledgers.Forget(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	var used corev1.ResourceList
	if len(t.Spec.Quota) > 0 {
		l, err := tenantledger.Settle(ctx, r.Ledgers, r.Counter, t, now)
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("count the usage of tenant %s: %w", t.Name, err)
		}
		used = quota.Mask(l.Used(now), t.Spec.Quota)
	}
	if !apiequality.Semantic.DeepEqual(used, t.Status.Used) {
		before := t.DeepCopy()
		t.Status.Used = used
		if err := r.Client.Status().Patch(ctx, t, client.MergeFrom(before)); err != nil {
			return ctrl.Result{}, fmt.Errorf("publish the usage of tenant %s: %w", t.Name, err)
		}
	}
	if len(t.Spec.Quota) == 0 {
		return ctrl.Result{}, nil
	}
	period := r.SyncPeriod
	if period <= 0 {
		period = DefaultQuotaSyncPeriod
	}
	return ctrl.Result{RequeueAfter: period}, nil
}

// SetupWithManager registers the controller.
func (r *QuotaReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("tenant-quota").
		For(&naasv1alpha1.Tenant{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}
