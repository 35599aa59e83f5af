package bundle

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// manifestObject builds the expected unstructured object of a manifest: content plus the namespace and labels Build adds.
func manifestObject(apiVersion, kind, name string, labels map[string]string, fields map[string]any) map[string]any {
	all := commonLabels()
	for k, v := range labels {
		if _, ours := all[k]; !ours {
			all[k] = v
		}
	}
	metaLabels := map[string]any{}
	for k, v := range all {
		metaLabels[k] = v
	}
	out := map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": testNamespace, "labels": metaLabels},
	}
	for k, v := range fields {
		out[k] = v
	}
	return out
}

func TestBuild_Manifests(t *testing.T) {
	tests := []struct {
		name       string
		manifests  []string
		parameters map[string]string
		requester  *naasv1alpha1.Requester
		want       []map[string]any
	}{
		{
			name:      "no manifests",
			manifests: nil,
		},
		{
			name: "built-ins and parameters",
			manifests: []string{`
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Namespace }}-info
data:
  namespace: {{ .Namespace }}
  tenant: {{ .Tenant }}
  requester: {{ .Requester }}
  replicas: {{ quote .Parameters.replicas }}
`},
			parameters: map[string]string{"replicas": "3"},
			want: []map[string]any{manifestObject("v1", "ConfigMap", "payments-api-info", nil, map[string]any{
				"data": map[string]any{
					"namespace": "payments-api", "tenant": "payments", "requester": "alice@example.com", "replicas": "3",
				},
			})},
		},
		{
			name: "functions",
			manifests: []string{`
apiVersion: v1
kind: ConfigMap
metadata:
  name: funcs
data:
  quoted: {{ quote .Parameters.tricky }}
  quotedNumber: {{ quote 42 }}
  defaulted: {{ .Parameters.empty | default "fallback" }}
  kept: {{ .Parameters.size | default "small" }}
  lower: {{ lower .Parameters.mixed }}
  upper: {{ upper .Parameters.mixed }}
  trimmed: {{ trim .Parameters.padded | quote }}
`},
			parameters: map[string]string{
				"tricky": "a: b # \"c\"\n<&>", "empty": "", "size": "large", "mixed": "MiXeD", "padded": "  x  ",
			},
			want: []map[string]any{manifestObject("v1", "ConfigMap", "funcs", nil, map[string]any{
				"data": map[string]any{
					"quoted": "a: b # \"c\"\n<&>", "quotedNumber": "42", "defaulted": "fallback", "kept": "large",
					"lower": "mixed", "upper": "MIXED", "trimmed": "x",
				},
			})},
		},
		{
			name:      "requester is empty when unknown",
			manifests: []string{"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  by: {{ quote .Requester }}\n"},
			requester: &naasv1alpha1.Requester{},
			want: []map[string]any{manifestObject("v1", "ConfigMap", "c", nil, map[string]any{
				"data": map[string]any{"by": ""},
			})},
		},
		{
			name: "multi-document output in order, empty and comment-only documents ignored",
			manifests: []string{`
---
# a comment only
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
---

---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: app
rules: []
{{- if eq .Parameters.debug "true" }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: debug
{{- end }}
`, `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "json"}, "type": "Opaque"}`},
			parameters: map[string]string{"debug": "false"},
			want: []map[string]any{
				manifestObject("v1", "ServiceAccount", "app", nil, nil),
				manifestObject("rbac.authorization.k8s.io/v1", "Role", "app", nil, map[string]any{"rules": []any{}}),
				manifestObject("v1", "Secret", "json", nil, map[string]any{"type": "Opaque"}),
			},
		},
		{
			name: "the claim's namespace may be named explicitly; labels merge and ours win",
			manifests: []string{`
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  namespace: payments-api
  labels:
    app: web
    naas.dev/tenant: billing
data:
  replicas: "{{ .Parameters.replicas }}"
`},
			parameters: map[string]string{"replicas": "2"},
			want: []map[string]any{manifestObject("v1", "ConfigMap", "c", map[string]string{"app": "web"}, map[string]any{
				"data": map[string]any{"replicas": "2"},
			})},
		},
		{
			name:       "integers stay integers",
			manifests:  []string{"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: {{ .Parameters.replicas }}\n"},
			parameters: map[string]string{"replicas": "3"},
			want: []map[string]any{manifestObject("apps/v1", "Deployment", "d", nil, map[string]any{
				"spec": map[string]any{"replicas": int64(3)},
			})},
		},
		{
			name: "objects of the same kind and name in different API groups are distinct",
			manifests: []string{
				"apiVersion: v1\nkind: Policy\nmetadata:\n  name: p\n",
				"apiVersion: example.com/v1\nkind: Policy\nmetadata:\n  name: p\n",
			},
			want: []map[string]any{
				manifestObject("v1", "Policy", "p", nil, nil),
				manifestObject("example.com/v1", "Policy", "p", nil, nil),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(withManifests(tt.manifests...), func(in *Input) {
				in.Parameters = tt.parameters
				if tt.requester != nil {
					in.Claim.Spec.Requester = tt.requester
				}
			})
			var got []map[string]any
			for _, o := range step(t, mustBuild(t, in), naasv1alpha1.ConditionManifests).Objects {
				got = append(got, o.Object)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("manifest objects mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuild_ManifestErrors(t *testing.T) {
	configMap := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
	tests := []struct {
		name         string
		manifests    []string
		wantManifest string
		wantErr      string // the whole message, or a part of it when wantContains
		wantContains bool
	}{
		{
			name:         "parameter the claim does not have",
			manifests:    []string{"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Parameters.missing }}\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": render template: template: m1:4:22: executing "m1" at <.Parameters.missing>: map has no entry for key "missing"`,
		},
		{
			name:         "field the template data does not have",
			manifests:    []string{configMap, "{{ .Owner }}"},
			wantManifest: "m2",
			wantErr:      `can't evaluate field Owner`, wantContains: true,
		},
		{
			name:         "template that does not parse",
			manifests:    []string{"{{ .Namespace "},
			wantManifest: "m1",
			wantErr:      `manifest "m1": parse template: `, wantContains: true,
		},
		{
			name:         "function that does not exist",
			manifests:    []string{"{{ b64enc .Namespace }}"},
			wantManifest: "m1",
			wantErr:      `function "b64enc" not defined`, wantContains: true,
		},
		{
			name:         "object in another namespace",
			manifests:    []string{"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"y\"\n  namespace: z\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": object Deployment/y names namespace z; manifests may only create objects in the claim's namespace (payments-api)`,
		},
		{
			name:         "invalid YAML names the document",
			manifests:    []string{configMap + "---\nkind: [unclosed\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": YAML document 2: parse YAML: `, wantContains: true,
		},
		{
			name:         "document that is not a mapping",
			manifests:    []string{"- a\n- b\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": YAML document 1: not a Kubernetes object`, wantContains: true,
		},
		{
			name:         "object without apiVersion, kind and name",
			manifests:    []string{"metadata:\n  labels: {a: b}\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": YAML document 1: object must set apiVersion, kind and metadata.name; missing apiVersion, kind, metadata.name`,
		},
		{
			name:         "object without a name",
			manifests:    []string{"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: c-\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": YAML document 1: object must set apiVersion, kind and metadata.name; missing metadata.name`,
		},
		{
			name:         "kind that is not a string",
			manifests:    []string{"apiVersion: v1\nkind: 3\nmetadata:\n  name: c\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": YAML document 1: kind must be a string, got 3 (int64); quote it`,
		},
		{
			name:         "name YAML reads as a boolean",
			manifests:    []string{"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": YAML document 1: metadata.name must be a string, got true (bool); quote it`,
		},
		{
			name:         "metadata that is not a mapping",
			manifests:    []string{"apiVersion: v1\nkind: ConfigMap\nmetadata: c\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": YAML document 1: object must set apiVersion, kind and metadata.name; missing metadata.name`,
		},
		{
			name:         "malformed apiVersion",
			manifests:    []string{"apiVersion: a/b/c\nkind: ConfigMap\nmetadata:\n  name: c\n"},
			wantManifest: "m1",
			wantErr:      `manifest "m1": YAML document 1: object ConfigMap/c: unexpected GroupVersion string: a/b/c`,
		},
		{
			name:         "same object from two manifests",
			manifests:    []string{configMap, configMap},
			wantManifest: "m2",
			wantErr:      `manifest "m2": object ConfigMap/c is also made by manifest "m1"; each object may come from one manifest only`,
		},
		{
			name:         "same object twice in one manifest",
			manifests:    []string{configMap + "---\n" + configMap},
			wantManifest: "m1",
			wantErr:      `manifest "m1": object ConfigMap/c is also made by manifest "m1"; each object may come from one manifest only`,
		},
		{
			name:         "output larger than the limit",
			manifests:    []string{"{{ range 5000000 }}0123456789{{ end }}"},
			wantManifest: "m1",
			wantErr:      `output exceeds 4194304 bytes`, wantContains: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(withManifests(tt.manifests...))
			_, err := Build(in)
			assertTemplateError(t, err, tt.wantManifest, tt.wantErr, tt.wantContains)
		})
	}
}

func TestBuild_ManifestsMayNotCreateForbiddenKinds(t *testing.T) {
	kinds := []struct{ apiVersion, kind string }{
		{"v1", "Namespace"},
		{"rbac.authorization.k8s.io/v1", "ClusterRole"},
		{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"},
		{"apiextensions.k8s.io/v1", "CustomResourceDefinition"},
		{"admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"},
		{"admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"},
		{"admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"},
		{"admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"},
		{"admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy"},
		{"admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicyBinding"},
	}
	for _, k := range kinds {
		t.Run(k.kind, func(t *testing.T) {
			in := testInput(withManifests("apiVersion: " + k.apiVersion + "\nkind: " + k.kind + "\nmetadata:\n  name: x\n"))
			_, err := Build(in)
			want := `manifest "m1": object ` + k.kind + `/x: kind ` + k.kind +
				` is not allowed in manifests; they may only create namespaced objects in the claim's namespace`
			assertTemplateError(t, err, "m1", want, false)
		})
	}
}

func TestBuild_ManifestsMayNotReplaceNaasObjects(t *testing.T) {
	reserved := []struct{ apiVersion, kind, name string }{
		{"v1", "ResourceQuota", "naas-quota"},
		{"v1", "LimitRange", "naas-limits"},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", "naas-admin"},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", "naas-developer"},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", "naas-viewer"},
		{"networking.k8s.io/v1", "NetworkPolicy", "naas-default-deny"},
		{"networking.k8s.io/v1", "NetworkPolicy", "naas-allow-same-tenant"},
		{"networking.k8s.io/v1", "NetworkPolicy", "naas-allow-shared-services"},
		{"networking.k8s.io/v1", "NetworkPolicy", "naas-allow-dns"},
		{"networking.k8s.io/v1", "NetworkPolicy", "naas-allow-https-egress"},
	}
	for _, r := range reserved {
		t.Run(r.kind+"/"+r.name, func(t *testing.T) {
			in := testInput(withManifests("apiVersion: " + r.apiVersion + "\nkind: " + r.kind + "\nmetadata:\n  name: " + r.name + "\n"))
			_, err := Build(in)
			want := `manifest "m1": object ` + r.kind + "/" + r.name +
				`: the name is reserved for the object naas creates in every namespace; rename it`
			assertTemplateError(t, err, "m1", want, false)
		})
	}

	// Other objects of those kinds are fine: a template may add its own network policy.
	in := testInput(withManifests("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-web\nspec:\n  podSelector: {}\n"))
	if _, err := Build(in); err != nil {
		t.Errorf("Build() with a network policy of another name: %v", err)
	}
}

func TestTemplateError_UnwrapsToTheCause(t *testing.T) {
	cause := errors.New("boom")
	var err error = &TemplateError{Manifest: "web", Err: cause}
	if !errors.Is(err, cause) {
		t.Error("errors.Is(TemplateError, cause) = false")
	}
	if got, want := err.Error(), `manifest "web": boom`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func assertTemplateError(t *testing.T, err error, manifest, want string, contains bool) {
	t.Helper()
	if err == nil {
		t.Fatal("Build() succeeded, want an error")
	}
	var te *TemplateError
	if !errors.As(err, &te) {
		t.Fatalf("Build() error %v is %T, want *TemplateError", err, err)
	}
	if te.Manifest != manifest {
		t.Errorf("TemplateError.Manifest = %q, want %q", te.Manifest, manifest)
	}
	if contains {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Build() error = %q, want it to contain %q", err, want)
		}
	} else if err.Error() != want {
		t.Errorf("Build() error mismatch:\n got %q\nwant %q", err, want)
	}
}
