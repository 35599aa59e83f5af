package bundle

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/monitoring"
)

const testPortal = "https://naas.example.com"

// withMonitoring turns the template's monitoring on and configures the portal the alerts link to.
func withMonitoring(in *Input) {
	in.Template.Spec.Features.Monitoring = true
	in.Config.PortalURL = testPortal
}

func tenantReceivers(rs ...naasv1alpha1.AlertReceiver) func(*Input) {
	return func(in *Input) { in.Tenant.Spec.Alerting = &naasv1alpha1.Alerting{Receivers: rs} }
}

func claimReceivers(rs ...naasv1alpha1.AlertReceiver) func(*Input) {
	return func(in *Input) { in.Claim.Spec.Alerting = &naasv1alpha1.Alerting{Receivers: rs} }
}

func slack(name, secret, key string) naasv1alpha1.AlertReceiver {
	return naasv1alpha1.AlertReceiver{Name: name, Type: naasv1alpha1.AlertReceiverSlack,
		SecretRef: &naasv1alpha1.SecretKeyRef{Name: secret, Key: key}}
}

func email(name, to string) naasv1alpha1.AlertReceiver {
	return naasv1alpha1.AlertReceiver{Name: name, Type: naasv1alpha1.AlertReceiverEmail, To: to}
}

// stepSummary summarises a step for comparison: kinds it requires, objects it makes and objects it removes.
type stepSummary struct {
	Off      bool
	Requires []string
	Objects  []string
	Remove   []string
}

func summarize(s Step) stepSummary {
	out := stepSummary{Off: s.Off}
	for _, gvk := range s.Requires {
		out.Requires = append(out.Requires, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	for _, o := range s.Objects {
		out.Objects = append(out.Objects, o.GetAPIVersion()+" "+o.GetKind()+"/"+o.GetName())
	}
	for _, r := range s.Remove {
		out.Remove = append(out.Remove, r.GVK.GroupVersion().String()+" "+r.String())
	}
	return out
}

func TestBuild_MonitoringStep(t *testing.T) {
	const (
		rule    = "monitoring.coreos.com/v1 PrometheusRule/naas-namespace-alerts"
		routing = "monitoring.coreos.com/v1alpha1 AlertmanagerConfig/naas-alert-routing"
		dash    = "v1 ConfigMap/naas-dashboard"
		ruleK   = "monitoring.coreos.com/v1 PrometheusRule"
		routeK  = "monitoring.coreos.com/v1alpha1 AlertmanagerConfig"
	)
	tests := []struct {
		name string
		mods []func(*Input)
		want stepSummary
	}{
		{
			name: "monitoring off: the step is off and removes everything it may have made",
			want: stepSummary{Off: true, Remove: []string{rule, routing, dash}},
		},
		{
			name: "monitoring on without receivers: rules and dashboard, and no routing",
			mods: []func(*Input){withMonitoring},
			want: stepSummary{Requires: []string{ruleK}, Objects: []string{rule, dash}, Remove: []string{routing}},
		},
		{
			name: "tenant receivers: routing too, which needs its own CRD",
			mods: []func(*Input){withMonitoring, tenantReceivers(slack("chat", "alerting", "url"))},
			want: stepSummary{Requires: []string{ruleK, routeK}, Objects: []string{rule, routing, dash}},
		},
		{
			name: "a claim's empty alerting replaces the tenant's receivers with none",
			mods: []func(*Input){withMonitoring, tenantReceivers(slack("chat", "alerting", "url")), claimReceivers()},
			want: stepSummary{Requires: []string{ruleK}, Objects: []string{rule, dash}, Remove: []string{routing}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(step(t, mustBuild(t, testInput(tt.mods...)), naasv1alpha1.ConditionMonitoring))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("monitoring step mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuild_MonitoringStepDependsOnlyOnTheNamespace(t *testing.T) {
	s := step(t, mustBuild(t, testInput(withMonitoring)), naasv1alpha1.ConditionMonitoring)
	if diff := cmp.Diff([]string{naasv1alpha1.ConditionNamespace}, s.DependsOn); diff != "" {
		t.Errorf("DependsOn mismatch (-want +got):\n%s", diff)
	}
}

// monitoringObject returns the monitoring step's object of the kind.
func monitoringObject(t *testing.T, in Input, kind string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range step(t, mustBuild(t, in), naasv1alpha1.ConditionMonitoring).Objects {
		if o.GetKind() == kind {
			return o
		}
	}
	t.Fatalf("the monitoring step has no %s", kind)
	return nil
}

func TestBuild_MonitoringObjectsAreThoseOfTheMonitoringPackage(t *testing.T) {
	in := testInput(withMonitoring, tenantReceivers(slack("chat", "alerting", "url")), func(in *Input) {
		in.Config.MonitoringLabels = map[string]string{"release": "kube-prometheus-stack"}
		in.Template.Spec.QuotaAdditions = corev1.ResourceList{"limits.cpu": resource.MustParse("2")}
	})
	ns := monitoring.Namespace{
		Name: testNamespace, Tenant: testTenant, Template: testTemplate, PortalURL: testPortal,
		Quota:  QuotaHard(in.Tier, in.Template),
		Labels: map[string]string{"release": "kube-prometheus-stack"},
	}
	wantRule, err := monitoring.PrometheusRule(ns)
	if err != nil {
		t.Fatal(err)
	}
	wantDash, err := monitoring.Dashboard(ns)
	if err != nil {
		t.Fatal(err)
	}
	wantRouting, err := monitoring.AlertmanagerConfig(ns, []monitoring.Receiver{
		{Name: "chat", Type: monitoring.ReceiverSlack, SecretRef: monitoring.SecretKeyRef{Name: "alerting", Key: "url"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*unstructured.Unstructured{wantRule, wantDash, wantRouting} {
		got := monitoringObject(t, in, want.GetKind())
		if diff := cmp.Diff(want.Object, got.Object); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", want.GetKind(), diff)
		}
	}
}

func TestBuild_AlertRoutingUsesTheClaimsReceiversOverTheTenants(t *testing.T) {
	receiverNames := func(in Input) []string {
		o := monitoringObject(t, in, monitoring.AlertmanagerConfigKind)
		rs, _, _ := unstructured.NestedSlice(o.Object, "spec", "receivers")
		var names []string
		for _, r := range rs {
			names = append(names, r.(map[string]any)["name"].(string))
		}
		return names
	}
	tests := []struct {
		name string
		mods []func(*Input)
		want []string
	}{
		{"tenant's", []func(*Input){tenantReceivers(slack("chat", "s", "k"), email("mail", "ops@example.com"))}, []string{"chat", "mail"}},
		{"claim's alone", []func(*Input){claimReceivers(email("oncall", "oncall@example.com"))}, []string{"oncall"}},
		{"claim's replace tenant's", []func(*Input){
			tenantReceivers(slack("chat", "s", "k")), claimReceivers(email("oncall", "oncall@example.com")),
		}, []string{"oncall"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, receiverNames(testInput(append([]func(*Input){withMonitoring}, tt.mods...)...))); diff != "" {
				t.Errorf("receivers mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuild_AlertRoutingReferencesSecretsOnly(t *testing.T) {
	in := testInput(withMonitoring, tenantReceivers(
		slack("chat", "alerting", "slack-url"),
		naasv1alpha1.AlertReceiver{Name: "pager", Type: naasv1alpha1.AlertReceiverPagerDuty,
			SecretRef: &naasv1alpha1.SecretKeyRef{Name: "pd", Key: "routing-key"}},
	))
	o := monitoringObject(t, in, monitoring.AlertmanagerConfigKind)
	rs, _, _ := unstructured.NestedSlice(o.Object, "spec", "receivers")
	got := []any{
		rs[0].(map[string]any)["slackConfigs"].([]any)[0].(map[string]any)["apiURL"],
		rs[1].(map[string]any)["pagerdutyConfigs"].([]any)[0].(map[string]any)["routingKey"],
	}
	want := []any{
		map[string]any{"name": "alerting", "key": "slack-url"},
		map[string]any{"name": "pd", "key": "routing-key"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secret references mismatch (-want +got):\n%s", diff)
	}
}

func TestBuild_MonitoringWithoutPortalURLSaysWhatToConfigure(t *testing.T) {
	_, err := Build(testInput(withMonitoring, func(in *Input) { in.Config.PortalURL = "" }))
	if err == nil || !strings.Contains(err.Error(), "--portal-url") {
		t.Fatalf("Build() error = %v, want one naming --portal-url", err)
	}
}

func TestBuild_ManifestsMayNotReplaceMonitoringObjects(t *testing.T) {
	for _, m := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: naas-dashboard\n",
		"apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: naas-namespace-alerts\n",
		"apiVersion: monitoring.coreos.com/v1alpha1\nkind: AlertmanagerConfig\nmetadata:\n  name: naas-alert-routing\n",
	} {
		_, err := Build(testInput(withMonitoring, withManifests(m)))
		var te *TemplateError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("manifest %q: error = %v, want a TemplateError saying the name is reserved", m, err)
		}
	}
}

func TestConfig_DashboardURL(t *testing.T) {
	if got := (Config{}).DashboardURL("shop"); got != "" {
		t.Errorf("without Grafana: DashboardURL = %q, want empty", got)
	}
	got := Config{GrafanaURL: "https://grafana.example.com/"}.DashboardURL("shop")
	if want := "https://grafana.example.com/d/" + monitoring.DashboardUID("shop"); got != want {
		t.Errorf("DashboardURL = %q, want %q", got, want)
	}
}

func TestBuild_MonitoringIsDeterministic(t *testing.T) {
	in := testInput(withMonitoring, tenantReceivers(slack("b", "s", "k"), email("a", "x@example.com")), func(in *Input) {
		in.Config.MonitoringLabels = map[string]string{"z": "1", "a": "2", "m": "3"}
	})
	first, err := json.Marshal(step(t, mustBuild(t, in), naasv1alpha1.ConditionMonitoring).Objects)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := json.Marshal(step(t, mustBuild(t, in), naasv1alpha1.ConditionMonitoring).Objects)
		if string(first) != string(again) {
			t.Fatalf("monitoring objects differ between runs")
		}
	}
}

func TestBuild_MonitoringRequirementsAreThePrometheusOperatorKinds(t *testing.T) {
	want := []schema.GroupVersionKind{
		{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"},
		{Group: "monitoring.coreos.com", Version: "v1alpha1", Kind: "AlertmanagerConfig"},
	}
	if diff := cmp.Diff(want, []schema.GroupVersionKind{PrometheusRuleGVK, AlertmanagerConfigGVK}); diff != "" {
		t.Errorf("GVKs mismatch (-want +got):\n%s", diff)
	}
}

func TestConfig_ValidateSaysWhichSettingIsWrong(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "empty is fine", cfg: Config{}},
		{name: "complete", cfg: Config{PortalURL: "https://naas.example.com", GrafanaURL: "http://grafana:3000/",
			MonitoringLabels: map[string]string{"release": "kube-prometheus-stack", "example.com/team": ""}}},
		{name: "relative portal URL", cfg: Config{PortalURL: "naas.example.com"}, wantErr: `portal URL "naas.example.com" is not an absolute http or https URL`},
		{name: "Grafana URL without host", cfg: Config{GrafanaURL: "https://"}, wantErr: `Grafana URL "https://"`},
		{name: "bad label key", cfg: Config{MonitoringLabels: map[string]string{"not a key": "x"}}, wantErr: `monitoring label key "not a key"`},
		{name: "bad label value", cfg: Config{MonitoringLabels: map[string]string{"release": "has space"}}, wantErr: `monitoring label release="has space"`},
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
