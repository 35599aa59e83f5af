package setup

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cachedReads serves Gets of unstructured objects of the given kinds from the manager's informer cache of the
// typed objects, converted; every other call goes to the embedded client unchanged.
//
// The claim controller applies a namespace's objects as unstructured and reads each one first, to skip the
// write when nothing changed. controller-runtime's client does not cache unstructured objects, so every such
// read went to kube-apiserver, under the client's rate limit: 11 reads a namespace, on every reconcile, and
// a restart with 10,000 namespaces spent minutes reading. The typed informers of these kinds are there anyway
// (the controller watches them), so reading from them costs no memory. Only the listed kinds are redirected:
// an unstructured read of any other kind (a template's manifests may be of any kind) must not start an
// informer over every object of that kind in the cluster.
type cachedReads struct {
	client.Client
	scheme *runtime.Scheme
	kinds  map[schema.GroupVersionKind]bool
}

// newCachedReads returns c with unstructured reads of the kinds of objs served from its cache.
func newCachedReads(c client.Client, scheme *runtime.Scheme, objs ...client.Object) (*cachedReads, error) {
	r := &cachedReads{Client: c, scheme: scheme, kinds: map[schema.GroupVersionKind]bool{}}
	for _, o := range objs {
		gvks, _, err := scheme.ObjectKinds(o)
		if err != nil {
			return nil, err
		}
		for _, gvk := range gvks {
			r.kinds[gvk] = true
		}
	}
	return r, nil
}

// Get implements client.Reader.
func (r *cachedReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || !r.kinds[u.GroupVersionKind()] {
		return r.Client.Get(ctx, key, obj, opts...)
	}
	gvk := u.GroupVersionKind()
	typed, err := r.scheme.New(gvk)
	if err != nil {
		return err
	}
	tobj, ok := typed.(client.Object)
	if !ok {
		return fmt.Errorf("%s is not an object", gvk)
	}
	if err := r.Client.Get(ctx, key, tobj, opts...); err != nil {
		return err
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(tobj)
	if err != nil {
		return fmt.Errorf("convert %s %s: %w", gvk.Kind, key, err)
	}
	u.SetUnstructuredContent(content)
	u.SetGroupVersionKind(gvk) // objects from the cache carry no apiVersion and kind
	return nil
}
