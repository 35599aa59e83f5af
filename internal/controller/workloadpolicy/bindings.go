// Package workloadpolicy keeps what the workload admission policies need per tenant and per tier: one
// binding of the tenant policy for each Tenant and of the tier policy for each Tier, each taking its Tenant or
// Tier as parameter and selecting that tenant's or tier's namespaces; and each tenant's quota ledger, counted
// afresh periodically, with the usage published in Tenant.status.used.
package workloadpolicy

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/platform"
)

// BindingReconciler keeps the policy binding of each Tenant (Kind "Tenant") or Tier (Kind "Tier").
type BindingReconciler struct {
	Client client.Client
	// Kind is "Tenant" or "Tier".
	Kind string
}

var _ reconcile.Reconciler = (*BindingReconciler)(nil)

// Reconcile implements reconcile.Reconciler.
func (r *BindingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var param client.Object
	var desired *admissionregistrationv1.ValidatingAdmissionPolicyBinding
	switch r.Kind {
	case "Tenant":
		t := &naasv1alpha1.Tenant{}
		param = t
		if err := r.Client.Get(ctx, req.NamespacedName, t); err == nil {
			desired = platform.TenantBinding(t)
		} else if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
	case "Tier":
		t := &naasv1alpha1.Tier{}
		param = t
		if err := r.Client.Get(ctx, req.NamespacedName, t); err == nil {
			desired = platform.TierBinding(t)
		} else if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
	default:
		return ctrl.Result{}, fmt.Errorf("no workload policy binding for kind %q", r.Kind)
	}
	name := platform.TenantBindingName(req.Name)
	if r.Kind == "Tier" {
		name = platform.TierBindingName(req.Name)
	}
	if desired == nil || !param.GetDeletionTimestamp().IsZero() {
		// The garbage collector removes it too (owner reference); this covers clusters without one.
		b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if err := r.Client.Delete(ctx, b); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("delete policy binding %s: %w", name, err)
		}
		return ctrl.Result{}, nil
	}
	u, err := apply.ToUnstructured(desired)
	if err != nil {
		return ctrl.Result{}, err
	}
	// The binding is compared with naas's cache of bindings (the controller owns them), not read from the API
	// server: a restart at 1,000 tenants read 1,000 bindings only to find them as wanted.
	live := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: name}, live); err == nil {
		live.SetGroupVersionKind(admissionregistrationv1.SchemeGroupVersion.WithKind("ValidatingAdmissionPolicyBinding"))
		if m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live); err == nil && apply.Contains(m, u.Object) {
			return ctrl.Result{}, nil
		}
	}
	if _, err := apply.Apply(ctx, r.Client, r.Client, u); err != nil {
		return ctrl.Result{}, fmt.Errorf("apply the workload policy binding of %s %s: %w", r.Kind, req.Name, err)
	}
	return ctrl.Result{}, nil
}

// SetupWithManager registers the controller; a binding that is edited or deleted is put back.
func (r *BindingReconciler) SetupWithManager(mgr ctrl.Manager) error {
	var obj client.Object
	switch r.Kind {
	case "Tenant":
		obj = &naasv1alpha1.Tenant{}
	case "Tier":
		obj = &naasv1alpha1.Tier{}
	default:
		return fmt.Errorf("no workload policy binding for kind %q", r.Kind)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("workload-policy-" + map[string]string{"Tenant": "tenant", "Tier": "tier"}[r.Kind]).
		For(obj).
		Owns(&admissionregistrationv1.ValidatingAdmissionPolicyBinding{}).
		Complete(r)
}
