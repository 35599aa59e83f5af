package admission

import (
	"context"
	"fmt"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

// waitDenied retries create as bob until the API server refuses it (admission policies and their bindings
// reach the API server within moments of being written), then checks that the refusal is Forbidden and says
// want.
func waitDenied(t *testing.T, what string, obj client.Object, want ...string) {
	t.Helper()
	ctx := context.Background()
	var err error
	testenv.Eventually(t, 20*time.Second, what+" refused", func() error {
		err = env.EventuallyAs(t, "bob", func(c client.Client) error { return c.Create(ctx, obj.DeepCopyObject().(client.Object)) })
		if err == nil {
			_ = env.Client.Delete(ctx, obj, client.GracePeriodSeconds(0))
			return testenv.Errorf("%s was admitted", what)
		}
		return nil
	})
	denied(t, what, err, metav1.StatusReasonForbidden, want...)
}

// admitted creates obj as bob and fails the test if the API server refuses it.
func admitted(t *testing.T, what string, obj client.Object) {
	t.Helper()
	if err := env.EventuallyAs(t, "bob", func(c client.Client) error { return c.Create(context.Background(), obj) }); err != nil {
		t.Errorf("%s: refused: %v", what, err)
	}
}

func deployment(ns, name string, pod *corev1.Pod) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod.Spec},
		},
	}
}

func service(ns, name string, typ corev1.ServiceType) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Type:     typ,
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}
}

func workloadTenant(t *testing.T, name string, spec func(*naasv1alpha1.TenantSpec)) {
	t.Helper()
	testenv.Tenant(name).Developer("bob").With(spec).Create(t, env)
}

func TestWorkload_PodSecurityFromTheTier(t *testing.T) {
	workloadTenant(t, "psa", func(*naasv1alpha1.TenantSpec) {})
	env.Provision(t, claim("psa-app", "psa", "dev"))
	privileged := testenv.RestrictedPod("psa-app", "root")
	privileged.Spec.SecurityContext.RunAsNonRoot = nil
	privileged.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	waitDenied(t, "privileged pod in a restricted tier", privileged,
		`violates PodSecurity "restricted:latest"`, "privileged")
	admitted(t, "pod meeting the restricted level", testenv.RestrictedPod("psa-app", "ok"))
}

func TestWorkload_ImagesOnlyFromTheTenantsRegistries(t *testing.T) {
	workloadTenant(t, "reg", func(s *naasv1alpha1.TenantSpec) {
		s.AllowedRegistries = []string{"registry.example/", "ghcr.io/reg/"}
	})
	env.Provision(t, claim("reg-app", "reg", "dev"))
	elsewhere := testenv.RestrictedPod("reg-app", "hub")
	elsewhere.Spec.Containers[0].Image = "docker.io/library/nginx:1.27"
	waitDenied(t, "pod pulling from another registry", elsewhere,
		"pod hub: image docker.io/library/nginx:1.27 is not from a registry tenant reg allows",
		"images must start with one of: registry.example/, ghcr.io/reg/")

	initElsewhere := testenv.RestrictedPod("reg-app", "init")
	initElsewhere.Spec.InitContainers = []corev1.Container{*initElsewhere.Spec.Containers[0].DeepCopy()}
	initElsewhere.Spec.InitContainers[0].Name = "migrate"
	initElsewhere.Spec.InitContainers[0].Image = "quay.io/other/migrate:1"
	denied(t, "init container from another registry", as("bob").Create(context.Background(), initElsewhere), metav1.StatusReasonForbidden,
		"image quay.io/other/migrate:1 is not from a registry")
	denied(t, "deployment pulling from another registry", as("bob").Create(context.Background(), deployment("reg-app", "hub", elsewhere)),
		metav1.StatusReasonForbidden, "deployment hub: image docker.io/library/nginx:1.27")

	admitted(t, "pod from an allowed registry", testenv.RestrictedPod("reg-app", "ok"))
	fromGHCR := testenv.RestrictedPod("reg-app", "ghcr")
	fromGHCR.Spec.Containers[0].Image = "ghcr.io/reg/api:2"
	admitted(t, "deployment from an allowed registry", deployment("reg-app", "ghcr", fromGHCR))
}

func TestWorkload_ImagePullPolicySetToAlwaysWhereTheTierAsks(t *testing.T) {
	ctx := context.Background()
	createTier(t, "test-pull-relaxed", naasv1alpha1.TierSpec{
		Quota:          corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")},
		PodSecurity:    naasv1alpha1.PodSecurityRestricted,
		WorkloadPolicy: naasv1alpha1.WorkloadPolicy{ImagePullPolicyAlways: ptr.To(false)},
	})
	workloadTenant(t, "pull", func(*naasv1alpha1.TenantSpec) {})
	env.Provision(t, claim("pull-dev", "pull", "dev"))
	env.Provision(t, claim("pull-relaxed", "pull", "test-pull-relaxed"))
	// The local API server serves MutatingAdmissionPolicy: naas sets the policy there, not in a webhook.
	if err := env.Client.Get(ctx, client.ObjectKey{Name: platform.PolicyTierPullAlways}, &admissionregistrationv1.MutatingAdmissionPolicy{}); err != nil {
		t.Fatalf("the pull policy mutation is not installed: %v", err)
	}
	checkPullPolicy(t, "pull-dev", "pull-relaxed")
}

// checkPullPolicy checks, as bob, that naas sets imagePullPolicy Always in namespace always (of the dev tier),
// refuses Never there, and leaves the policy as given in namespace relaxed (of a tier that turns the rule off).
func checkPullPolicy(t *testing.T, always, relaxed string) {
	t.Helper()
	ctx := context.Background()
	never := testenv.RestrictedPod(always, "never")
	never.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	waitDenied(t, "pod with imagePullPolicy Never in the dev tier", never,
		"pod never: container app has imagePullPolicy Never; tier dev requires imagePullPolicy: Always", "set imagePullPolicy: Always")

	cached := func(ns, name string) *corev1.Pod {
		p := testenv.RestrictedPod(ns, name)
		p.Spec.Containers[0].ImagePullPolicy = corev1.PullIfNotPresent
		p.Spec.InitContainers = []corev1.Container{*p.Spec.Containers[0].DeepCopy()}
		p.Spec.InitContainers[0].Name = "migrate"
		p.Spec.InitContainers[0].ImagePullPolicy = "" // Kubernetes defaults a tagged image's to IfNotPresent
		return p
	}
	pod := mutated(t, "pod with imagePullPolicy IfNotPresent in the dev tier", func(name string) client.Object { return cached(always, name) },
		func(o client.Object) []corev1.Container {
			p := o.(*corev1.Pod)
			return append(p.Spec.Containers, p.Spec.InitContainers...)
		},
	).(*corev1.Pod)
	mutated(t, "deployment with imagePullPolicy IfNotPresent (a Helm chart's default)",
		func(name string) client.Object { return deployment(always, name, cached("", "")) },
		func(o client.Object) []corev1.Container { return o.(*appsv1.Deployment).Spec.Template.Spec.Containers })

	// A debug container added to the running pod pulls always too.
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debug", Image: "registry.example/debug:1", ImagePullPolicy: corev1.PullIfNotPresent,
		SecurityContext: pod.Spec.Containers[0].SecurityContext,
	}})
	if err := env.Client.SubResource("ephemeralcontainers").Update(ctx, pod); err != nil {
		t.Fatalf("add an ephemeral container: %v", err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), pod); err != nil {
		t.Fatal(err)
	}
	if got := pod.Spec.EphemeralContainers[0].ImagePullPolicy; got != corev1.PullAlways {
		t.Errorf("ephemeral container stored with imagePullPolicy %s, want Always", got)
	}

	asGiven := cached(relaxed, "cached")
	admitted(t, "pod with IfNotPresent where the tier turns the rule off", asGiven)
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(asGiven), asGiven); err != nil {
		t.Fatal(err)
	}
	if got := asGiven.Spec.Containers[0].ImagePullPolicy; got != corev1.PullIfNotPresent {
		t.Errorf("pod in a tier that does not ask stored with imagePullPolicy %s, want IfNotPresent as given", got)
	}
}

// mutated creates the object make returns as bob until it is stored with imagePullPolicy Always on every
// container containers returns (the tier's mutation binding reaches the API server moments after the tier; until
// then naas-tier-workloads refuses it), and returns it as stored.
func mutated(t *testing.T, what string, make func(name string) client.Object, containers func(client.Object) []corev1.Container) client.Object {
	t.Helper()
	ctx := context.Background()
	var obj client.Object
	attempt := 0
	testenv.Eventually(t, 20*time.Second, what+" admitted with imagePullPolicy Always", func() error {
		attempt++
		obj = make(fmt.Sprintf("pulls-%d", attempt))
		if err := env.EventuallyAs(t, "bob", func(c client.Client) error { return c.Create(ctx, obj) }); err != nil {
			return err
		}
		t.Cleanup(func() { _ = env.Client.Delete(ctx, obj, client.GracePeriodSeconds(0)) })
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		for _, c := range containers(obj) {
			if c.ImagePullPolicy != corev1.PullAlways {
				return testenv.Errorf("container %s stored with imagePullPolicy %q, want Always", c.Name, c.ImagePullPolicy)
			}
		}
		return nil
	})
	return obj
}

func TestWorkload_ResourceRequestsWhereTheTierRequiresThem(t *testing.T) {
	createTier(t, "test-requests", naasv1alpha1.TierSpec{
		Quota:          corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")},
		PodSecurity:    naasv1alpha1.PodSecurityRestricted,
		WorkloadPolicy: naasv1alpha1.WorkloadPolicy{RequireResourceRequests: true},
	})
	workloadTenant(t, "req", func(*naasv1alpha1.TenantSpec) {})
	env.Provision(t, claim("req-strict", "req", "test-requests"))
	env.Provision(t, claim("req-dev", "req", "dev"))

	bare := func(ns, name string) *corev1.Pod {
		p := testenv.RestrictedPod(ns, name)
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
		return p
	}
	waitDenied(t, "pod without requests in a tier that requires them", bare("req-strict", "bare"),
		"pod bare: container app sets no cpu or memory request; tier test-requests requires both", "set resources.requests.cpu and resources.requests.memory")
	denied(t, "deployment without requests", as("bob").Create(context.Background(), deployment("req-strict", "bare", bare("", "bare"))),
		metav1.StatusReasonForbidden, "deployment bare: container app sets no cpu or memory request")
	admitted(t, "pod with requests", testenv.RestrictedPod("req-strict", "sized"))
	// The dev tier does not require requests (and its LimitRange gives defaults).
	admitted(t, "pod without requests in the dev tier", bare("req-dev", "bare"))
}

func TestWorkload_ServicesNoNodePortsAndLoadBalancersByTier(t *testing.T) {
	ctx := context.Background()
	workloadTenant(t, "svc", func(*naasv1alpha1.TenantSpec) {})
	env.Provision(t, claim("svc-dev", "svc", "dev"))
	env.Provision(t, claim("svc-staging", "svc", "staging"))

	waitDenied(t, "NodePort service", service("svc-dev", "np", corev1.ServiceTypeNodePort),
		"service np has type NodePort, which naas namespaces do not allow", "use type ClusterIP behind the platform gateway")
	admitted(t, "ClusterIP service", service("svc-dev", "web", corev1.ServiceTypeClusterIP))

	denied(t, "LoadBalancer in the dev tier", as("bob").Create(ctx, service("svc-dev", "lb", corev1.ServiceTypeLoadBalancer)), metav1.StatusReasonForbidden,
		"service lb has type LoadBalancer, but tier dev allows no load balancers (spec.quota services.loadbalancers: 0)")

	// Staging allows one load balancer, counted exactly by the namespace's ResourceQuota. (Its quota has no
	// node ports either, so the load balancers allocate none.)
	lb := func(name string) *corev1.Service {
		s := service("svc-staging", name, corev1.ServiceTypeLoadBalancer)
		s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
		return s
	}
	admitted(t, "first LoadBalancer in the staging tier", lb("lb-1"))
	denied(t, "second LoadBalancer in the staging tier", as("bob").Create(ctx, lb("lb-2")), metav1.StatusReasonForbidden,
		"exceeded quota", "services.loadbalancers=1")
}

// TestWorkload_ServicesNoExternalIPs: a service's external IPs make kube-proxy send that address's traffic, from
// every pod and node, to the service (CVE-2020-8554). naas up's API server refuses them everywhere
// (DenyServiceExternalIPs); naas's own policy refuses them in naas namespaces where a cluster does not (package
// olderapiserver).
func TestWorkload_ServicesNoExternalIPs(t *testing.T) {
	ctx := context.Background()
	workloadTenant(t, "eip", func(*naasv1alpha1.TenantSpec) {})
	env.Provision(t, claim("eip-app", "eip", "dev"))
	svc := service("eip-app", "capture", corev1.ServiceTypeClusterIP)
	svc.Spec.ExternalIPs = []string{"10.0.0.53"}
	err := env.EventuallyAs(t, "bob", func(c client.Client) error { return c.Create(ctx, svc.DeepCopy()) })
	denied(t, "developer's service with an external IP", err, metav1.StatusReasonForbidden, "Use of external IPs is denied")

	// Everywhere, for everyone: the cluster admin in a namespace naas does not manage.
	other := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "not-naas-eip"}}
	if err := env.Client.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, other) })
	elsewhere := service("not-naas-eip", "capture", corev1.ServiceTypeClusterIP)
	elsewhere.Spec.ExternalIPs = []string{"10.0.0.53"}
	denied(t, "cluster admin's service with an external IP outside naas namespaces", env.Client.Create(ctx, elsewhere),
		metav1.StatusReasonForbidden, "Use of external IPs is denied")
}

func TestWorkload_NoHostPorts(t *testing.T) {
	// Pod Security baseline and restricted forbid host ports already; naas forbids them in privileged tiers too.
	createTier(t, "test-privileged", naasv1alpha1.TierSpec{
		Quota:       corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")},
		PodSecurity: naasv1alpha1.PodSecurityPrivileged,
	})
	workloadTenant(t, "hp", func(*naasv1alpha1.TenantSpec) {})
	env.Provision(t, claim("hp-app", "hp", "test-privileged"))
	hostPort := testenv.RestrictedPod("hp-app", "hp")
	hostPort.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 8080}}
	waitDenied(t, "pod with a host port", hostPort,
		"pod hp: container app asks for a host port, which naas namespaces do not allow", "remove hostPort and expose the pod with a Service")
	denied(t, "daemonset with a host port", as("bob").Create(context.Background(), &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "hp-app", Name: "agent"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}}, Spec: hostPort.Spec},
		},
	}), metav1.StatusReasonForbidden, "daemonset agent: container app asks for a host port")
	containerPort := testenv.RestrictedPod("hp-app", "cp")
	containerPort.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080}}
	admitted(t, "pod with a container port only", containerPort)
}

// TestWorkload_TenantBindingIsPutBack edits and deletes a tenant's workload policy binding, as a cluster admin
// might by mistake, and checks that naas puts it back: from its cache of bindings, which it compares with what it
// wants instead of reading each binding from the API server.
func TestWorkload_TenantBindingIsPutBack(t *testing.T) {
	ctx := context.Background()
	workloadTenant(t, "wl-heal", func(*naasv1alpha1.TenantSpec) {})
	name := platform.TenantBindingName("wl-heal")
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	testenv.Eventually(t, 20*time.Second, "the tenant's binding exists", func() error {
		return env.Client.Get(ctx, client.ObjectKey{Name: name}, b)
	})
	want := b.Spec.ParamRef.Name

	b.Spec.ParamRef.Name = "someone-else"
	if err := env.Client.Update(ctx, b); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "the edited binding is put back", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, b); err != nil {
			return err
		}
		if b.Spec.ParamRef.Name != want {
			return testenv.Errorf("paramRef %q, want %q", b.Spec.ParamRef.Name, want)
		}
		return nil
	})

	uid := b.UID
	if err := env.Client.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "the deleted binding is made again", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, b); err != nil {
			return err
		}
		if b.UID == uid {
			return testenv.Errorf("still the deleted binding")
		}
		return nil
	})
}
