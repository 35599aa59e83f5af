// Package cacheindex holds the field indexes of naas's cache: their names and how they are computed (claims.go),
// registered once and read by the controllers, the webhooks and the REST API alike, and Each, which reads the
// objects of an index in place.
//
// A List through the cache, even with client.UnsafeDisableDeepCopy, copies every matching object into the list's
// items: at 1,000 claims in a tenant that is half a megabyte for each admission request that only counts them,
// and at 200 requests a second the garbage collector runs several times a second. Each hands the cache's own
// objects to a function instead, as the informer's indexer holds them.
package cacheindex

import (
	"context"
	"fmt"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Each calls f with every object of obj's kind in c whose field index (registered with IndexField) has value,
// across all namespaces. The objects are the cache's own: f must neither change nor keep them. obj only names
// the kind.
func Each[T client.Object](ctx context.Context, c cache.Cache, obj T, field, value string, f func(T)) error {
	informer, err := c.GetInformer(ctx, obj)
	if err != nil {
		return fmt.Errorf("the cache's informer of %T: %w", obj, err)
	}
	indexed, ok := informer.(interface{ GetIndexer() toolscache.Indexer })
	if !ok {
		return fmt.Errorf("the cache's informer of %T (%T) has no indexer", obj, informer)
	}
	// controller-runtime's field indexes, as its cache reader names and keys them (cache/internal): the index
	// "field:<field>", and each value under "__all_namespaces/<value>" as well as "<namespace>/<value>".
	items, err := indexed.GetIndexer().ByIndex("field:"+field, "__all_namespaces/"+value)
	if err != nil {
		return fmt.Errorf("index %s of %T: %w", field, obj, err)
	}
	for _, it := range items {
		if o, ok := it.(T); ok {
			f(o)
		}
	}
	return nil
}
