package testenv

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// RestrictedPod is a pod that the restricted Pod Security level and the default tiers admit: non-root, runtime
// default seccomp, no privilege escalation or capabilities, image pull policy Always, and requests equal to
// limits of 100m CPU and 64Mi memory. Its label app is its name.
func RestrictedPod(namespace, name string) *corev1.Pod {
	return RestrictedPodCPU(namespace, name, "100m")
}

// RestrictedPodCPU is RestrictedPod requesting and limited to cpu.
func RestrictedPodCPU(namespace, name, cpu string) *corev1.Pod {
	resources := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("64Mi")}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.example/app:1", ImagePullPolicy: corev1.PullAlways,
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
				Resources: corev1.ResourceRequirements{Requests: resources, Limits: resources.DeepCopy()},
			}},
		},
	}
}
