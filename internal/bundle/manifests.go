package bundle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/monitoring"
)

// maxRenderedBytes bounds the output of one manifest template, so a runaway loop in a template fails the claim
// instead of the controller.
const maxRenderedBytes = 4 << 20

// templateData is what a manifest template sees.
type templateData struct {
	// Namespace is the claim's namespace.
	Namespace string
	// Tenant is the tenant's name.
	Tenant string
	// Requester is the user name of whoever created the claim; empty when unknown.
	Requester string
	// Parameters are the effective parameters of the claim.
	Parameters map[string]string
}

// templateFuncs are the functions manifest templates may call, on top of text/template's built-ins.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"quote":   quote,
		"default": defaultValue,
		"lower":   strings.ToLower,
		"upper":   strings.ToUpper,
		"trim":    strings.TrimSpace,
	}
}

// quote renders v as a double-quoted string that YAML reads back verbatim, whatever characters it holds.
func quote(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		s = fmt.Sprint(v)
	}
	out, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// defaultValue returns v, or def when v is nil or the empty string: {{ .Parameters.size | default "small" }}.
func defaultValue(def, v any) any {
	switch x := v.(type) {
	case nil:
		return def
	case string:
		if x == "" {
			return def
		}
	}
	return v
}

// manifests renders the template's manifests in order and checks the objects they make.
func (b *builder) manifests() ([]*unstructured.Unstructured, error) {
	data := templateData{
		Namespace:  b.namespace,
		Tenant:     b.tenant,
		Parameters: b.in.Parameters,
	}
	if r := b.in.Claim.Spec.Requester; r != nil {
		data.Requester = r.Username
	}

	var out []*unstructured.Unstructured
	madeBy := map[objectKey]string{} // which manifest made each object, to catch two making the same one
	for _, m := range b.in.Template.Spec.Manifests {
		objs, err := render(m, data)
		if err != nil {
			return nil, &TemplateError{Manifest: m.Name, Err: err}
		}
		for _, obj := range objs {
			if err := b.admit(obj); err != nil {
				return nil, &TemplateError{Manifest: m.Name, Err: err}
			}
			key := keyOf(obj)
			if other, dup := madeBy[key]; dup {
				return nil, &TemplateError{Manifest: m.Name, Err: fmt.Errorf(
					"object %s/%s is also made by manifest %q; each object may come from one manifest only",
					obj.GetKind(), obj.GetName(), other)}
			}
			madeBy[key] = m.Name
			out = append(out, obj)
		}
	}
	return out, nil
}

// render executes one manifest template and decodes the YAML documents it produces, skipping empty ones.
func render(m naasv1alpha1.Manifest, data templateData) ([]*unstructured.Unstructured, error) {
	tmpl, err := template.New(m.Name).Option("missingkey=error").Funcs(templateFuncs()).Parse(m.Template)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	rendered := &limitedBuffer{max: maxRenderedBytes}
	if err := tmpl.Execute(rendered, data); err != nil {
		return nil, fmt.Errorf("render template: %w", err)
	}

	var out []*unstructured.Unstructured
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(rendered.buf.Bytes())))
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read YAML document %d: %w", doc, err)
		}
		obj, err := decode(raw)
		if err != nil {
			return nil, fmt.Errorf("YAML document %d: %w", doc, err)
		}
		if obj != nil {
			out = append(out, obj)
		}
	}
}

// decode parses one YAML document into an object that names its apiVersion, kind and name; nil for a
// document that holds nothing (blank or comments only).
func decode(raw []byte) (*unstructured.Unstructured, error) {
	js, err := utilyaml.ToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	if trimmed := bytes.TrimSpace(js); len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, nil
	}
	var content map[string]any
	if err := utiljson.Unmarshal(js, &content); err != nil {
		return nil, fmt.Errorf("not a Kubernetes object (want a mapping with apiVersion, kind and metadata): %w", err)
	}
	obj := &unstructured.Unstructured{Object: content}
	var missing []string
	for _, path := range [][]string{{"apiVersion"}, {"kind"}, {"metadata", "name"}} {
		value, found, err := unstructured.NestedFieldNoCopy(content, path...)
		switch s, isString := value.(string); {
		case err != nil || !found || value == nil:
			missing = append(missing, strings.Join(path, "."))
		case !isString:
			// YAML reads unquoted y, no, 1.0 or 2024-01-01 as other types than strings.
			return nil, fmt.Errorf("%s must be a string, got %v (%T); quote it", strings.Join(path, "."), value, value)
		case s == "":
			missing = append(missing, strings.Join(path, "."))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("object must set apiVersion, kind and metadata.name; missing %s", strings.Join(missing, ", "))
	}
	if _, err := schema.ParseGroupVersion(obj.GetAPIVersion()); err != nil {
		return nil, fmt.Errorf("object %s/%s: %w", obj.GetKind(), obj.GetName(), err)
	}
	return obj, nil
}

// admit checks that a manifest object is one naas lets a template create, then places it in the claim's
// namespace with the bundle's labels.
func (b *builder) admit(obj *unstructured.Unstructured) error {
	kind, name := obj.GetKind(), obj.GetName()
	if forbiddenKind(kind) {
		return fmt.Errorf("object %s/%s: kind %s is not allowed in manifests; they may only create namespaced objects in the claim's namespace",
			kind, name, kind)
	}
	if reservedName(kind, name) {
		return fmt.Errorf("object %s/%s: the name is reserved for the object naas creates in every namespace; rename it",
			kind, name)
	}
	if ns := obj.GetNamespace(); ns != "" && ns != b.namespace {
		return fmt.Errorf("object %s/%s names namespace %s; manifests may only create objects in the claim's namespace (%s)",
			kind, name, ns, b.namespace)
	}
	obj.SetNamespace(b.namespace)
	obj.SetLabels(b.withLabels(obj.GetLabels()))
	return nil
}

// forbiddenKind reports kinds a template may never create: cluster-scoped objects that reach beyond the
// namespace or change the cluster's control plane. Whether other kinds are namespaced is only known from
// discovery, which the controller checks when it applies them.
func forbiddenKind(kind string) bool {
	switch kind {
	case "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
		"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
		"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding":
		return true
	default:
		return false
	}
}

// reservedName reports whether kind/name is one of the objects Build makes itself, whatever the template
// says: a manifest must not overwrite the quota, limits, bindings, network policies or monitoring objects of the
// namespace.
func reservedName(kind, name string) bool {
	switch kind {
	case "ResourceQuota":
		return name == QuotaName
	case "LimitRange":
		return name == LimitRangeName
	case "RoleBinding":
		return name == AdminBindingName || name == DeveloperBindingName || name == ViewerBindingName ||
			strings.HasPrefix(name, CollaboratorBindingPrefix)
	case "NetworkPolicy":
		return name == PolicyDefaultDeny || name == PolicySameTenant || name == PolicySharedServices ||
			name == PolicyDNS || name == PolicyHTTPSEgress || name == PolicyEgressToCollaborations ||
			strings.HasPrefix(name, PolicyIngressFromTenantPrefix)
	case GatewayGVK.Kind:
		return name == GatewayName
	case PeerAuthenticationGVK.Kind:
		return name == PeerAuthenticationName
	case AuthorizationPolicyGVK.Kind:
		return name == AuthorizationPolicyName
	case "ConfigMap":
		return name == monitoring.DashboardConfigMapName
	case monitoring.PrometheusRuleKind:
		return name == monitoring.PrometheusRuleName
	case monitoring.AlertmanagerConfigKind:
		return name == monitoring.AlertmanagerConfigName
	default:
		return false
	}
}

// objectKey identifies an object within the namespace.
type objectKey struct {
	group, kind, name string
}

func keyOf(obj *unstructured.Unstructured) objectKey {
	gvk := obj.GroupVersionKind()
	return objectKey{group: gvk.Group, kind: gvk.Kind, name: obj.GetName()}
}

// limitedBuffer is a bytes.Buffer that refuses to grow beyond max bytes.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (w *limitedBuffer) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.max {
		return 0, fmt.Errorf("output exceeds %d bytes", w.max)
	}
	return w.buf.Write(p)
}
