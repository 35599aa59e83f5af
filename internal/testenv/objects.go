package testenv

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
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

// RestrictedDeployment is a Deployment of replicas RestrictedPodCPU pods labelled app: name.
func RestrictedDeployment(namespace, name string, replicas int32, cpu string) *appsv1.Deployment {
	pod := RestrictedPodCPU(namespace, name, cpu)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: pod.Labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: pod.Labels}, Spec: pod.Spec},
		},
	}
}

// RunningPods returns the pods labelled app: app in namespace once want of them are Running and Ready on a
// node, as kube-scheduler and kwok make them on an environment with Options.Nodes; until then, an error
// saying how far they are.
func RunningPods(ctx context.Context, c client.Client, namespace, app string, want int) ([]corev1.Pod, error) {
	pods := &corev1.PodList{}
	if err := c.List(ctx, pods, client.InNamespace(namespace), client.MatchingLabels{"app": app}); err != nil {
		return nil, err
	}
	var running []corev1.Pod
	var states []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && p.Spec.NodeName != "" && podReady(&p) {
			running = append(running, p)
			continue
		}
		states = append(states, fmt.Sprintf("%s %s on %q", p.Name, p.Status.Phase, p.Spec.NodeName))
	}
	if len(running) != want {
		return nil, fmt.Errorf("%d of %d pods of %s/%s Running and Ready; others: %v", len(running), want, namespace, app, states)
	}
	return running, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
