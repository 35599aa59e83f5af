package admission

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func pvc(ns, name, size string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
		},
	}
}

func TestTenantQuota_StorageAndServicesAreCappedAcrossNamespaces(t *testing.T) {
	ctx := context.Background()
	workloadTenant(t, "vol", func(s *naasv1alpha1.TenantSpec) {
		s.Quota = corev1.ResourceList{
			corev1.ResourceRequestsStorage:        resource.MustParse("3Gi"),
			corev1.ResourcePersistentVolumeClaims: resource.MustParse("2"),
			corev1.ResourceServicesLoadBalancers:  resource.MustParse("1"),
		}
	})
	env.Provision(t, claim("vol-a", "vol", "staging"))
	env.Provision(t, claim("vol-b", "vol", "staging"))

	admitted(t, "2Gi volume in the first namespace", pvc("vol-a", "data", "2Gi"))
	denied(t, "2Gi volume in the second namespace", as("bob").Create(ctx, pvc("vol-b", "data", "2Gi")), metav1.StatusReasonForbidden,
		`tenant "vol" would exceed its tenant-wide quota`, "requested requests.storage=2Gi; already used requests.storage=2Gi; limited to requests.storage=3Gi")
	admitted(t, "1Gi volume in the second namespace", pvc("vol-b", "data", "1Gi"))
	denied(t, "a third volume", as("bob").Create(ctx, pvc("vol-b", "more", "1Mi")), metav1.StatusReasonForbidden,
		"requested persistentvolumeclaims=1", "limited to persistentvolumeclaims=2")

	// Each staging namespace allows one load balancer; the tenant allows one in all.
	lb := func(ns string) *corev1.Service {
		s := service(ns, "lb", corev1.ServiceTypeLoadBalancer)
		s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
		return s
	}
	admitted(t, "a load balancer in the first namespace", lb("vol-a"))
	denied(t, "a load balancer in the second namespace", as("bob").Create(ctx, lb("vol-b")), metav1.StatusReasonForbidden,
		"limited to services.loadbalancers=1")
	if err := env.Client.Delete(ctx, lb("vol-a")); err != nil {
		t.Fatal(err)
	}
	admitted(t, "a load balancer in the second namespace once the first is gone", lb("vol-b"))
}

func TestTenants_QuotaMustNameWhatNaasCounts(t *testing.T) {
	ctx := context.Background()
	bad := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "typo"}, Spec: naasv1alpha1.TenantSpec{
		Quota: corev1.ResourceList{"requests.cpus": resource.MustParse("4")},
	}}
	denied(t, "tenant quota of an unknown resource", env.Client.Create(ctx, bad), metav1.StatusReasonInvalid,
		`spec.quota[requests.cpus]: Unsupported value: "requests.cpus"`, `"requests.cpu"`, "requests.nvidia.com/gpu")
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(bad), &naasv1alpha1.Tenant{}); err == nil {
		t.Error("the tenant was created")
	}
}

func TestTenantQuota_AdmissionReadsNamespacesFromNaasCache(t *testing.T) {
	ctx := context.Background()
	workloadTenant(t, "qreads", func(s *naasv1alpha1.TenantSpec) {
		s.Quota = corev1.ResourceList{corev1.ResourceServicesLoadBalancers: resource.MustParse("1")}
	})
	env.Provision(t, claim("qreads-a", "qreads", "staging"))
	// Each charged object names its namespace, whose labels tell the tenant: they are read from naas's cache,
	// not from kube-apiserver on every pod, volume or service created.
	const services = 50
	before := namespaceGets(t)
	for i := range services {
		s := service("qreads-a", fmt.Sprintf("svc-%d", i), corev1.ServiceTypeClusterIP)
		if err := env.Client.Create(ctx, s, client.DryRunAll); err != nil {
			t.Fatalf("dry-run service %s: %v", s.Name, err)
		}
	}
	if got := namespaceGets(t) - before; got >= services/5 {
		t.Errorf("kube-apiserver answered %d GETs of namespaces during %d service admissions; want them read from naas's cache", got, services)
	}
}
