// Package cluster names the clusters naas provisions namespaces on. NamespaceClaims
// live in one management cluster; each namespace lives on a target cluster: the
// management cluster itself ("local") or a registered member (a Cluster object). The
// code that applies a namespace's objects always receives its Target explicitly, from
// a Resolver: the Registry of the fleet, or Static for one cluster.
package cluster

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/inventory"
)

// Local is the name of the management cluster when it is also the target.
const Local = "local"

// Target is a cluster namespaces are provisioned on.
type Target struct {
	// Name identifies the cluster.
	Name string
	// Client writes to the cluster. It reads the metadata of naas's namespaces and of their objects from the
	// cluster's Inventory, and the rest as controller-runtime's client does.
	Client client.Client
	// Reader reads the cluster directly, bypassing caches: for objects naas does not
	// watch, such as a namespace it does not own.
	Reader client.Reader
	// Inventory tracks the namespaces and the objects naas makes on the cluster; its Source tells the
	// controllers when one changes. Nil for a cluster whose changes naas is not told of.
	Inventory *inventory.Inventory
	// Kinds tells which API kinds the cluster serves, from its own discovery API (cached), for the steps of a
	// namespace that need an add-on's CRDs: a member may serve other add-ons than the management cluster. Nil
	// for the management cluster, whose kinds the claim controller knows itself.
	Kinds Kinds
}

// Kinds tells which API kinds a cluster serves.
type Kinds interface {
	// Missing returns the kinds, in order, that the cluster does not serve.
	Missing(ctx context.Context, kinds []schema.GroupVersionKind) ([]schema.GroupVersionKind, error)
}

// Resolver decides which cluster a claim's namespace lives on.
type Resolver interface {
	Resolve(ctx context.Context, claim *naasv1alpha1.NamespaceClaim) (*Target, error)
	// Targets lists every target cluster that is ready, for reading across the fleet.
	Targets() []*Target
	// Source tells toRequests of every change on the inventory of every target cluster, including those
	// that join later.
	Source(toRequests func(cluster string, o client.Object) []reconcile.Request) source.TypedSource[reconcile.Request]
}

// Static resolves every claim to one target.
type Static struct{ Target *Target }

// Resolve implements Resolver.
func (s Static) Resolve(context.Context, *naasv1alpha1.NamespaceClaim) (*Target, error) {
	return s.Target, nil
}

// Targets implements Resolver.
func (s Static) Targets() []*Target { return []*Target{s.Target} }

// Source implements Resolver.
func (s Static) Source(toRequests func(cluster string, o client.Object) []reconcile.Request) source.TypedSource[reconcile.Request] {
	return NewRegistry(s.Target).Source(toRequests)
}
