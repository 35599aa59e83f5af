package tenantledger

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/quota"
)

// Counter counts a tenant's usage from the API server.
type Counter struct {
	// Reader lists namespaces, pods, persistent volume claims and services. Use the API server directly (the
	// manager's API reader): a count must not miss objects a cache has not caught up with, and naas does not
	// cache every pod of the cluster.
	Reader client.Reader
}

type seenObject struct {
	uid   types.UID
	usage corev1.ResourceList
}

// Count returns the tenant's usage of the resources of hard at now, over every namespace of the tenant, and
// what it saw of each object, for quota.Ledger.Settle.
func (c *Counter) Count(ctx context.Context, tenant string, hard corev1.ResourceList, now time.Time) (corev1.ResourceList, quota.Seen, error) {
	namespaces := &corev1.NamespaceList{}
	if err := c.Reader.List(ctx, namespaces, client.MatchingLabels{
		naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelTenant: tenant,
	}); err != nil {
		return nil, nil, fmt.Errorf("list the namespaces of tenant %s: %w", tenant, err)
	}
	used := corev1.ResourceList{}
	seen := map[string]seenObject{}
	for _, ns := range namespaces.Items {
		for _, kind := range quota.Kinds(hard) {
			list, err := c.list(ctx, kind, ns.Name)
			if err != nil {
				return nil, nil, err
			}
			items, err := meta.ExtractList(list)
			if err != nil {
				return nil, nil, err
			}
			for _, it := range items {
				usage, err := quota.Usage(it, now)
				if err != nil {
					return nil, nil, err
				}
				usage = quota.Mask(usage, hard)
				used = quota.Add(used, usage)
				o := it.(client.Object)
				seen[quota.Key(kind, ns.Name, o.GetName())] = seenObject{uid: o.GetUID(), usage: usage}
			}
		}
	}
	return used, func(key string, uid types.UID) (corev1.ResourceList, bool) {
		s, ok := seen[key]
		return s.usage, ok && s.uid == uid
	}, nil
}

func (c *Counter) list(ctx context.Context, kind quota.Kind, namespace string) (runtime.Object, error) {
	var list client.ObjectList
	switch kind {
	case quota.KindPods:
		list = &corev1.PodList{}
	case quota.KindPVCs:
		list = &corev1.PersistentVolumeClaimList{}
	case quota.KindServices:
		list = &corev1.ServiceList{}
	default:
		return nil, fmt.Errorf("tenant quota cannot count %s", kind)
	}
	if err := c.Reader.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("list %s in namespace %s: %w", kind, namespace, err)
	}
	return list, nil
}

// Settle counts the tenant's usage and records it in its ledger, releasing the reservations the count
// accounts for. It returns the settled ledger. A count that changes nothing is not written: an idle tenant
// costs reads only.
func Settle(ctx context.Context, s *Store, c *Counter, tenant *naasv1alpha1.Tenant, now time.Time) (*quota.Ledger, error) {
	var settled *quota.Ledger
	err := s.Change(ctx, tenant, false, func(l *quota.Ledger) (bool, error) {
		counted, seen, err := c.Count(ctx, tenant.Name, tenant.Spec.Quota, now)
		if err != nil {
			return false, err
		}
		before := l.DeepCopy()
		l.Settle(tenant.Spec.Quota, counted, seen, now)
		settled = l
		return !apiequality.Semantic.DeepEqual(before.Counted, l.Counted) || !apiequality.Semantic.DeepEqual(before.Pending, l.Pending), nil
	})
	return settled, err
}
