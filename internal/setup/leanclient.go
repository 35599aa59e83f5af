package setup

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// metadataKinds are the kinds naas caches as metadata only (metav1.PartialObjectMetadata): the objects of every
// namespace naas provisions, and namespaces. Their full objects are never cached: at 10,000 namespaces they were
// most of naas's memory (ResourceQuotas alone, with their status, 80 MiB), and naas does not need them to know
// that an object is as it applied it (see apply.Apply) nor to be told when someone changes one (a change of any
// field changes the metadata's resourceVersion).
func metadataKinds() []client.Object {
	return []client.Object{
		&corev1.Namespace{}, &corev1.ResourceQuota{}, &corev1.LimitRange{}, &rbacv1.RoleBinding{},
		&networkingv1.NetworkPolicy{}, &corev1.ConfigMap{}, &apiextensionsv1.CustomResourceDefinition{},
	}
}

// leanClient routes the reads of the manager's client so that the cache holds only what naas decided to cache:
//
//   - metadata reads (PartialObjectMetadata, and lists of them) of metadataKinds come from the cache, which
//     holds their metadata only;
//   - every other read of those kinds (typed or unstructured), and metadata reads of any other kind, go to the
//     API server.
//
// controller-runtime's client reads typed objects from the cache and starts an informer for any kind it has not
// seen: a typed read of a ResourceQuota would quietly cache every ResourceQuota in full again, and a metadata
// read of a template manifest's kind (a Deployment, say) would cache the metadata of every such object of the
// cluster. The router makes both impossible. Writes pass through unchanged.
type leanClient struct {
	client.Client
	direct client.Reader
	kinds  map[schema.GroupVersionKind]bool
}

// newLeanClientFunc returns the manager's client constructor: controller-runtime's client, routed by leanClient.
func newLeanClientFunc(scheme *runtime.Scheme) func(*rest.Config, client.Options) (client.Client, error) {
	return func(cfg *rest.Config, opts client.Options) (client.Client, error) {
		cached, err := client.New(cfg, opts)
		if err != nil {
			return nil, err
		}
		directOpts := opts
		directOpts.Cache = nil
		direct, err := client.New(cfg, directOpts)
		if err != nil {
			return nil, err
		}
		return newLeanClient(cached, direct, scheme, metadataKinds()...)
	}
}

func newLeanClient(cached client.Client, direct client.Reader, scheme *runtime.Scheme, objs ...client.Object) (*leanClient, error) {
	c := &leanClient{Client: cached, direct: direct, kinds: map[schema.GroupVersionKind]bool{}}
	for _, o := range objs {
		gvk, err := apiutil.GVKForObject(o, scheme)
		if err != nil {
			return nil, err
		}
		c.kinds[gvk] = true
	}
	return c, nil
}

// fromCache reports whether a read of obj (an object or a list) is served from the cache.
func (c *leanClient) fromCache(obj runtime.Object) bool {
	var gvk schema.GroupVersionKind
	switch o := obj.(type) {
	case *metav1.PartialObjectMetadata:
		gvk = o.GroupVersionKind()
	case *metav1.PartialObjectMetadataList:
		gvk = o.GroupVersionKind()
		gvk.Kind = trimList(gvk.Kind)
	default:
		gvk, err := apiutil.GVKForObject(obj, c.Scheme())
		if err != nil {
			return true // let the embedded client report the error
		}
		if meta.IsListType(obj) {
			gvk.Kind = trimList(gvk.Kind)
		}
		return !c.kinds[gvk]
	}
	return c.kinds[gvk]
}

func trimList(kind string) string {
	if len(kind) > 4 && kind[len(kind)-4:] == "List" {
		return kind[:len(kind)-4]
	}
	return kind
}

// Get implements client.Reader.
func (c *leanClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if c.fromCache(obj) {
		return c.Client.Get(ctx, key, obj, opts...)
	}
	return c.direct.Get(ctx, key, obj, opts...)
}

// List implements client.Reader.
func (c *leanClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if c.fromCache(list) {
		return c.Client.List(ctx, list, opts...)
	}
	return c.direct.List(ctx, list, opts...)
}
