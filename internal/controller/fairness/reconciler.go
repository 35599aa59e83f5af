// Package fairness keeps naas's API Priority and Fairness objects that change with the platform's objects: a
// PriorityLevelConfiguration per Tier, and per Tenant the FlowSchemas that put the tenant's members and the
// service accounts of its namespaces in the levels of their namespaces' tiers (see platform.TenantFlowSchemas).
// The cluster-wide ones (naas's own level and FlowSchema, the level of tenants' requests elsewhere) are installed
// at start by platform.Install.
package fairness

import (
	"context"
	"errors"
	"fmt"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/platform"
)

// TierReconciler keeps each Tier's priority level.
type TierReconciler struct {
	Client client.Client
}

var _ reconcile.Reconciler = (*TierReconciler)(nil)

// Reconcile implements reconcile.Reconciler.
func (r *TierReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	t := &naasv1alpha1.Tier{}
	err := r.Client.Get(ctx, req.NamespacedName, t)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	if apierrors.IsNotFound(err) || !t.DeletionTimestamp.IsZero() {
		// The garbage collector removes it too (owner reference); this covers clusters without one.
		l := &flowcontrolv1.PriorityLevelConfiguration{}
		l.Name = platform.TierLevelName(req.Name)
		if err := r.Client.Delete(ctx, l); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("delete priority level %s: %w", l.Name, err)
		}
		return ctrl.Result{}, nil
	}
	if err := keep(ctx, r.Client, platform.TierLevel(t), &flowcontrolv1.PriorityLevelConfiguration{}); err != nil {
		return ctrl.Result{}, fmt.Errorf("apply the priority level of tier %s: %w", t.Name, err)
	}
	return ctrl.Result{}, nil
}

// SetupWithManager registers the controller; a level that is edited or deleted is put back.
func (r *TierReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("fairness-tier").
		For(&naasv1alpha1.Tier{}).
		Owns(&flowcontrolv1.PriorityLevelConfiguration{}).
		Complete(r)
}

// TenantReconciler keeps each Tenant's FlowSchemas, from its owners and its claims' namespaces and tiers.
type TenantReconciler struct {
	Client client.Client
}

var _ reconcile.Reconciler = (*TenantReconciler)(nil)

// Reconcile implements reconcile.Reconciler.
func (r *TenantReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	t := &naasv1alpha1.Tenant{}
	err := r.Client.Get(ctx, req.NamespacedName, t)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	var want []*flowcontrolv1.FlowSchema
	if err == nil && t.DeletionTimestamp.IsZero() {
		claims := &naasv1alpha1.NamespaceClaimList{}
		if err := r.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimTenant: t.Name}); err != nil {
			return ctrl.Result{}, fmt.Errorf("list the claims of tenant %s: %w", t.Name, err)
		}
		// A claim's namespace counts from the moment its tier is resolved until the claim is gone (a deleting
		// claim's namespace still serves requests).
		byTier := map[string][]string{}
		for _, c := range claims.Items {
			if c.Status.Tier != "" {
				byTier[c.Status.Tier] = append(byTier[c.Status.Tier], c.Name)
			}
		}
		want = platform.TenantFlowSchemas(t, byTier)
	}

	var errs []error
	wanted := map[string]bool{}
	for _, fs := range want {
		wanted[fs.Name] = true
		if err := keep(ctx, r.Client, fs, &flowcontrolv1.FlowSchema{}); err != nil {
			errs = append(errs, fmt.Errorf("apply FlowSchema %s: %w", fs.Name, err))
		}
	}
	live := &flowcontrolv1.FlowSchemaList{}
	if err := r.Client.List(ctx, live, client.MatchingLabels{platform.LabelFairnessFor: "tenant." + req.Name}); err != nil {
		return ctrl.Result{}, fmt.Errorf("list the FlowSchemas of tenant %s: %w", req.Name, err)
	}
	for i := range live.Items {
		fs := &live.Items[i]
		if wanted[fs.Name] || !fs.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.Client.Delete(ctx, fs); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete FlowSchema %s: %w", fs.Name, err))
		}
	}
	return ctrl.Result{}, errors.Join(errs...)
}

// SetupWithManager registers the controller. A claim's tier or existence changes its tenant's FlowSchemas; an
// edited or deleted FlowSchema is put back.
func (r *TenantReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("fairness-tenant").
		For(&naasv1alpha1.Tenant{}).
		Owns(&flowcontrolv1.FlowSchema{}).
		Watches(&naasv1alpha1.NamespaceClaim{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			c, ok := o.(*naasv1alpha1.NamespaceClaim)
			if !ok || c.Spec.Tenant == "" {
				return nil
			}
			return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: c.Spec.Tenant}}}
		})).
		Complete(r)
}

// keep applies desired unless the live object, read from naas's cache (the controller owns these kinds), already
// contains it: an idle resync or a restart makes no write.
func keep(ctx context.Context, c client.Client, desired runtime.Object, live client.Object) error {
	return apply.Keep(ctx, c, desired, live)
}
