package tenantledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/quota"
)

// DefaultClusterTimeout bounds the count on one member cluster. The API servers give naas's webhook 3 s in all.
const DefaultClusterTimeout = 2 * time.Second

// Counter counts a tenant's usage from the API servers of the clusters its namespaces live on: the management
// cluster and, in a fleet, every member.
type Counter struct {
	// Reader lists namespaces, pods, persistent volume claims and services on the management cluster. Use the API
	// server directly (the manager's API reader): a count must not miss objects a cache has not caught up with,
	// and naas does not cache every pod of the cluster.
	Reader client.Reader
	// Fleet lists the member clusters to count on besides the management cluster; nil for a single cluster.
	Fleet Fleet
	// ClusterTimeout bounds the count on each member; DefaultClusterTimeout when zero.
	ClusterTimeout time.Duration
}

// Fleet lists the member clusters a tenant's usage is counted on.
type Fleet interface {
	// Members returns every member cluster that holds, or may hold, namespaces of the tenant, with a direct reader
	// of each (a nil Reader with Err when it cannot be reached).
	Members(ctx context.Context, tenant string) ([]Member, error)
}

// Member is a member cluster a count reads.
type Member struct {
	// Cluster is its name.
	Cluster string
	// Reader reads it directly; nil when it cannot be reached (Err says why).
	Reader client.Reader
	Err    error
	// Holds: the tenant has namespaces there. A count that cannot read such a cluster fails (UnreadableError);
	// one that cannot read a cluster where the tenant has none goes on without it.
	Holds bool
}

// UnreadableError says a count could not read a cluster that holds namespaces of the tenant: its usage there is
// unknown, so nothing that would grow it can be admitted until the cluster answers.
type UnreadableError struct {
	Tenant  string
	Cluster string
	Err     error
}

// Error says what happened and what it means for the tenant; it leaves out Err, which may name the member's
// address or naas's credentials there (Counter logs it).
func (e *UnreadableError) Error() string {
	return fmt.Sprintf("tenant %q has namespaces on cluster %s, which naas cannot read now: its tenant-wide usage "+
		"cannot be counted, so nothing that grows it is admitted until the cluster answers again", e.Tenant, e.Cluster)
}

func (e *UnreadableError) Unwrap() error { return e.Err }

type seenObject struct {
	uid   types.UID
	usage corev1.ResourceList
}

// count is one count in progress: the usage so far and what it saw of each object. Namespace names are unique
// across the fleet, so the ledger keys of objects on different clusters never collide.
type count struct {
	hard corev1.ResourceList
	now  time.Time
	used corev1.ResourceList
	seen map[string]seenObject
}

// Count returns the tenant's usage of the resources of hard at now, over every namespace of the tenant on every
// cluster, and what it saw of each object, for quota.Ledger.Settle. It fails with an *UnreadableError when a
// member that holds namespaces of the tenant cannot be read.
func (c *Counter) Count(ctx context.Context, tenant string, hard corev1.ResourceList, now time.Time) (corev1.ResourceList, quota.Seen, error) {
	n := &count{hard: hard, now: now, used: corev1.ResourceList{}, seen: map[string]seenObject{}}
	if err := n.on(ctx, c.Reader, tenant); err != nil {
		return nil, nil, err
	}
	if c.Fleet != nil {
		members, err := c.Fleet.Members(ctx, tenant)
		if err != nil {
			return nil, nil, fmt.Errorf("list the clusters of tenant %s: %w", tenant, err)
		}
		for _, m := range members {
			if err := c.onMember(ctx, n, tenant, m); err != nil {
				return nil, nil, err
			}
		}
	}
	return n.used, func(key string, uid types.UID) (corev1.ResourceList, bool) {
		s, ok := n.seen[key]
		return s.usage, ok && s.uid == uid
	}, nil
}

// onMember counts on a member within the cluster timeout. Whatever it counted there is dropped when it fails.
func (c *Counter) onMember(ctx context.Context, n *count, tenant string, m Member) error {
	err := m.Err
	if m.Reader != nil {
		ctx, cancel := context.WithTimeout(ctx, cmp.Or(c.ClusterTimeout, DefaultClusterTimeout))
		defer cancel()
		part := &count{hard: n.hard, now: n.now, used: corev1.ResourceList{}, seen: map[string]seenObject{}}
		if err = part.on(ctx, m.Reader, tenant); err == nil {
			n.used = quota.Add(n.used, part.used)
			for k, v := range part.seen {
				n.seen[k] = v
			}
			return nil
		}
	}
	if err == nil {
		err = errors.New("no client")
	}
	if m.Holds {
		ctrl.LoggerFrom(ctx).Info("Cannot count tenant usage on a cluster that holds its namespaces", "tenant", tenant, "cluster", m.Cluster, "error", err.Error())
		return &UnreadableError{Tenant: tenant, Cluster: m.Cluster, Err: err}
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Count tenant usage without a cluster that holds none of its namespaces", "cluster", m.Cluster, "error", err.Error())
	return nil
}

// on adds the usage of the tenant's namespaces that reader reads.
func (n *count) on(ctx context.Context, reader client.Reader, tenant string) error {
	namespaces := &corev1.NamespaceList{}
	if err := reader.List(ctx, namespaces, client.MatchingLabels{
		naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelTenant: tenant,
	}); err != nil {
		return fmt.Errorf("list the namespaces of tenant %s: %w", tenant, err)
	}
	for _, ns := range namespaces.Items {
		for _, kind := range quota.Kinds(n.hard) {
			list, err := listKind(ctx, reader, kind, ns.Name)
			if err != nil {
				return err
			}
			items, err := meta.ExtractList(list)
			if err != nil {
				return err
			}
			for _, it := range items {
				usage, err := quota.Usage(it, n.now)
				if err != nil {
					return err
				}
				usage = quota.Mask(usage, n.hard)
				n.used = quota.Add(n.used, usage)
				o := it.(client.Object)
				n.seen[quota.Key(kind, ns.Name, o.GetName())] = seenObject{uid: o.GetUID(), usage: usage}
			}
		}
	}
	return nil
}

func listKind(ctx context.Context, reader client.Reader, kind quota.Kind, namespace string) (runtime.Object, error) {
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
	if err := reader.List(ctx, list, client.InNamespace(namespace)); err != nil {
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
