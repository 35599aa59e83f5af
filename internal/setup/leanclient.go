package setup

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/inventory"
	"github.com/naas-dev/naas/internal/platform"
)

// inventoryOptions are the kinds naas's inventory tracks on a target cluster: namespaces (every one, so that
// admission tells from memory whether a claimed namespace exists) and the objects naas makes in them (its own
// only). Their full objects are never cached: at 10,000 namespaces they were most of naas's memory.
func inventoryOptions() inventory.Options {
	managed := labels.SelectorFromSet(labels.Set{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue})
	core := corev1.SchemeGroupVersion
	return inventory.Options{
		Kinds: []inventory.Kind{
			{GVK: core.WithKind("Namespace"), Resource: "namespaces", ClusterScoped: true},
			{GVK: core.WithKind("ResourceQuota"), Resource: "resourcequotas", Selector: managed},
			{GVK: core.WithKind("LimitRange"), Resource: "limitranges", Selector: managed},
			// Only naas's own config maps (namespaces' dashboards), so that the claim controller learns
			// from memory, not from a read per claim, that a dashboard it must remove is not there.
			{GVK: core.WithKind("ConfigMap"), Resource: "configmaps", Selector: managed},
			{GVK: rbacv1.SchemeGroupVersion.WithKind("RoleBinding"), Resource: "rolebindings", Selector: managed},
			{GVK: networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"), Resource: "networkpolicies", Selector: managed},
		},
		Labels: []string{naasv1alpha1.LabelManagedBy, naasv1alpha1.LabelTenant, naasv1alpha1.LabelClaim,
			platform.LabelDeletionProtection},
		StampAnnotation: apply.AnnotationApplied,
		Untouched:       apply.Untouched,
		UntouchedFields: apply.UntouchedFields,
		TouchedFields:   apply.TouchedFields,
	}
}

// metadataCachedKinds are cached by the manager as metadata only (few objects, watched for their events).
func metadataCachedKinds() []client.Object {
	return []client.Object{&apiextensionsv1.CustomResourceDefinition{}}
}

// leanClient routes the reads of the manager's client so that nothing caches more than naas decided:
//
//   - metadata reads (PartialObjectMetadata, and lists of them) of the inventory's kinds come from the
//     inventory, of metadataCachedKinds from the cache, of any other kind from the API server;
//   - typed and unstructured reads of the inventory's kinds go to the API server;
//   - every other read is controller-runtime's: typed objects from the cache, unstructured ones directly.
//
// controller-runtime's client starts an informer for any kind it is asked to read and has not seen: a typed
// read of a ResourceQuota would quietly cache every ResourceQuota in full, and a metadata read of a template
// manifest's kind (a Deployment, say) the metadata of every such object of the cluster. The router makes both
// impossible. Writes pass through unchanged.
type leanClient struct {
	client.Client
	direct    client.Reader
	inventory client.Reader
	tracked   map[schema.GroupVersionKind]bool // served by inventory
	metadata  map[schema.GroupVersionKind]bool // served as metadata by the cache
}

// newLeanClientFunc returns the manager's client constructor: controller-runtime's client, routed by leanClient.
func newLeanClientFunc(scheme *runtime.Scheme, inv *inventory.Inventory, tracked []schema.GroupVersionKind) func(*rest.Config, client.Options) (client.Client, error) {
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
		return newLeanClient(cached, direct, inv, tracked, scheme, metadataCachedKinds()...)
	}
}

func newLeanClient(cached client.Client, direct, inv client.Reader, tracked []schema.GroupVersionKind, scheme *runtime.Scheme, metadataCached ...client.Object) (*leanClient, error) {
	c := &leanClient{Client: cached, direct: direct, inventory: inv,
		tracked: map[schema.GroupVersionKind]bool{}, metadata: map[schema.GroupVersionKind]bool{}}
	for _, gvk := range tracked {
		c.tracked[gvk] = true
	}
	for _, o := range metadataCached {
		gvk, err := apiutil.GVKForObject(o, scheme)
		if err != nil {
			return nil, err
		}
		c.metadata[gvk] = true
	}
	return c, nil
}

// reader returns the reader of obj (an object or a list).
func (c *leanClient) reader(obj runtime.Object) client.Reader {
	var gvk schema.GroupVersionKind
	switch o := obj.(type) {
	case *metav1.PartialObjectMetadata:
		gvk = o.GroupVersionKind()
	case *metav1.PartialObjectMetadataList:
		gvk = o.GroupVersionKind()
		gvk.Kind = strings.TrimSuffix(gvk.Kind, "List")
	default:
		gvk, err := apiutil.GVKForObject(obj, c.Scheme())
		if err != nil {
			return c.Client // let it report the error
		}
		if meta.IsListType(obj) {
			gvk.Kind = strings.TrimSuffix(gvk.Kind, "List")
		}
		if c.tracked[gvk] {
			return c.direct
		}
		return c.Client
	}
	switch {
	case c.tracked[gvk]:
		return c.inventory
	case c.metadata[gvk]:
		return c.Client
	}
	return c.direct
}

// Get implements client.Reader.
func (c *leanClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return c.reader(obj).Get(ctx, key, obj, opts...)
}

// List implements client.Reader.
func (c *leanClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return c.reader(list).List(ctx, list, opts...)
}
