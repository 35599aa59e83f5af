package quota

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// strs turns a resource list into name=quantity strings, which cmp can compare.
func strs(l corev1.ResourceList) map[string]string {
	out := map[string]string{}
	for n, q := range l {
		out[string(n)] = q.String()
	}
	return out
}

func list(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

func container(name string, requests, limits corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: name, Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}
}

func TestPodUsage(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	sidecar := container("proxy", list("cpu", "100m", "memory", "64Mi"), nil)
	sidecar.RestartPolicy = &always
	tests := []struct {
		name string
		pod  corev1.Pod
		want map[string]string
	}{
		{
			name: "requests and limits of every container are summed",
			pod: corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
				container("a", list("cpu", "250m", "memory", "128Mi"), list("cpu", "500m", "memory", "256Mi")),
				container("b", list("cpu", "250m", "memory", "128Mi"), list("cpu", "500m", "memory", "256Mi")),
			}}},
			want: map[string]string{
				"count/pods": "1", "pods": "1",
				"cpu": "500m", "requests.cpu": "500m", "limits.cpu": "1",
				"memory": "256Mi", "requests.memory": "256Mi", "limits.memory": "512Mi",
			},
		},
		{
			name: "a larger init container sets the pod's request",
			pod: corev1.Pod{Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{container("migrate", list("cpu", "2"), list("cpu", "2"))},
				Containers:     []corev1.Container{container("app", list("cpu", "500m"), list("cpu", "1"))},
			}},
			want: map[string]string{"count/pods": "1", "pods": "1", "cpu": "2", "requests.cpu": "2", "limits.cpu": "2"},
		},
		{
			name: "sidecars run beside the containers and count on top of them",
			pod: corev1.Pod{Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{sidecar},
				Containers:     []corev1.Container{container("app", list("cpu", "500m", "memory", "128Mi"), nil)},
			}},
			want: map[string]string{
				"count/pods": "1", "pods": "1", "cpu": "600m", "requests.cpu": "600m",
				"memory": "192Mi", "requests.memory": "192Mi",
			},
		},
		{
			name: "pod overhead is added",
			pod: corev1.Pod{Spec: corev1.PodSpec{
				Overhead:   list("cpu", "50m"),
				Containers: []corev1.Container{container("app", list("cpu", "100m"), list("cpu", "100m"))},
			}},
			want: map[string]string{"count/pods": "1", "pods": "1", "cpu": "150m", "requests.cpu": "150m", "limits.cpu": "150m"},
		},
		{
			name: "GPUs are charged as requests of the extended resource",
			pod: corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
				container("train", list("nvidia.com/gpu", "2"), list("nvidia.com/gpu", "2")),
			}}},
			want: map[string]string{"count/pods": "1", "pods": "1", "requests.nvidia.com/gpu": "2"},
		},
		{
			name: "a finished pod charges only its object count",
			pod: corev1.Pod{
				Spec:   corev1.PodSpec{Containers: []corev1.Container{container("job", list("cpu", "1"), nil)}},
				Status: corev1.PodStatus{Phase: corev1.PodSucceeded},
			},
			want: map[string]string{"count/pods": "1"},
		},
		{
			name: "a pod past its deletion grace period charges only its object count",
			pod: corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{
					DeletionTimestamp:          &metav1.Time{Time: now.Add(-time.Minute)},
					DeletionGracePeriodSeconds: ptr.To[int64](30),
				},
				Spec: corev1.PodSpec{Containers: []corev1.Container{container("app", list("cpu", "1"), nil)}},
			},
			want: map[string]string{"count/pods": "1"},
		},
		{
			name: "a pod within its deletion grace period is still charged",
			pod: corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{
					DeletionTimestamp:          &metav1.Time{Time: now.Add(-10 * time.Second)},
					DeletionGracePeriodSeconds: ptr.To[int64](30),
				},
				Spec: corev1.PodSpec{Containers: []corev1.Container{container("app", list("cpu", "1"), nil)}},
			},
			want: map[string]string{"count/pods": "1", "pods": "1", "cpu": "1", "requests.cpu": "1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, strs(PodUsage(&tt.pod, now))); diff != "" {
				t.Errorf("PodUsage() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPVCUsage(t *testing.T) {
	pvc := func(class *string, request, allocated string) *corev1.PersistentVolumeClaim {
		p := &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: class}}
		if request != "" {
			p.Spec.Resources.Requests = list("storage", request)
		}
		if allocated != "" {
			p.Status.AllocatedResources = list("storage", allocated)
		}
		return p
	}
	tests := []struct {
		name string
		pvc  *corev1.PersistentVolumeClaim
		want map[string]string
	}{
		{"claim without a class", pvc(nil, "10Gi", ""), map[string]string{
			"persistentvolumeclaims": "1", "count/persistentvolumeclaims": "1", "requests.storage": "10Gi"}},
		{"claim of a class is charged to the class too", pvc(ptr.To("fast"), "5Gi", ""), map[string]string{
			"persistentvolumeclaims": "1", "count/persistentvolumeclaims": "1", "requests.storage": "5Gi",
			"fast.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
			"fast.storageclass.storage.k8s.io/requests.storage":       "5Gi"}},
		{"more allocated than requested charges the allocation", pvc(nil, "5Gi", "8Gi"), map[string]string{
			"persistentvolumeclaims": "1", "count/persistentvolumeclaims": "1", "requests.storage": "8Gi"}},
		{"fractional bytes round up", pvc(nil, "1500m", ""), map[string]string{
			"persistentvolumeclaims": "1", "count/persistentvolumeclaims": "1", "requests.storage": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, strs(PVCUsage(tt.pvc))); diff != "" {
				t.Errorf("PVCUsage() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceUsage(t *testing.T) {
	ports := []corev1.ServicePort{{Port: 80}, {Port: 443, NodePort: 30443}}
	tests := []struct {
		name string
		svc  corev1.ServiceSpec
		want map[string]string
	}{
		{"cluster IP", corev1.ServiceSpec{Ports: ports}, map[string]string{
			"services": "1", "count/services": "1", "services.loadbalancers": "0", "services.nodeports": "0"}},
		{"node port counts every port", corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: ports}, map[string]string{
			"services": "1", "count/services": "1", "services.loadbalancers": "0", "services.nodeports": "2"}},
		{"load balancer allocates node ports by default", corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: ports}, map[string]string{
			"services": "1", "count/services": "1", "services.loadbalancers": "1", "services.nodeports": "2"}},
		{"load balancer without node port allocation counts explicit node ports only",
			corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: ports, AllocateLoadBalancerNodePorts: ptr.To(false)},
			map[string]string{"services": "1", "count/services": "1", "services.loadbalancers": "1", "services.nodeports": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, strs(ServiceUsage(&corev1.Service{Spec: tt.svc}))); diff != "" {
				t.Errorf("ServiceUsage() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		want Kind
		ok   bool
	}{
		{"requests.cpu", KindPods, true},
		{"limits.memory", KindPods, true},
		{"pods", KindPods, true},
		{"requests.nvidia.com/gpu", KindPods, true},
		{"requests.hugepages-2Mi", KindPods, true},
		{"requests.storage", KindPVCs, true},
		{"fast.storageclass.storage.k8s.io/requests.storage", KindPVCs, true},
		{"services.loadbalancers", KindServices, true},
		{"count/services", KindServices, true},
		{"configmaps", "", false},
		{"nvidia.com/gpu", "", false},
		{"requests.kubernetes.io/foo", "", false},
		{"fast.storageclass.storage.k8s.io/limits.storage", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := KindOf(corev1.ResourceName(tt.name))
			if got != tt.want || ok != tt.ok {
				t.Errorf("KindOf(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestValidateHard_NamesWhatIsSupported(t *testing.T) {
	errs := ValidateHard(list("requests.cpu", "10", "configmaps", "100", "pods", "-1"), nil)
	if len(errs) != 2 {
		t.Fatalf("want 2 errors, got %v", errs)
	}
	if got := errs[0].Error(); !cmp.Equal(errs[0].Field, "[configmaps]") || !contains(got, "requests.nvidia.com/gpu") || !contains(got, `"requests.cpu"`) {
		t.Errorf("unsupported name error = %q (field %q); want it to list the supported names", got, errs[0].Field)
	}
	if got := errs[1].Error(); !contains(got, "must not be negative") {
		t.Errorf("negative amount error = %q", got)
	}
	if got := Kinds(list("requests.cpu", "1", "services", "3", "pods", "3")); !cmp.Equal(got, []Kind{KindPods, KindServices}) {
		t.Errorf("Kinds() = %v", got)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
