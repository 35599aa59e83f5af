package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
)

// removalRetry is how soon a removal that waits (for claims to go, for the member to answer) is tried again.
const removalRetry = 10 * time.Second

// Orphaned says whether a Cluster is removed leaving its naas namespaces on the member (AnnotationOrphan).
func Orphaned(c *naasv1alpha1.Cluster) bool {
	return c.Annotations[naasv1alpha1.AnnotationOrphan] == "true"
}

// reconcileDelete removes a Cluster. The admission policy naas-cluster-removal refuses the deletion of a Cluster
// whose status counts naas namespaces, unless it is orphaned; a claim placed meanwhile holds the removal here:
//
//   - without orphan, the removal waits until the cluster's claims are gone (their deletion deletes their
//     namespaces on the member as usual);
//   - with orphan, the claims' namespaces lose naas's labels and finalizers on the member, and the claims are
//     deleted without their namespaces (Resolve refuses the cluster from the start, so the claim controller
//     does nothing there).
//
// Then naas's cluster-wide objects are deleted from the member, and the Cluster released. A member that does not
// answer holds the removal until it does, unless naas never installed anything there.
func (r *Reconciler) reconcileDelete(ctx context.Context, c *naasv1alpha1.Cluster) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(c, naasv1alpha1.FinalizerCluster) {
		r.forget(c.Name)
		return ctrl.Result{}, nil
	}
	original := c.DeepCopy()
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := r.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimCluster: c.Name}); err != nil {
		return ctrl.Result{}, fmt.Errorf("list the claims of cluster %s: %w", c.Name, err)
	}
	orphan := Orphaned(c)
	if orphan {
		r.Registry.SetRemoving(c.Name)
	}
	wait := func(msg string) (ctrl.Result, error) {
		setCondition(c, naasv1alpha1.ClusterReady, metav1.ConditionFalse, naasv1alpha1.ReasonClusterRemovalBlocked, msg)
		if err := r.Client.Status().Patch(ctx, c, client.MergeFrom(original)); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: removalRetry}, nil
	}
	if len(claims.Items) > 0 && !orphan {
		return wait(fmt.Sprintf("%d naas namespaces are still placed on the cluster: delete their claims, or remove the cluster with the annotation %s=true to leave them there", len(claims.Items), naasv1alpha1.AnnotationOrphan))
	}
	member, _ := r.Registry.Member(c.Name)
	conn := r.connection(c.Name)
	reachable := conn != nil && member.Reachable
	installedOnce := meta.FindStatusCondition(original.Status.Conditions, naasv1alpha1.ClusterInstalled) != nil &&
		meta.FindStatusCondition(original.Status.Conditions, naasv1alpha1.ClusterInstalled).Status == metav1.ConditionTrue
	if !reachable && (installedOnce || len(claims.Items) > 0) {
		return wait("the removal waits for the cluster to answer, to remove naas's objects there; remove the finalizer " +
			naasv1alpha1.FinalizerCluster + " by hand to give up on them")
	}
	if reachable {
		if err := r.orphan(ctx, conn, claims.Items); err != nil {
			return ctrl.Result{}, err
		}
		// Orphaned namespaces keep the tenant roles their RoleBindings refer to.
		if err := r.prune(ctx, conn, nil, orphan && len(claims.Items) > 0); err != nil {
			return ctrl.Result{}, fmt.Errorf("remove naas's objects from cluster %s: %w", c.Name, err)
		}
	}
	patch := client.MergeFrom(c.DeepCopy())
	controllerutil.RemoveFinalizer(c, naasv1alpha1.FinalizerCluster)
	if err := r.Client.Patch(ctx, c, patch); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("remove finalizer: %w", err)
	}
	r.forget(c.Name)
	r.watches.stop(c.Name)
	ctrl.LoggerFrom(ctx).Info("Cluster removed", "orphaned", len(claims.Items))
	return ctrl.Result{}, nil
}

// orphan leaves the namespaces of claims on the member without naas's ownership, then deletes the claims without
// their namespaces.
func (r *Reconciler) orphan(ctx context.Context, conn *Connection, claims []naasv1alpha1.NamespaceClaim) error {
	var errs []error
	for i := range claims {
		claim := &claims[i]
		ns := &corev1.Namespace{}
		err := conn.Direct.Get(ctx, client.ObjectKey{Name: claim.Name}, ns)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("read namespace %s: %w", claim.Name, err))
			continue
		case ns.Labels[naasv1alpha1.LabelClaim] == claim.Name:
			patch := client.MergeFrom(ns.DeepCopy())
			for k := range ns.Labels {
				if k == naasv1alpha1.LabelManagedBy || strings.HasPrefix(k, "naas.dev/") {
					delete(ns.Labels, k)
				}
			}
			var keep []string
			for _, f := range ns.Finalizers {
				if !strings.HasPrefix(f, "naas.dev/") {
					keep = append(keep, f)
				}
			}
			ns.Finalizers = keep
			if err := conn.Direct.Patch(ctx, ns, patch); err != nil {
				errs = append(errs, fmt.Errorf("release namespace %s: %w", ns.Name, err))
				continue
			}
		}
		// The annotation is the claim's exemption from its deletion protection, for naas's own deletion only
		// (platform.PolicyDeletionProtection): the namespace it protects stays on the member.
		released := controllerutil.RemoveFinalizer(claim, naasv1alpha1.FinalizerNamespace)
		if claim.Annotations[naasv1alpha1.AnnotationOrphan] != "true" {
			metav1.SetMetaDataAnnotation(&claim.ObjectMeta, naasv1alpha1.AnnotationOrphan, "true")
			released = true
		}
		if released {
			if err := r.Client.Update(ctx, claim); client.IgnoreNotFound(err) != nil {
				errs = append(errs, fmt.Errorf("release claim %s: %w", claim.Name, err))
				continue
			}
		}
		if err := r.Client.Delete(ctx, claim); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("delete claim %s: %w", claim.Name, err))
		}
	}
	return errors.Join(errs...)
}
