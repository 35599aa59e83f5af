package bundle

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// The base input: namespace payments-api of tenant payments, template web, tier dev.
const (
	testNamespace = "payments-api"
	testTenant    = "payments"
	testTemplate  = "web"
	testTier      = "dev"
)

func testInput(mods ...func(*Input)) Input {
	in := Input{
		Claim: &naasv1alpha1.NamespaceClaim{
			ObjectMeta: metav1.ObjectMeta{Name: testNamespace},
			Spec: naasv1alpha1.NamespaceClaimSpec{
				Tenant:    testTenant,
				Template:  testTemplate,
				Requester: &naasv1alpha1.Requester{Username: "alice@example.com"},
			},
		},
		Tenant: &naasv1alpha1.Tenant{
			ObjectMeta: metav1.ObjectMeta{Name: testTenant},
			Spec: naasv1alpha1.TenantSpec{
				Owners: []naasv1alpha1.Owner{
					{Kind: naasv1alpha1.SubjectUser, Name: "alice@example.com", Role: naasv1alpha1.RoleAdmin},
					{Kind: naasv1alpha1.SubjectGroup, Name: "payments-devs", Role: naasv1alpha1.RoleDeveloper},
				},
			},
		},
		Template: &naasv1alpha1.NamespaceTemplate{
			ObjectMeta: metav1.ObjectMeta{Name: testTemplate},
			Spec:       naasv1alpha1.NamespaceTemplateSpec{DisplayName: "Web service", DefaultTier: testTier},
		},
		Tier: &naasv1alpha1.Tier{
			ObjectMeta: metav1.ObjectMeta{Name: testTier},
			Spec: naasv1alpha1.TierSpec{
				Quota: corev1.ResourceList{
					"limits.cpu":    resource.MustParse("4"),
					"limits.memory": resource.MustParse("8Gi"),
					"pods":          resource.MustParse("20"),
				},
				LimitRange: naasv1alpha1.LimitRangeDefaults{
					DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
					Default:        corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
					Max:            corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")},
				},
				PodSecurity: naasv1alpha1.PodSecurityBaseline,
			},
		},
		Parameters: map[string]string{},
	}
	for _, mod := range mods {
		mod(&in)
	}
	return in
}

// withManifests sets the template's manifests, named m1, m2, ...
func withManifests(templates ...string) func(*Input) {
	return func(in *Input) {
		for i, t := range templates {
			in.Template.Spec.Manifests = append(in.Template.Spec.Manifests,
				naasv1alpha1.Manifest{Name: "m" + string(rune('1'+i)), Template: t})
		}
	}
}

func withOwners(owners ...naasv1alpha1.Owner) func(*Input) {
	return func(in *Input) { in.Tenant.Spec.Owners = owners }
}

func mustBuild(t testing.TB, in Input) []Step {
	t.Helper()
	steps, err := Build(in)
	if err != nil {
		t.Fatalf("Build() error: %v", err)
	}
	return steps
}

func step(t testing.TB, steps []Step, name string) Step {
	t.Helper()
	for _, s := range steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no step %q", name)
	return Step{}
}

// typed converts an object of the bundle back to its Go type, so tests compare what the API server will see.
func typed[T any](t testing.TB, u *unstructured.Unstructured) *T {
	t.Helper()
	var out T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, &out, true); err != nil {
		t.Fatalf("convert %s/%s: %v", u.GetKind(), u.GetName(), err)
	}
	return &out
}

// typedAll converts every object of a step.
func typedAll[T any](t testing.TB, objs []*unstructured.Unstructured) []T {
	t.Helper()
	var out []T
	for _, u := range objs {
		out = append(out, *typed[T](t, u))
	}
	return out
}

// quantities compares quantities by value, not by their cached string form.
func quantities() cmp.Option {
	return cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })
}

// commonLabels are the labels every object of the base input carries.
func commonLabels() map[string]string {
	return map[string]string{
		naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue,
		naasv1alpha1.LabelClaim:     testNamespace,
		naasv1alpha1.LabelTenant:    testTenant,
	}
}

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: testNamespace, Labels: commonLabels()}
}

// sortStrings makes cmp.Diff ignore the order of string slices.
func sortStrings() cmp.Option {
	return cmpopts.SortSlices(func(a, b string) bool { return a < b })
}
