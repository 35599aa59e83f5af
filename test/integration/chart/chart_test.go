// Package chart tests the Helm chart (charts/naas) with the Helm Go library: it lints, its schema refuses bad
// values, it renders for a table of values, naas serve knows every flag the Deployment passes, and every rendered
// object passes a server-side dry-run on the real local control plane.
package chart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/cli"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) {
	root, err := testenv.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testenv.Main(m, &env, testenv.Options{
		NoControllerManager: true,
		// The ServiceMonitor and PrometheusRule are dry-run too.
		CRDPaths: []string{filepath.Join(root, "config", "thirdparty", "prometheus-operator")},
	})
}

const releaseNamespace = "naas-system"

func chartDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(env.RepoRoot, "charts", "naas")
}

// valueCases are the values the chart is rendered and dry-run with.
var valueCases = []struct {
	name   string
	values map[string]any
	check  func(t *testing.T, objs []*unstructured.Unstructured)
}{
	{name: "defaults", values: map[string]any{}, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		d := deployment(t, objs)
		if got := *d.Spec.Replicas; got != 2 {
			t.Errorf("replicas = %d, want 2", got)
		}
		args := d.Spec.Template.Spec.Containers[0].Args
		wantArg(t, args, "--memory-limit=256Mi")
		wantArg(t, args, "--webhook-service=naas-system/naas-webhook")
		if find(objs, "PodDisruptionBudget", "naas") == nil {
			t.Error("no PodDisruptionBudget with 2 replicas")
		}
		if find(objs, "ServiceMonitor", "naas") != nil || find(objs, "PrometheusRule", "naas") != nil {
			t.Error("monitoring objects rendered though off by default")
		}
		if impersonatesServiceAccounts(t, objs) {
			t.Error("naas may impersonate service accounts by default")
		}
	}},
	{name: "OIDC on", values: map[string]any{
		"oidc": map[string]any{
			"issuerURL": "https://login.example.com", "audience": "naas", "clientID": "naas-portal",
			"clientSecret": map[string]any{"name": "naas-oidc"}, "redirectURL": "https://naas.example.com/portal/callback",
		},
		"baseDomain": "apps.example.com", "portal": map[string]any{"url": "https://naas.example.com"},
		"metrics": map[string]any{"serviceMonitor": map[string]any{"enabled": true}, "prometheusRule": map[string]any{"enabled": true}},
	}, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		c := deployment(t, objs).Spec.Template.Spec.Containers[0]
		for _, a := range []string{"--oidc-issuer-url=https://login.example.com", "--oidc-audience=naas", "--oidc-client-id=naas-portal",
			"--base-domain=apps.example.com", "--portal-url=https://naas.example.com"} {
			wantArg(t, c.Args, a)
		}
		found := false
		for _, e := range c.Env {
			if e.Name == "NAAS_OIDC_CLIENT_SECRET" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef.Name == "naas-oidc" {
				found = true
			}
		}
		if !found {
			t.Errorf("the client secret is not read from Secret naas-oidc: %v", c.Env)
		}
		if find(objs, "ServiceMonitor", "naas") == nil || find(objs, "PrometheusRule", "naas") == nil {
			t.Error("monitoring objects not rendered though on")
		}
	}},
	{name: "external database", values: map[string]any{
		"database": map[string]any{"dsnSecret": map[string]any{"name": "naas-db", "key": "dsn"}},
	}, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		// The DSN comes from the Secret as $NAAS_DATABASE, the default of naas serve --database, not as an argument.
		c := deployment(t, objs).Spec.Template.Spec.Containers[0]
		for _, a := range c.Args {
			if strings.HasPrefix(a, "--database") {
				t.Errorf("passes the DSN as an argument: %s", a)
			}
		}
		found := false
		for _, e := range c.Env {
			if e.Name == "NAAS_DATABASE" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef.Name == "naas-db" && e.ValueFrom.SecretKeyRef.Key == "dsn" {
				found = true
			}
		}
		if !found {
			t.Errorf("NAAS_DATABASE is not read from Secret naas-db: %v", c.Env)
		}
	}},
	{name: "3 replicas", values: map[string]any{
		"replicas":       3,
		"resources":      map[string]any{"requests": map[string]any{"cpu": "500m", "memory": "256Mi"}, "limits": map[string]any{"memory": "512Mi"}},
		"rbac":           map[string]any{"impersonateServiceAccounts": true, "templateRules": []any{map[string]any{"apiGroups": []any{"apps"}, "resources": []any{"deployments"}, "verbs": []any{"get", "create"}}}},
		"extraArgs":      []any{"--workers=16"},
		"namespace":      map[string]any{"create": true},
		"serviceAccount": map[string]any{"name": "naas-operator"},
	}, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		d := deployment(t, objs)
		if got := *d.Spec.Replicas; got != 3 {
			t.Errorf("replicas = %d, want 3", got)
		}
		args := d.Spec.Template.Spec.Containers[0].Args
		wantArg(t, args, "--memory-limit=512Mi")
		wantArg(t, args, "--workers=16")
		cr := &rbacv1.ClusterRole{}
		toTyped(t, find(objs, "ClusterRole", "naas"), cr)
		if last := cr.Rules[len(cr.Rules)-1]; last.Resources[0] != "deployments" {
			t.Errorf("rbac.templateRules not added to the ClusterRole: last rule %v", last)
		}
		if !impersonatesServiceAccounts(t, objs) {
			t.Error("rbac.impersonateServiceAccounts did not grant impersonation of service accounts")
		}
		if d.Spec.Template.Spec.ServiceAccountName != "naas-operator" {
			t.Errorf("serviceAccountName = %s", d.Spec.Template.Spec.ServiceAccountName)
		}
	}},
}

// render renders the chart as `helm install naas charts/naas -n naas-system` would, with values.
func render(t *testing.T, values map[string]any) []*unstructured.Unstructured {
	t.Helper()
	ch, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := util.ToRenderValuesWithSchemaValidation(ch, values,
		common.ReleaseOptions{Name: "naas", Namespace: releaseNamespace, IsInstall: true}, common.DefaultCapabilities, false)
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var objs []*unstructured.Unstructured
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(files[name])), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				t.Fatalf("%s: %v\n%s", name, err, files[name])
			}
			if len(u.Object) > 0 {
				objs = append(objs, u)
			}
		}
	}
	return objs
}

func TestChart_Lints(t *testing.T) {
	linter := lint.RunAll(chartDir(t), nil, releaseNamespace)
	for _, m := range linter.Messages {
		t.Log(m.Error())
	}
	if linter.HighestSeverity >= support.WarningSev {
		t.Errorf("helm lint: highest severity %d, want below warning", linter.HighestSeverity)
	}
}

func TestChart_SchemaRefusesBadValues(t *testing.T) {
	ch, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range map[string]map[string]any{
		"no replicas":              {"replicas": 0},
		"replicas as a string":     {"replicas": "two"},
		"unknown pull policy":      {"image": map[string]any{"repository": "naas", "pullPolicy": "Sometimes"}},
		"wildcard template rule":   {"rbac": map[string]any{"templateRules": []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"*"}, "verbs": []any{"get"}}}}},
		"wildcard verb":            {"rbac": map[string]any{"templateRules": []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"pods"}, "verbs": []any{"*"}}}}},
		"plain HTTP issuer":        {"oidc": map[string]any{"issuerURL": "http://login.example.com", "audience": "naas"}},
		"issuer without audience":  {"oidc": map[string]any{"issuerURL": "https://login.example.com"}},
		"memory limit removed":     {"resources": map[string]any{"limits": map[string]any{"memory": nil}}},
		"unknown value":            {"replica": 3},
		"extra arg without dashes": {"extraArgs": []any{"workers=3"}},
		"service type":             {"service": map[string]any{"type": "Ingress"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := util.ToRenderValuesWithSchemaValidation(ch, values,
				common.ReleaseOptions{Name: "naas", Namespace: releaseNamespace, IsInstall: true}, common.DefaultCapabilities, false)
			if err == nil {
				t.Fatalf("values %v accepted", values)
			}
			t.Logf("refused: %v", err)
		})
	}
}

func TestChart_RendersAndEveryObjectPassesServerSideDryRun(t *testing.T) {
	ctx := context.Background()
	// The release namespace exists before helm installs into it (helm install --create-namespace), labelled to
	// enforce Pod Security restricted as docs/install.md says.
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: releaseNamespace,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range valueCases {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.values)
			tc.check(t, objs)
			d := deployment(t, objs)
			flagsKnown(t, d.Spec.Template.Spec.Containers[0].Args)
			// Helm 4 installs with server-side apply; so does the dry-run.
			for _, u := range objs {
				err := env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), client.DryRunAll,
					client.FieldOwner("helm"), client.ForceOwnership)
				if err != nil {
					t.Errorf("dry-run %s %s: %v", u.GetKind(), u.GetName(), err)
				}
			}
			// Pod Security admits a Deployment whatever its pods; a pod of its template shows what it admits. The
			// pod's ServiceAccount must exist for that, as it does once helm has installed the chart.
			sa := &corev1.ServiceAccount{}
			toTyped(t, find(objs, "ServiceAccount", d.Spec.Template.Spec.ServiceAccountName), sa)
			if err := env.Client.Create(ctx, sa); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: releaseNamespace, Name: "naas-pod-security"}, Spec: d.Spec.Template.Spec}
			if err := env.Client.Create(ctx, pod, client.DryRunAll); err != nil {
				t.Errorf("a pod of the Deployment's template in a namespace enforcing restricted: %v", err)
			}
		})
	}
}

// TestChart_ClusterRoleIsNaasRules checks that the chart gives naas exactly what the tests run naas with.
func TestChart_ClusterRoleIsNaasRules(t *testing.T) {
	cr := &rbacv1.ClusterRole{}
	toTyped(t, find(render(t, nil), "ClusterRole", "naas"), cr)
	want := platform.OperatorClusterRole("naas").Rules
	if len(cr.Rules) != len(want) {
		t.Fatalf("chart ClusterRole has %d rules, naas's code %d", len(cr.Rules), len(want))
	}
	for i := range want {
		if fmt.Sprint(cr.Rules[i]) != fmt.Sprint(want[i]) {
			t.Errorf("rule %d: chart %v, code %v", i, cr.Rules[i], want[i])
		}
		for _, s := range append(append([]string{}, cr.Rules[i].Verbs...), cr.Rules[i].Resources...) {
			if s == "*" {
				t.Errorf("rule %d has a wildcard: %v", i, cr.Rules[i])
			}
		}
	}
}

// flagsKnown parses the Deployment's arguments with naas's own command line: an unknown flag fails.
func flagsKnown(t *testing.T, args []string) {
	t.Helper()
	root := cli.NewRootCommand(io.Discard, io.Discard)
	serve, rest, err := root.Find(args)
	if err != nil || serve.Name() != "serve" {
		t.Fatalf("args %v do not run naas serve: %v", args, err)
	}
	if err := serve.ParseFlags(rest); err != nil {
		t.Errorf("naas serve refuses the chart's arguments %v: %v", args, err)
	}
}

func impersonatesServiceAccounts(t *testing.T, objs []*unstructured.Unstructured) bool {
	t.Helper()
	cr := &rbacv1.ClusterRole{}
	toTyped(t, find(objs, "ClusterRole", "naas"), cr)
	for _, r := range cr.Rules {
		if slices.Contains(r.Resources, "serviceaccounts") && slices.Contains(r.Verbs, "impersonate") {
			return true
		}
	}
	return false
}

func deployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	toTyped(t, find(objs, "Deployment", "naas"), d)
	return d
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func toTyped(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if u == nil {
		t.Fatalf("object of %T not rendered", into)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatal(err)
	}
}

func wantArg(t *testing.T, args []string, want string) {
	t.Helper()
	for _, a := range args {
		if a == want {
			return
		}
	}
	t.Errorf("args %v lack %s", args, want)
}
