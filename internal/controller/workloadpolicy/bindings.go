// Package workloadpolicy keeps what the workload admission policies need per tenant and per tier: one
// binding of the tenant policy for each Tenant and of the tier policy (and, where the API server serves
// MutatingAdmissionPolicy, of the tier's pull policy mutation) for each Tier, each taking its Tenant or Tier as
// parameter and selecting that tenant's or tier's namespaces; and each tenant's quota ledger, counted
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

// BindingReconciler keeps the policy binding of each Tenant (Kind "Tenant") or Tier (Kind "Tier"), and, where
// the API server serves MutatingAdmissionPolicy, each Tier's binding of the pull policy mutation.
type BindingReconciler struct {
	Client client.Client
	// Kind is "Tenant" or "Tier".
	Kind string
	// MutatingPolicies: the API server serves MutatingAdmissionPolicy, and tiers get a binding of
	// platform.PolicyTierPullAlways as well.
	MutatingPolicies bool
}

var _ reconcile.Reconciler = (*BindingReconciler)(nil)

// Reconcile implements reconcile.Reconciler.
func (r *BindingReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var param client.Object
	// Each binding the object should have, with an empty object of its kind for reading it.
	var bindings []binding
	switch r.Kind {
	case "Tenant":
		t := &naasv1alpha1.Tenant{}
		param = t
		if err := r.Client.Get(ctx, req.NamespacedName, t); err == nil {
			bindings = append(bindings, binding{platform.TenantBinding(t), &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}})
		} else if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
	case "Tier":
		t := &naasv1alpha1.Tier{}
		param = t
		if err := r.Client.Get(ctx, req.NamespacedName, t); err == nil {
			bindings = append(bindings, binding{platform.TierBinding(t), &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}})
			if r.MutatingPolicies {
				bindings = append(bindings, binding{platform.TierMutatingBinding(t), &admissionregistrationv1.MutatingAdmissionPolicyBinding{}})
			}
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
	if len(bindings) == 0 || !param.GetDeletionTimestamp().IsZero() {
		// The garbage collector removes them too (owner reference); this covers clusters without one.
		gone := []client.Object{&admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name}}}
		if r.Kind == "Tier" && r.MutatingPolicies {
			gone = append(gone, &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name}})
		}
		for _, b := range gone {
			if err := r.Client.Delete(ctx, b); err != nil && !apierrors.IsNotFound(err) {
				return ctrl.Result{}, fmt.Errorf("delete policy binding %s: %w", name, err)
			}
		}
		return ctrl.Result{}, nil
	}
	for _, b := range bindings {
		if err := r.keep(ctx, b); err != nil {
			return ctrl.Result{}, fmt.Errorf("apply the workload policy binding of %s %s: %w", r.Kind, req.Name, err)
		}
	}
	return ctrl.Result{}, nil
}

// binding is a binding naas wants, and an empty object of its kind to read the live one into.
type binding struct {
	desired runtime.Object
	live    client.Object
}

// keep applies b unless the live binding is already as wanted.
func (r *BindingReconciler) keep(ctx context.Context, b binding) error {
	// The binding is compared with naas's cache of bindings (the controller owns them), not read from the API
	// server: a restart at 1,000 tenants read 1,000 bindings only to find them as wanted.
	return apply.Keep(ctx, r.Client, b.desired, b.live)
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
	b := ctrl.NewControllerManagedBy(mgr).
		Named("workload-policy-" + map[string]string{"Tenant": "tenant", "Tier": "tier"}[r.Kind]).
		For(obj).
		Owns(&admissionregistrationv1.ValidatingAdmissionPolicyBinding{})
	if r.Kind == "Tier" && r.MutatingPolicies {
		b = b.Owns(&admissionregistrationv1.MutatingAdmissionPolicyBinding{})
	}
	return b.Complete(r)
}
