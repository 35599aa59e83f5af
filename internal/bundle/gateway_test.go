package bundle

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// withGateway turns the template's gateway on and gives the tenant the domain pay.example.com.
func withGateway(in *Input) {
	in.Template.Spec.Features.Gateway = true
	in.Tenant.Spec.Domains = []string{"pay.example.com"}
}

func withHostnames(hosts ...string) func(*Input) {
	return func(in *Input) { in.Claim.Spec.Hostnames = hosts }
}

func TestBuild_GatewayListensOnEveryHostnameOverHTTPAndHTTPS(t *testing.T) {
	in := testInput(withGateway, withHostnames("api.pay.example.com", "*.apps.pay.example.com"),
		func(in *Input) { in.Config.GatewayClassName, in.Config.ClusterIssuer = "istio", "letsencrypt" })
	s := step(t, mustBuild(t, in), naasv1alpha1.ConditionGateway)
	if diff := cmp.Diff(stepSummary{
		Requires: []string{"gateway.networking.k8s.io/v1 Gateway"},
		Objects:  []string{"gateway.networking.k8s.io/v1 Gateway/naas"},
	}, summarize(s)); diff != "" {
		t.Fatalf("gateway step (-want +got):\n%s", diff)
	}
	gw := s.Objects[0]
	if diff := cmp.Diff(map[string]string{"cert-manager.io/cluster-issuer": "letsencrypt"}, gw.GetAnnotations()); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(commonLabels(), gw.GetLabels()); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	same := map[string]any{"namespaces": map[string]any{"from": "Same"}}
	tls := map[string]any{"mode": "Terminate", "certificateRefs": []any{map[string]any{"group": "", "kind": "Secret", "name": "naas-gateway-tls"}}}
	want := map[string]any{
		"gatewayClassName": "istio",
		"listeners": []any{
			map[string]any{"name": "http--apps.pay.example.com", "hostname": "*.apps.pay.example.com", "protocol": "HTTP", "port": int64(80), "allowedRoutes": same},
			map[string]any{"name": "https--apps.pay.example.com", "hostname": "*.apps.pay.example.com", "protocol": "HTTPS", "port": int64(443), "allowedRoutes": same, "tls": tls},
			map[string]any{"name": "http-api.pay.example.com", "hostname": "api.pay.example.com", "protocol": "HTTP", "port": int64(80), "allowedRoutes": same},
			map[string]any{"name": "https-api.pay.example.com", "hostname": "api.pay.example.com", "protocol": "HTTPS", "port": int64(443), "allowedRoutes": same, "tls": tls},
		},
	}
	if diff := cmp.Diff(want, gw.Object["spec"]); diff != "" {
		t.Errorf("gateway spec (-want +got):\n%s", diff)
	}
}

func TestBuild_GatewayUsesTheDefaultHostnameUnderTheBaseDomain(t *testing.T) {
	in := testInput(func(in *Input) {
		in.Template.Spec.Features.Gateway = true
		in.Config.BaseDomain = "apps.example.com"
	})
	steps := mustBuild(t, in)
	gw := step(t, steps, naasv1alpha1.ConditionGateway).Objects[0]
	listeners := unstructuredSlice(gw.Object, "spec", "listeners")
	if len(listeners) != 2 || listeners[0].(map[string]any)["hostname"] != "payments-api.payments.apps.example.com" {
		t.Errorf("listeners = %v, want two for payments-api.payments.apps.example.com", listeners)
	}
	if gw.GetAnnotations()["cert-manager.io/cluster-issuer"] != DefaultClusterIssuer || gw.Object["spec"].(map[string]any)["gatewayClassName"] != DefaultGatewayClassName {
		t.Errorf("gateway %v: want the default class and issuer", gw.Object)
	}
	ns := typed[corev1.Namespace](t, step(t, steps, naasv1alpha1.ConditionNamespace).Objects[0])
	if got := ns.Annotations[naasv1alpha1.AnnotationHostnames]; got != "payments-api.payments.apps.example.com" {
		t.Errorf("namespace annotation %s = %q, want the default hostname", naasv1alpha1.AnnotationHostnames, got)
	}
}

func TestBuild_GatewayWithoutHostnamesSaysWhatToSetAndRemovesTheGateway(t *testing.T) {
	in := testInput(func(in *Input) { in.Template.Spec.Features.Gateway = true })
	steps := mustBuild(t, in)
	gw := step(t, steps, naasv1alpha1.ConditionGateway)
	if gw.Err == nil || !strings.Contains(gw.Err.Error(), "spec.hostnames") || !strings.Contains(gw.Err.Error(), "--base-domain") {
		t.Errorf("gateway step error = %v, want one naming spec.hostnames and --base-domain", gw.Err)
	}
	if diff := cmp.Diff(stepSummary{
		Requires: []string{"gateway.networking.k8s.io/v1 Gateway"},
		Remove:   []string{"gateway.networking.k8s.io/v1 Gateway/naas"},
	}, summarize(gw)); diff != "" {
		t.Errorf("gateway step (-want +got):\n%s", diff)
	}
	if tls := step(t, steps, naasv1alpha1.ConditionTLS); tls.Err == nil || !errors.Is(tls.Err, gw.Err) {
		t.Errorf("TLS step error = %v, want it to wrap the gateway's", tls.Err)
	}
}

func TestBuild_GatewayStopsServingHostnamesTheTenantNoLongerOwns(t *testing.T) {
	in := testInput(withGateway, withHostnames("api.pay.example.com", "api.old.example.com"))
	steps := mustBuild(t, in)
	gw := step(t, steps, naasv1alpha1.ConditionGateway)
	listeners := unstructuredSlice(gw.Objects[0].Object, "spec", "listeners")
	for _, l := range listeners {
		if h := l.(map[string]any)["hostname"]; h != "api.pay.example.com" {
			t.Errorf("listener for %v, which the tenant does not own", h)
		}
	}
	if !strings.Contains(gw.Message, "api.old.example.com") || !strings.Contains(gw.Message, "no longer owns") {
		t.Errorf("message %q should name the hostname no longer served", gw.Message)
	}
	ns := typed[corev1.Namespace](t, step(t, steps, naasv1alpha1.ConditionNamespace).Objects[0])
	if got := ns.Annotations[naasv1alpha1.AnnotationHostnames]; got != "api.pay.example.com" {
		t.Errorf("namespace hostnames = %q, want only the owned one", got)
	}
}

func TestBuild_GatewayTurnedOffIsRemoved(t *testing.T) {
	steps := mustBuild(t, testInput())
	if diff := cmp.Diff(stepSummary{Off: true, Remove: []string{"gateway.networking.k8s.io/v1 Gateway/naas"}},
		summarize(step(t, steps, naasv1alpha1.ConditionGateway))); diff != "" {
		t.Errorf("gateway step (-want +got):\n%s", diff)
	}
	if !step(t, steps, naasv1alpha1.ConditionTLS).Off {
		t.Error("TLS step is on without a gateway")
	}
}

func TestBuild_TLSStepWaitsForCertManagerAndNamesTheIssuer(t *testing.T) {
	s := step(t, mustBuild(t, testInput(withGateway, withHostnames("api.pay.example.com"))), naasv1alpha1.ConditionTLS)
	if diff := cmp.Diff(stepSummary{Requires: []string{"gateway.networking.k8s.io/v1 Gateway", "cert-manager.io/v1 Certificate"}}, summarize(s)); diff != "" {
		t.Errorf("TLS step (-want +got):\n%s", diff)
	}
	if !strings.Contains(s.Message, "naas-ca") || !strings.Contains(s.Install, "cert-manager") {
		t.Errorf("message %q / install %q: want the issuer and cert-manager named", s.Message, s.Install)
	}
}

func TestListenerName_DiffersForAWildcardAndANameThatLooksLikeIt(t *testing.T) {
	seen := map[string]string{}
	for _, h := range []string{"*.pay.example.com", "pay.example.com", "x.pay.example.com", "wildcard.pay.example.com", "-.pay.example.com"} {
		n := ListenerName("https", h)
		if other, ok := seen[n]; ok {
			t.Errorf("%q and %q share listener name %q", h, other, n)
		}
		seen[n] = h
	}
}

func TestBuild_ManifestsMayNotReplaceGatewayMeshOrCollaborationObjects(t *testing.T) {
	for _, m := range []string{
		"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: naas\n",
		"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: naas-mtls\n",
		"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: naas-allow-tenant\n",
		"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: naas-collaborator-x-viewer\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\n",
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: naas-allow-from-tenant-x\nspec: {podSelector: {}}\n",
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: naas-allow-egress-to-collaborations\nspec: {podSelector: {}}\n",
	} {
		_, err := Build(testInput(withManifests(m)))
		var te *TemplateError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("manifest %q: error = %v, want a TemplateError saying the name is reserved", m, err)
		}
	}
}

func TestConfig_ValidateNetworkingSettings(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "complete", cfg: Config{BaseDomain: "apps.localhost", GatewayClassName: "istio", ClusterIssuer: "letsencrypt", MeshMode: MeshAmbient}},
		{name: "base domain with a scheme", cfg: Config{BaseDomain: "https://apps.example.com"}, wantErr: `base domain "https://apps.example.com"`},
		{name: "uppercase gateway class", cfg: Config{GatewayClassName: "Istio"}, wantErr: `gateway class "Istio"`},
		{name: "unknown mesh mode", cfg: Config{MeshMode: "proxyless"}, wantErr: `mesh mode "proxyless" is not sidecar or ambient`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func unstructuredSlice(obj map[string]any, fields ...string) []any {
	cur := any(obj)
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[f]
	}
	s, _ := cur.([]any)
	return s
}
