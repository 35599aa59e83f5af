package setup

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// TestLeanClient_RoutesReads checks where reads go: metadata of the inventory's kinds to the inventory, of the
// kinds cached as metadata to the cache, of any other kind to the API server; typed and unstructured reads of the
// inventory's kinds to the API server; typed reads of other kinds to the cache (as controller-runtime does). So
// nothing starts an informer that caches what naas decided not to cache.
func TestLeanClient_RoutesReads(t *testing.T) {
	var got string
	record := func(reader string) interceptor.Funcs {
		return interceptor.Funcs{
			Get: func(_ context.Context, _ client.WithWatch, _ client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
				got = fmt.Sprintf("%s get %T", reader, obj)
				return nil
			},
			List: func(_ context.Context, _ client.WithWatch, list client.ObjectList, _ ...client.ListOption) error {
				got = fmt.Sprintf("%s list %T", reader, list)
				return nil
			},
		}
	}
	cached := fake.NewClientBuilder().WithScheme(Scheme()).WithInterceptorFuncs(record("cache")).Build()
	direct := fake.NewClientBuilder().WithScheme(Scheme()).WithInterceptorFuncs(record("direct")).Build()
	inv := fake.NewClientBuilder().WithScheme(Scheme()).WithInterceptorFuncs(record("inventory")).Build()
	var tracked []schema.GroupVersionKind
	for _, k := range inventoryOptions().Kinds {
		tracked = append(tracked, k.GVK)
	}
	c, err := newLeanClient(cached, direct, inv, tracked, Scheme(), metadataCachedKinds()...)
	if err != nil {
		t.Fatal(err)
	}
	metadata := func(apiVersion, kind string) *metav1.PartialObjectMetadata {
		m := &metav1.PartialObjectMetadata{}
		m.APIVersion, m.Kind = apiVersion, kind
		return m
	}
	metadataList := func(apiVersion, kind string) *metav1.PartialObjectMetadataList {
		m := &metav1.PartialObjectMetadataList{}
		m.APIVersion, m.Kind = apiVersion, kind
		return m
	}
	unstructuredQuota := &unstructured.Unstructured{}
	unstructuredQuota.SetAPIVersion("v1")
	unstructuredQuota.SetKind("ResourceQuota")
	for _, tt := range []struct {
		obj  client.Object
		want string
	}{
		{metadata("v1", "ResourceQuota"), "inventory get *v1.PartialObjectMetadata"},
		{metadata("v1", "Namespace"), "inventory get *v1.PartialObjectMetadata"},
		{metadata("apiextensions.k8s.io/v1", "CustomResourceDefinition"), "cache get *v1.PartialObjectMetadata"},
		{&corev1.ResourceQuota{}, "direct get *v1.ResourceQuota"},
		{&corev1.Namespace{}, "direct get *v1.Namespace"},
		{unstructuredQuota, "direct get *unstructured.Unstructured"},
		{metadata("apps/v1", "Deployment"), "direct get *v1.PartialObjectMetadata"},
		{&appsv1.Deployment{}, "cache get *v1.Deployment"},
		{&naasv1alpha1.NamespaceClaim{}, "cache get *v1alpha1.NamespaceClaim"},
	} {
		got = ""
		if err := c.Get(context.Background(), client.ObjectKey{Name: "x"}, tt.obj); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Get of %T %s: %q, want %q", tt.obj, tt.obj.GetObjectKind().GroupVersionKind(), got, tt.want)
		}
	}
	for _, tt := range []struct {
		list client.ObjectList
		want string
	}{
		{metadataList("rbac.authorization.k8s.io/v1", "RoleBindingList"), "inventory list *v1.PartialObjectMetadataList"},
		{&corev1.ResourceQuotaList{}, "direct list *v1.ResourceQuotaList"},
		{metadataList("apps/v1", "DeploymentList"), "direct list *v1.PartialObjectMetadataList"},
		{&naasv1alpha1.NamespaceClaimList{}, "cache list *v1alpha1.NamespaceClaimList"},
	} {
		got = ""
		if err := c.List(context.Background(), tt.list); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("List of %T: %q, want %q", tt.list, got, tt.want)
		}
	}
}
