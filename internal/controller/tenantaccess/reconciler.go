// Package tenantaccess keeps, for each Tenant, what gives its members their access to naas's cluster-scoped
// objects and what holds the RoleBindings in its namespaces: a ClusterRole naming the tenant and its claims,
// bound to its members, and the admission policy on RoleBindings in its namespaces with its binding (see
// platform.TenantAccess). A claim created or deleted changes the ClusterRole and the policy; an idle resync
// changes nothing.
package tenantaccess

import (
	"context"
	"errors"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/platform"
)

// ControllerName names the controller in logs and metrics.
const ControllerName = "tenant-access"

// Reconciler keeps the access objects of each Tenant.
type Reconciler struct {
	// Client reads Tenants, claims and the access objects from the manager's cache, and writes.
	Client client.Client
	// Config says who naas is, for the policy's exemptions.
	Config platform.Config
}

var _ reconcile.Reconciler = (*Reconciler)(nil)

// Reconcile implements reconcile.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	t := &naasv1alpha1.Tenant{}
	if err := r.Client.Get(ctx, req.NamespacedName, t); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, r.remove(ctx, req.Name)
	}
	if !t.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.remove(ctx, req.Name)
	}
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := r.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimTenant: t.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return ctrl.Result{}, fmt.Errorf("list the claims of tenant %s: %w", t.Name, err)
	}
	names := make([]string, 0, len(claims.Items))
	for i := range claims.Items {
		names = append(names, claims.Items[i].Name)
	}
	var errs []error
	for _, obj := range platform.TenantAccess(r.Config, t, names) {
		if err := r.ensure(ctx, obj); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return ctrl.Result{}, fmt.Errorf("keep the access of tenant %s: %w", t.Name, err)
	}
	return ctrl.Result{}, nil
}

// ensure applies desired unless the cached object already contains it: an idle resync reads only the cache.
func (r *Reconciler) ensure(ctx context.Context, desired runtime.Object) error {
	u, err := apply.ToUnstructured(desired)
	if err != nil {
		return err
	}
	if crb, ok := desired.(*rbacv1.ClusterRoleBinding); ok && len(crb.Subjects) == 0 {
		// A tenant without members binds nobody: said explicitly, so that the last member's removal is applied
		// (an omitted field would be neither compared nor changed).
		u.Object["subjects"] = []any{}
	}
	gvk, err := apiutil.GVKForObject(desired, r.Client.Scheme())
	if err != nil {
		return err
	}
	empty, err := r.Client.Scheme().New(gvk)
	if err != nil {
		return err
	}
	live := empty.(client.Object)
	switch err := r.Client.Get(ctx, client.ObjectKey{Name: u.GetName()}, live); {
	case err == nil:
		live.GetObjectKind().SetGroupVersionKind(gvk)
		if m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live); err == nil && apply.Contains(m, u.Object) {
			return nil
		}
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("read %s %s: %w", gvk.Kind, u.GetName(), err)
	}
	if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(apply.FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply %s %s: %w", gvk.Kind, u.GetName(), err)
	}
	return nil
}

// remove deletes the access objects of a tenant that is gone or going. The garbage collector deletes them too
// (owner references); this covers clusters without one, and stops the access at once.
func (r *Reconciler) remove(ctx context.Context, tenant string) error {
	objs := []client.Object{
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: platform.TenantAccessName(tenant)}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: platform.TenantAccessName(tenant)}},
		&admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: platform.TenantRoleBindingsPolicyName(tenant)}},
		&admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: platform.TenantRoleBindingsPolicyName(tenant)}},
	}
	var errs []error
	for _, o := range objs {
		// Read from the cache first: a tenant deleted long ago costs no call.
		if err := r.Client.Get(ctx, client.ObjectKeyFromObject(o), o); apierrors.IsNotFound(err) {
			continue
		}
		if err := r.Client.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %T %s: %w", o, o.GetName(), err))
		}
	}
	return errors.Join(errs...)
}

// SetupWithManager registers the controller: a Tenant's changes, its claims being created or deleted, and any
// change to its access objects (which are put back) reconcile the Tenant.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		For(&naasv1alpha1.Tenant{}).
		Watches(&naasv1alpha1.NamespaceClaim{}, handler.EnqueueRequestsFromMapFunc(
			func(_ context.Context, o client.Object) []reconcile.Request {
				return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: o.(*naasv1alpha1.NamespaceClaim).Spec.Tenant}}}
			}),
			// Only a new or deleted claim changes a tenant's access (spec.tenant is immutable).
			builder.WithPredicates(predicate.Funcs{UpdateFunc: func(event.UpdateEvent) bool { return false }})).
		Owns(&rbacv1.ClusterRole{}).
		Owns(&rbacv1.ClusterRoleBinding{}).
		Owns(&admissionregistrationv1.ValidatingAdmissionPolicy{}).
		Owns(&admissionregistrationv1.ValidatingAdmissionPolicyBinding{}).
		Complete(r)
}
