package pullpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func container(name string, policy corev1.PullPolicy) corev1.Container {
	return corev1.Container{Name: name, Image: "registry.example/" + name + ":1", ImagePullPolicy: policy}
}

func ephemeral(name string, policy corev1.PullPolicy) corev1.EphemeralContainer {
	return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(container(name, policy))}
}

func always(path string) jsonpatch.Operation {
	return jsonpatch.Operation{Operation: "add", Path: path + "/imagePullPolicy", Value: "Always"}
}

func TestPatches(t *testing.T) {
	tests := []struct {
		name          string
		path          string
		spec          corev1.PodSpec
		ephemeralOnly bool
		existing      []string
		want          []jsonpatch.Operation
	}{
		{
			name: "IfNotPresent and unset become Always, in containers and init containers",
			path: "/spec",
			spec: corev1.PodSpec{
				Containers:     []corev1.Container{container("app", corev1.PullIfNotPresent), container("sidecar", "")},
				InitContainers: []corev1.Container{container("migrate", corev1.PullIfNotPresent)},
			},
			want: []jsonpatch.Operation{always("/spec/containers/0"), always("/spec/containers/1"), always("/spec/initContainers/0")},
		},
		{
			name: "Always stays and Never is left for the validating policy to refuse",
			path: "/spec",
			spec: corev1.PodSpec{Containers: []corev1.Container{container("app", corev1.PullAlways), container("local", corev1.PullNever)}},
		},
		{
			name: "a pod template's path",
			path: "/spec/jobTemplate/spec/template/spec",
			spec: corev1.PodSpec{Containers: []corev1.Container{container("job", corev1.PullNever), container("app", corev1.PullIfNotPresent)}},
			want: []jsonpatch.Operation{always("/spec/jobTemplate/spec/template/spec/containers/1")},
		},
		{
			name: "adding an ephemeral container patches only the new one",
			path: "/spec",
			spec: corev1.PodSpec{
				Containers:          []corev1.Container{container("app", corev1.PullIfNotPresent)},
				EphemeralContainers: []corev1.EphemeralContainer{ephemeral("debug-1", corev1.PullIfNotPresent), ephemeral("debug-2", corev1.PullIfNotPresent)},
			},
			ephemeralOnly: true, existing: []string{"debug-1"},
			want: []jsonpatch.Operation{always("/spec/ephemeralContainers/1")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Patches(tt.path, &tt.spec, tt.ephemeralOnly, tt.existing)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("patches (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPullsAlways_UnlessTheTierTurnsItOff(t *testing.T) {
	for _, tt := range []struct {
		setting *bool
		want    bool
	}{{nil, true}, {ptr.To(true), true}, {ptr.To(false), false}} {
		tier := &naasv1alpha1.Tier{Spec: naasv1alpha1.TierSpec{WorkloadPolicy: naasv1alpha1.WorkloadPolicy{ImagePullPolicyAlways: tt.setting}}}
		if got := PullsAlways(tier); got != tt.want {
			t.Errorf("imagePullPolicyAlways %v: PullsAlways = %v, want %v", tt.setting, got, tt.want)
		}
	}
}
