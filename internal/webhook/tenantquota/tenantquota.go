// Package tenantquota enforces a Tenant's spec.quota, the cap on the sum of usage over all its namespaces. Each
// create of a pod, persistent volume claim or service in a naas namespace, and each update that grows one,
// reserves its charge in the tenant's ledger with compare-and-swap, as Kubernetes' ResourceQuota admission
// reserves in quota status: concurrent creates in different namespaces can never together overrun the cap.
// When a charge does not fit, the tenant's usage is counted afresh first, so that deleted objects free their
// share at once. Deletions are seen too (through a webhook that never blocks them): a charge whose object was
// written and deleted before any count saw it is released by the next count instead of when it expires.
//
// In a fleet, each member cluster's API server calls the same webhook, at a path that names the member
// (WithClusterFromPath), for the namespaces there of tenants with a quota; the tenant of such a namespace is its
// claim's, and the count reads every cluster (tenantledger.Counter), so one ledger holds the quota over the fleet.
package tenantquota

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/quota"
	"github.com/naas-dev/naas/internal/quota/tenantledger"
	"github.com/naas-dev/naas/internal/webhook"
)

// Validator reserves tenant quota for pods, persistent volume claims and services.
type Validator struct {
	// Client reads the metadata of namespaces, and tenants, from the manager's cache.
	Client client.Client
	// Reader reads the metadata of a namespace the cache does not hold yet, from the API server.
	Reader  client.Reader
	Ledgers *tenantledger.Store
	Counter *tenantledger.Counter
	Decoder admission.Decoder
	// Clock is the clock; time.Now when nil.
	Clock webhook.Clock
}

var _ admission.Handler = (*Validator)(nil)

// Handle implements admission.Handler.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	tenant, err := v.tenantOf(ctx, clusterOf(ctx), req.Namespace)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	if tenant == nil || len(tenant.Spec.Quota) == 0 {
		return admission.Allowed("")
	}
	kind := quota.Kind(req.Resource.Resource)
	if req.Operation == admissionv1.Delete {
		return v.deleted(ctx, req, tenant, kind)
	}
	obj, old, err := v.decode(req, kind)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	arrived := v.Clock.Now()
	hard := tenant.Spec.Quota
	qr := quota.Request{Hard: hard, Key: quota.Key(kind, req.Namespace, obj.GetName()), UID: obj.GetUID(), Arrived: arrived}
	if qr.Usage, err = quota.Usage(obj, arrived); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if req.Operation == admissionv1.Update {
		if qr.OldUsage, err = quota.Usage(old, arrived); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
	}
	if quota.IsZero(qr.Reservation().Charge) {
		return admission.Allowed("")
	}

	var exceeded *quota.Exceeded
	err = v.Ledgers.Change(ctx, tenant, req.DryRun != nil && *req.DryRun, func(l *quota.Ledger) (bool, error) {
		now := v.Clock.Now()
		var changed bool
		var err error
		exceeded, changed, err = l.Admit(qr, now, func() (corev1.ResourceList, quota.Seen, error) {
			return v.Counter.Count(ctx, tenant.Name, hard, now)
		})
		return changed, err
	})
	if unreadable := (*tenantledger.UnreadableError)(nil); errors.As(err, &unreadable) {
		return webhook.Deny(apierrors.NewForbidden(schema.GroupResource{Resource: req.Resource.Resource}, obj.GetName(), unreadable))
	}
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("reserve tenant quota of tenant %s: %w", tenant.Name, err))
	}
	if exceeded != nil {
		return webhook.Deny(apierrors.NewForbidden(schema.GroupResource{Resource: req.Resource.Resource}, obj.GetName(), fmt.Errorf(
			"tenant %q would exceed its tenant-wide quota (spec.quota, the sum over all its namespaces): %s; "+
				"free capacity in any of the tenant's namespaces, or ask a platform admin to raise the tenant's quota",
			tenant.Name, exceeded.Error())))
	}
	return admission.Allowed("")
}

// deleted marks the charge of an object being deleted as written, so that the next count releases it when the
// object is gone. Deletion is never refused.
func (v *Validator) deleted(ctx context.Context, req admission.Request, tenant *naasv1alpha1.Tenant, kind quota.Kind) admission.Response {
	if req.DryRun != nil && *req.DryRun {
		return admission.Allowed("")
	}
	old := &metav1.PartialObjectMetadata{}
	if err := v.Decoder.DecodeRaw(req.OldObject, old); err != nil || old.UID == "" {
		return admission.Allowed("")
	}
	key := quota.Key(kind, req.Namespace, old.Name)
	if err := v.Ledgers.Change(ctx, tenant, false, func(l *quota.Ledger) (bool, error) {
		return l.MarkPersisted(key, old.UID), nil
	}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Mark a deleted object's tenant quota charge", "key", key)
	}
	return admission.Allowed("")
}

type clusterKey struct{}

// WithCluster returns ctx for a request sent by the API server of the member cluster named cluster.
func WithCluster(ctx context.Context, cluster string) context.Context {
	return context.WithValue(ctx, clusterKey{}, cluster)
}

// WithClusterFromPath is an admission.Webhook's WithContextFunc for the members' path, whose wildcard
// {cluster} names the member whose API server calls.
func WithClusterFromPath(ctx context.Context, r *http.Request) context.Context {
	return WithCluster(ctx, r.PathValue("cluster"))
}

// clusterOf is the cluster whose API server sent the request: the management cluster unless WithCluster says
// otherwise.
func clusterOf(ctx context.Context) string {
	if c, _ := ctx.Value(clusterKey{}).(string); c != "" {
		return c
	}
	return naasv1alpha1.LocalClusterName
}

// tenantOf returns the tenant of a naas namespace on cluster, nil for a namespace of no tenant or a tenant that
// is gone.
func (v *Validator) tenantOf(ctx context.Context, cluster, namespace string) (*naasv1alpha1.Tenant, error) {
	var name string
	var err error
	if cluster == naasv1alpha1.LocalClusterName {
		name, err = v.localTenantOf(ctx, namespace)
	} else {
		name, err = v.memberTenantOf(ctx, cluster, namespace)
	}
	if name == "" || err != nil {
		return nil, err
	}
	t := &naasv1alpha1.Tenant{}
	if err := v.Client.Get(ctx, client.ObjectKey{Name: name}, t); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("get tenant %s: %w", name, err)
	}
	return t, nil
}

// localTenantOf returns the tenant label of a naas namespace of the management cluster.
func (v *Validator) localTenantOf(ctx context.Context, namespace string) (string, error) {
	// Only the labels are read: the metadata, which the cache holds for every namespace (a typed read would go to
	// the API server on every pod created). The webhook sees only naas's namespaces, which exist: a miss is a
	// namespace made a moment ago, confirmed with the API server.
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	err := v.Client.Get(ctx, client.ObjectKey{Name: namespace}, ns)
	if apierrors.IsNotFound(err) {
		err = v.Reader.Get(ctx, client.ObjectKey{Name: namespace}, ns)
	}
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get namespace %s: %w", namespace, err)
	}
	if ns.Labels[naasv1alpha1.LabelManagedBy] != naasv1alpha1.ManagedByValue {
		return "", nil
	}
	return ns.Labels[naasv1alpha1.LabelTenant], nil
}

// memberTenantOf returns the tenant of a naas namespace of a member cluster: that of its claim (named as the
// namespace, on the management cluster), when the claim is placed on that member. The member's webhook selects
// only naas's namespaces of tenants with a quota; a namespace whose claim naas does not know there is not the
// tenant's.
func (v *Validator) memberTenantOf(ctx context.Context, cluster, namespace string) (string, error) {
	claim := &naasv1alpha1.NamespaceClaim{}
	err := v.Client.Get(ctx, client.ObjectKey{Name: namespace}, claim)
	if err == nil && claim.Status.Cluster != cluster {
		// The cache may not show the placement yet: the namespace is made on the member after it is written.
		err = v.Reader.Get(ctx, client.ObjectKey{Name: namespace}, claim)
	} else if apierrors.IsNotFound(err) {
		err = v.Reader.Get(ctx, client.ObjectKey{Name: namespace}, claim)
	}
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get the claim of namespace %s: %w", namespace, err)
	}
	if claim.Status.Cluster != cluster {
		return "", nil
	}
	return claim.Spec.Tenant, nil
}

func (v *Validator) decode(req admission.Request, kind quota.Kind) (client.Object, runtime.Object, error) {
	var obj, old client.Object
	switch kind {
	case quota.KindPods:
		obj, old = &corev1.Pod{}, &corev1.Pod{}
	case quota.KindPVCs:
		obj, old = &corev1.PersistentVolumeClaim{}, &corev1.PersistentVolumeClaim{}
	case quota.KindServices:
		obj, old = &corev1.Service{}, &corev1.Service{}
	default:
		return nil, nil, fmt.Errorf("tenant quota does not admit %s", kind)
	}
	if err := v.Decoder.Decode(req, obj); err != nil {
		return nil, nil, err
	}
	if req.Operation == admissionv1.Update {
		if err := v.Decoder.DecodeRaw(req.OldObject, old); err != nil {
			return nil, nil, err
		}
	}
	return obj, old, nil
}
