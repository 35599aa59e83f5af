// Package pullpolicy sets imagePullPolicy Always on the containers of pods and pod templates in the namespaces
// of tiers that ask for it (spec.workloadPolicy.imagePullPolicyAlways), as kube-apiserver's AlwaysPullImages
// plugin does cluster-wide, for API servers that do not serve MutatingAdmissionPolicy. Where the API server serves
// it, platform.PolicyTierPullAlways does the same inside the API server and this webhook is not registered. Either
// way the validating policy naas-tier-workloads refuses what is left: imagePullPolicy Never.
//
// Patches is the pure decision; the handler only finds the namespace's tier.
package pullpolicy

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/webhook"
)

// PullsAlways reports whether tier t requires imagePullPolicy Always: unless it turns the rule off.
func PullsAlways(t *naasv1alpha1.Tier) bool {
	p := t.Spec.WorkloadPolicy.ImagePullPolicyAlways
	return p == nil || *p
}

// Patches returns the JSON patch that sets imagePullPolicy Always on each container of spec whose policy is
// unset or IfNotPresent; Never is left alone, for naas-tier-workloads to refuse with a message that says why.
// path is where spec lies in the object ("/spec" for a pod). With ephemeralOnly (a request on a pod's
// ephemeralcontainers subresource, which may not change the pod's other containers) only the ephemeral
// containers not in existing, the names of those the pod already had, are patched.
func Patches(path string, spec *corev1.PodSpec, ephemeralOnly bool, existing []string) []jsonpatch.Operation {
	var out []jsonpatch.Operation
	patch := func(list string, i int, c *corev1.Container) {
		if c.ImagePullPolicy == "" || c.ImagePullPolicy == corev1.PullIfNotPresent {
			out = append(out, jsonpatch.Operation{
				Operation: "add", Path: path + "/" + list + "/" + strconv.Itoa(i) + "/imagePullPolicy", Value: string(corev1.PullAlways),
			})
		}
	}
	if !ephemeralOnly {
		for i := range spec.Containers {
			patch("containers", i, &spec.Containers[i])
		}
		for i := range spec.InitContainers {
			patch("initContainers", i, &spec.InitContainers[i])
		}
	}
	for i := range spec.EphemeralContainers {
		c := &spec.EphemeralContainers[i]
		if !slices.Contains(existing, c.Name) {
			patch("ephemeralContainers", i, (*corev1.Container)(&c.EphemeralContainerCommon))
		}
	}
	return out
}

// kinds are the resources the webhook mutates: a new object of each, and where its pod spec lies.
var kinds = map[string]struct {
	obj  func() runtime.Object
	path string
	spec func(runtime.Object) *corev1.PodSpec
}{
	"pods": {func() runtime.Object { return &corev1.Pod{} }, "/spec", func(o runtime.Object) *corev1.PodSpec { return &o.(*corev1.Pod).Spec }},
	"deployments": {func() runtime.Object { return &appsv1.Deployment{} }, "/spec/template/spec",
		func(o runtime.Object) *corev1.PodSpec { return &o.(*appsv1.Deployment).Spec.Template.Spec }},
	"replicasets": {func() runtime.Object { return &appsv1.ReplicaSet{} }, "/spec/template/spec",
		func(o runtime.Object) *corev1.PodSpec { return &o.(*appsv1.ReplicaSet).Spec.Template.Spec }},
	"statefulsets": {func() runtime.Object { return &appsv1.StatefulSet{} }, "/spec/template/spec",
		func(o runtime.Object) *corev1.PodSpec { return &o.(*appsv1.StatefulSet).Spec.Template.Spec }},
	"daemonsets": {func() runtime.Object { return &appsv1.DaemonSet{} }, "/spec/template/spec",
		func(o runtime.Object) *corev1.PodSpec { return &o.(*appsv1.DaemonSet).Spec.Template.Spec }},
	"jobs": {func() runtime.Object { return &batchv1.Job{} }, "/spec/template/spec",
		func(o runtime.Object) *corev1.PodSpec { return &o.(*batchv1.Job).Spec.Template.Spec }},
	"cronjobs": {func() runtime.Object { return &batchv1.CronJob{} }, "/spec/jobTemplate/spec/template/spec",
		func(o runtime.Object) *corev1.PodSpec {
			return &o.(*batchv1.CronJob).Spec.JobTemplate.Spec.Template.Spec
		}},
	"replicationcontrollers": {func() runtime.Object { return &corev1.ReplicationController{} }, "/spec/template/spec",
		func(o runtime.Object) *corev1.PodSpec {
			if t := o.(*corev1.ReplicationController).Spec.Template; t != nil {
				return &t.Spec
			}
			return &corev1.PodSpec{}
		}},
}

// TemplateResources are the resources with pod templates the webhook must be registered for (create and update),
// by API group; besides them, pods (create) and pods/ephemeralcontainers (update).
var TemplateResources = map[string][]string{
	"":      {"replicationcontrollers"},
	"apps":  {"deployments", "replicasets", "statefulsets", "daemonsets"},
	"batch": {"jobs", "cronjobs"},
}

// Defaulter is the mutating webhook. It is registered for naas namespaces only; the tier of a namespace is its
// claim's.
type Defaulter struct {
	// Client reads claims and tiers from the manager's cache.
	Client  client.Reader
	Decoder admission.Decoder
}

var _ admission.Handler = (*Defaulter)(nil)

// Handle implements admission.Handler.
func (d *Defaulter) Handle(ctx context.Context, req admission.Request) admission.Response {
	kind, ok := kinds[req.Resource.Resource]
	ephemeral := req.SubResource == "ephemeralcontainers"
	switch {
	case !ok || (req.SubResource != "" && !ephemeral):
		return admission.Allowed("not a pod or pod template")
	case req.Resource.Resource == "pods" && req.Operation != admissionv1.Create && !ephemeral:
		return admission.Allowed("a pod's containers are set when it is created")
	}
	tier, err := d.tier(ctx, req.Namespace)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	if tier == nil || !PullsAlways(tier) {
		return admission.Allowed("the namespace's tier does not require imagePullPolicy Always")
	}
	obj := kind.obj()
	if err := d.Decoder.Decode(req, obj); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	var existing []string
	if ephemeral && len(req.OldObject.Raw) > 0 {
		old := &corev1.Pod{}
		if err := d.Decoder.DecodeRaw(req.OldObject, old); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		for _, c := range old.Spec.EphemeralContainers {
			existing = append(existing, c.Name)
		}
	}
	patches := Patches(kind.path, kind.spec(obj), ephemeral, existing)
	if len(patches) == 0 {
		return admission.Allowed("every container pulls always or says Never")
	}
	return admission.Patched(fmt.Sprintf("imagePullPolicy Always, as tier %s requires", tier.Name), patches...)
}

// tier is the tier of naas namespace ns: its claim's, nil when either is missing.
func (d *Defaulter) tier(ctx context.Context, ns string) (*naasv1alpha1.Tier, error) {
	claim, err := webhook.Get[naasv1alpha1.NamespaceClaim](ctx, d.Client, ns)
	if err != nil || claim == nil {
		return nil, err
	}
	name := claim.Status.Tier
	if name == "" {
		name = claim.Spec.Tier
	}
	return webhook.Get[naasv1alpha1.Tier](ctx, d.Client, name)
}
