package monitoring

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/monitoring"
	"github.com/naas-dev/naas/internal/testenv"
)

// slackURL is the secret a team keeps in its namespace. It must never appear anywhere naas writes.
const slackURL = "https://hooks.slack.com/services/T0000/B0000/never-leak-this-0123456789"

func createSlackSecret(t *testing.T, namespace string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "create the Slack secret in "+namespace, func() error {
		err := env.Client.Create(context.Background(), &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "alerting"},
			StringData: map[string]string{"slack-url": slackURL},
		})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
}

func TestMonitoring_NotApplicableUntilTheCRDsAppear(t *testing.T) {
	ctx := context.Background()
	crd := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{
		APIVersion: apiextensionsv1.SchemeGroupVersion.String(), Kind: "CustomResourceDefinition"}}
	err := env.Client.Get(ctx, client.ObjectKey{Name: "prometheusrules.monitoring.coreos.com"}, crd)
	if !apierrors.IsNotFound(err) {
		t.Fatalf("this test needs a cluster without the prometheus-operator CRDs, and must run first (no -shuffle): %v", err)
	}

	testenv.Tenant("early").Admin("alice").Receivers(slack("team-chat", "alerting", "slack-url")).Create(t, env)
	testenv.Claim("early-data", "early").Template("data").Tier("dev").Create(t, env)
	c := env.WaitCondition(t, "early-data", naasv1alpha1.ConditionReady, metav1.ConditionTrue, "")

	// Provisioning does not fail, and the claim says why there is no monitoring and what to do.
	mon := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionMonitoring)
	if mon == nil || mon.Status != metav1.ConditionFalse || mon.Reason != naasv1alpha1.ReasonNotApplicable {
		t.Fatalf("MonitoringReady = %+v, want False/NotApplicable", mon)
	}
	for _, want := range []string{"PrometheusRule (monitoring.coreos.com/v1)", "AlertmanagerConfig (monitoring.coreos.com/v1alpha1)",
		"install the CustomResourceDefinitions"} {
		if !strings.Contains(mon.Message, want) {
			t.Errorf("MonitoringReady message %q does not mention %q", mon.Message, want)
		}
	}
	ready := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionReady)
	if !strings.Contains(ready.Message, "not applicable on this cluster: MonitoringReady") {
		t.Errorf("Ready message %q does not say monitoring was skipped", ready.Message)
	}
	if c.Status.Phase != naasv1alpha1.PhaseReady || c.Status.DashboardURL != "" {
		t.Errorf("phase %q, dashboardURL %q; want Ready and no dashboard link while there is no dashboard", c.Status.Phase, c.Status.DashboardURL)
	}
	if cm := env.GetObject(t, configMapGVK, "early-data", monitoring.DashboardConfigMapName); cm != nil {
		t.Errorf("the dashboard ConfigMap was created although the step is not applicable")
	}
	createSlackSecret(t, "early-data")

	// Installing the CRDs is all it takes: nothing pokes the claim.
	installCRDs(t)
	c = waitMonitored(t, "early-data")
	if want := grafanaURL + "/d/" + monitoring.DashboardUID("early-data"); c.Status.DashboardURL != want {
		t.Errorf("status.dashboardURL = %q, want %q", c.Status.DashboardURL, want)
	}
	ready = meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionReady)
	if strings.Contains(ready.Message, "not applicable") {
		t.Errorf("Ready message %q still says a step is not applicable", ready.Message)
	}
	checkMonitoringObjects(t, "early-data", "early", "data", []string{"team-chat:slack(alerting/slack-url)"})
}

// checkMonitoringObjects checks the namespace's PrometheusRule, AlertmanagerConfig and dashboard, as the API
// server stored them: every alert and query is about this namespace and tenant only, and alerts go to
// wantReceivers (none: no AlertmanagerConfig).
func checkMonitoringObjects(t *testing.T, namespace, tenantName, template string, wantReceivers []string) {
	t.Helper()
	wantLabels := map[string]string{
		naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelClaim: namespace,
		naasv1alpha1.LabelTenant: tenantName, "release": "kube-prometheus-stack",
	}
	hasLabels := func(o *unstructured.Unstructured) {
		t.Helper()
		for k, v := range wantLabels {
			if got := o.GetLabels()[k]; got != v {
				t.Errorf("%s label %s = %q, want %q", o.GetKind(), k, got, v)
			}
		}
	}

	rule := env.GetObject(t, ruleGVK, namespace, monitoring.PrometheusRuleName)
	if rule == nil {
		t.Fatalf("no PrometheusRule in %s", namespace)
	}
	hasLabels(rule)
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	if len(groups) != 1 {
		t.Fatalf("PrometheusRule has %d groups, want 1", len(groups))
	}
	var alerts []string
	for _, r := range groups[0].(map[string]any)["rules"].([]any) {
		rule := r.(map[string]any)
		name := rule["alert"].(string)
		alerts = append(alerts, name)
		expr := rule["expr"].(string)
		if strings.Count(expr, "namespace=") != strings.Count(expr, fmt.Sprintf("namespace=%q", namespace)) {
			t.Errorf("alert %s selects series of other namespaces: %s", name, expr)
		}
		labels := rule["labels"].(map[string]any)
		if labels["tenant"] != tenantName || labels["namespace"] != namespace || labels["severity"] == nil {
			t.Errorf("alert %s labels = %v, want tenant %s, namespace %s and a severity", name, labels, tenantName, namespace)
		}
		ann := rule["annotations"].(map[string]any)
		if want := portalURL + "/catalog/" + template + "#runbook"; ann["runbook_url"] != want || ann["summary"] == "" {
			t.Errorf("alert %s annotations = %v, want a summary and runbook_url %s", name, ann, want)
		}
	}
	wantAlerts := []string{monitoring.AlertCPUQuotaHigh, monitoring.AlertMemoryQuotaHigh, monitoring.AlertPodCrashLooping,
		monitoring.AlertQuotaNearlyExhausted, monitoring.AlertPVCNearlyFull}
	if diff := cmp.Diff(wantAlerts, alerts); diff != "" {
		t.Errorf("alerts of %s (-want +got):\n%s", namespace, diff)
	}

	cm := env.GetObject(t, configMapGVK, namespace, monitoring.DashboardConfigMapName)
	if cm == nil {
		t.Fatalf("no dashboard ConfigMap in %s", namespace)
	}
	hasLabels(cm)
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels = %v, want grafana_dashboard: \"1\"", cm.GetLabels())
	}
	dash := dashboardJSON(t, cm, namespace)
	if dash["uid"] != monitoring.DashboardUID(namespace) {
		t.Errorf("dashboard uid = %v, want %s", dash["uid"], monitoring.DashboardUID(namespace))
	}
	var titles []string
	for _, p := range dash["panels"].([]any) {
		panel := p.(map[string]any)
		titles = append(titles, panel["title"].(string))
		for _, tg := range panel["targets"].([]any) {
			expr := tg.(map[string]any)["expr"].(string)
			if !strings.Contains(expr, fmt.Sprintf("namespace=%q", namespace)) {
				t.Errorf("panel %q queries outside %s: %s", panel["title"], namespace, expr)
			}
		}
	}
	for _, want := range []string{"CPU", "Memory", "Network receive", "Network transmit", "restarts", "Quota"} {
		if !strings.Contains(strings.Join(titles, "|"), want) {
			t.Errorf("dashboard panels %v have none about %s", titles, want)
		}
	}

	routing := env.GetObject(t, routingGVK, namespace, monitoring.AlertmanagerConfigName)
	if len(wantReceivers) == 0 {
		if routing != nil {
			t.Errorf("%s has an AlertmanagerConfig though it has no receivers: %v", namespace, routingReceivers(routing))
		}
		return
	}
	if routing == nil {
		t.Fatalf("no AlertmanagerConfig in %s", namespace)
	}
	hasLabels(routing)
	if diff := cmp.Diff(wantReceivers, routingReceivers(routing)); diff != "" {
		t.Errorf("receivers of %s (-want +got):\n%s", namespace, diff)
	}
	matchers, _, _ := unstructured.NestedSlice(routing.Object, "spec", "route", "matchers")
	want := []any{map[string]any{"name": "namespace", "value": namespace, "matchType": "="}}
	if diff := cmp.Diff(want, matchers); diff != "" {
		t.Errorf("route matchers of %s (-want +got):\n%s", namespace, diff)
	}
}

func TestMonitoring_ObjectsAreAcceptedByTheSchemaAndCorrectPerNamespace(t *testing.T) {
	installCRDs(t)
	testenv.Tenant("north").Admin("alice").Receivers(slack("chat", "alerting", "slack-url"), email("oncall", "oncall@north.example")).Create(t, env)
	testenv.Tenant("south").Admin("alice").Create(t, env)
	testenv.Claim("north-data", "north").Template("data").Tier("dev").Create(t, env)
	testenv.Claim("north-ml", "north").Template("ml").Tier("dev").Create(t, env)
	testenv.Claim("south-data", "south").Template("data").Tier("dev").Create(t, env)
	testenv.Claim("south-plain", "south").Tier("dev").Create(t, env)
	for _, name := range []string{"north-data", "north-ml", "south-data"} {
		waitMonitored(t, name)
	}

	checkMonitoringObjects(t, "north-data", "north", "data", []string{"chat:slack(alerting/slack-url)", "oncall:email(oncall@north.example)"})
	checkMonitoringObjects(t, "north-ml", "north", "ml", []string{"chat:slack(alerting/slack-url)", "oncall:email(oncall@north.example)"})
	checkMonitoringObjects(t, "south-data", "south", "data", nil)

	// A template without monitoring gets none of it, and no condition about it.
	c := env.WaitCondition(t, "south-plain", naasv1alpha1.ConditionReady, metav1.ConditionTrue, "")
	if cond := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionMonitoring); cond != nil {
		t.Errorf("claim of template standard has %s: %+v", naasv1alpha1.ConditionMonitoring, cond)
	}
	if c.Status.DashboardURL != "" {
		t.Errorf("claim of template standard links a dashboard: %q", c.Status.DashboardURL)
	}
	if env.GetObject(t, ruleGVK, "south-plain", monitoring.PrometheusRuleName) != nil ||
		env.GetObject(t, configMapGVK, "south-plain", monitoring.DashboardConfigMapName) != nil {
		t.Errorf("namespace of template standard has monitoring objects")
	}

	// The schema the objects were accepted by does validate: the API server rejects a malformed routing.
	bad := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig",
		"metadata": map[string]any{"name": "malformed", "namespace": "south-data"},
		"spec":     map[string]any{"receivers": []any{map[string]any{"slackConfigs": []any{}}}},
	}}
	if err := env.Client.Create(context.Background(), bad); !apierrors.IsInvalid(err) {
		t.Errorf("creating an AlertmanagerConfig whose receiver has no name: want Invalid, got %v", err)
	}
}

func TestMonitoring_ReceiverChangesPropagate(t *testing.T) {
	installCRDs(t)
	const ns = "relay-app"
	testenv.Tenant("relay").Admin("alice").Receivers(slack("chat", "alerting", "slack-url")).Create(t, env)
	testenv.Claim(ns, "relay").Template("data").Tier("dev").Create(t, env)
	waitMonitored(t, ns)

	routingIs := func(what string, want ...string) {
		t.Helper()
		testenv.Eventually(t, 30*time.Second, what, func() error {
			o, err := env.TryGetObject(routingGVK, ns, monitoring.AlertmanagerConfigName)
			if err != nil {
				return err
			}
			if len(want) == 0 {
				if o != nil {
					return testenv.Errorf("AlertmanagerConfig still routes to %v", routingReceivers(o))
				}
				return nil
			}
			if o == nil {
				return testenv.Errorf("no AlertmanagerConfig")
			}
			if diff := cmp.Diff(want, routingReceivers(o)); diff != "" {
				return testenv.Errorf("receivers (-want +got):\n%s", diff)
			}
			return nil
		})
		waitMonitored(t, ns)
	}
	routingIs("the tenant's receiver", "chat:slack(alerting/slack-url)")

	env.UpdateTenant(t, "relay", func(tn *naasv1alpha1.Tenant) {
		tn.Spec.Alerting.Receivers = append(tn.Spec.Alerting.Receivers, email("mail", "ops@relay.example"))
	})
	routingIs("a receiver added to the tenant", "chat:slack(alerting/slack-url)", "mail:email(ops@relay.example)")

	env.UpdateClaim(t, ns, func(c *naasv1alpha1.NamespaceClaim) {
		c.Spec.Alerting = &naasv1alpha1.Alerting{Receivers: []naasv1alpha1.AlertReceiver{pagerduty("pager", "pd", "routing-key")}}
	})
	routingIs("the claim's receivers replacing the tenant's", "pager:pagerduty(pd/routing-key)")

	env.UpdateClaim(t, ns, func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Alerting = &naasv1alpha1.Alerting{} })
	routingIs("the claim opting out of every receiver")

	env.UpdateClaim(t, ns, func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Alerting = nil })
	routingIs("the tenant's receivers again", "chat:slack(alerting/slack-url)", "mail:email(ops@relay.example)")

	env.UpdateTenant(t, "relay", func(tn *naasv1alpha1.Tenant) { tn.Spec.Alerting = nil })
	routingIs("the tenant's receivers removed")
	if env.GetObject(t, ruleGVK, ns, monitoring.PrometheusRuleName) == nil {
		t.Errorf("the PrometheusRule went with the receivers; only the routing should")
	}
}

func TestMonitoring_ReceiversAreValidatedByTheAPIServer(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		receivers []naasv1alpha1.AlertReceiver
		wantErr   string
	}{
		{name: "slack with a secret reference", receivers: []naasv1alpha1.AlertReceiver{slack("chat", "s", "url")}},
		{name: "email with an address", receivers: []naasv1alpha1.AlertReceiver{email("mail", "ops@example.com")}},
		{name: "slack without a secret", wantErr: "needs secretRef",
			receivers: []naasv1alpha1.AlertReceiver{{Name: "chat", Type: naasv1alpha1.AlertReceiverSlack}}},
		{name: "webhook with an address", wantErr: "takes no to",
			receivers: []naasv1alpha1.AlertReceiver{{Name: "hook", Type: naasv1alpha1.AlertReceiverWebhook, To: "a@b.c",
				SecretRef: &naasv1alpha1.SecretKeyRef{Name: "s", Key: "k"}}}},
		{name: "email without an address", wantErr: "needs to",
			receivers: []naasv1alpha1.AlertReceiver{{Name: "mail", Type: naasv1alpha1.AlertReceiverEmail}}},
		{name: "email with a secret", wantErr: "takes no secretRef", receivers: []naasv1alpha1.AlertReceiver{{
			Name: "mail", Type: naasv1alpha1.AlertReceiverEmail, To: "a@b.c", SecretRef: &naasv1alpha1.SecretKeyRef{Name: "s", Key: "k"}}}},
		{name: "unknown type", wantErr: "Unsupported value",
			receivers: []naasv1alpha1.AlertReceiver{{Name: "x", Type: "carrier-pigeon", To: "a@b.c"}}},
		{name: "two receivers of one name", wantErr: "Duplicate value",
			receivers: []naasv1alpha1.AlertReceiver{email("mail", "a@b.c"), email("mail", "d@e.f")}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testenv.Claim(fmt.Sprintf("receivers-%d", i), "nobody").Template("data").Tier("dev").Obj()
			c.Spec.Alerting = &naasv1alpha1.Alerting{Receivers: tt.receivers}
			err := env.Client.Create(ctx, c, client.DryRunAll)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("want the claim accepted, got %v", err)
			case tt.wantErr != "" && (!apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("want Invalid mentioning %q, got %v", tt.wantErr, err)
			}
			tn := testenv.Tenant(fmt.Sprintf("receivers-%d", i)).Admin("alice").Receivers(tt.receivers...).Obj()
			if err2 := env.Client.Create(ctx, tn, client.DryRunAll); (err2 == nil) != (err == nil) {
				t.Errorf("tenant and claim disagree: claim %v, tenant %v", err, err2)
			}
		})
	}
}

func TestMonitoring_SecretsNeverLeak(t *testing.T) {
	ctx := context.Background()
	installCRDs(t)
	const ns = "vault-app"
	testenv.Tenant("vault").Admin("alice").Receivers(slack("chat", "alerting", "slack-url"), pagerduty("pager", "alerting", "slack-url")).Create(t, env)
	testenv.Claim(ns, "vault").Template("data").Tier("dev").Create(t, env)
	env.WaitCondition(t, ns, naasv1alpha1.ConditionNamespace, metav1.ConditionTrue, "")
	createSlackSecret(t, ns)
	waitMonitored(t, ns)
	// Make naas go round again with the secret in place.
	env.UpdateClaim(t, ns, func(c *naasv1alpha1.NamespaceClaim) { c.Annotations = map[string]string{"test/poke": "1"} })
	waitMonitored(t, ns)

	leaks := func(what string, v any) {
		t.Helper()
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(js), slackURL) {
			t.Errorf("the secret's value appears in %s", what)
		}
	}
	leaks("the claim", env.GetClaim(t, ns))
	for _, o := range []struct {
		gvkName string
		obj     *unstructured.Unstructured
	}{
		{"PrometheusRule", env.GetObject(t, ruleGVK, ns, monitoring.PrometheusRuleName)},
		{"AlertmanagerConfig", env.GetObject(t, routingGVK, ns, monitoring.AlertmanagerConfigName)},
		{"dashboard ConfigMap", env.GetObject(t, configMapGVK, ns, monitoring.DashboardConfigMapName)},
	} {
		if o.obj == nil {
			t.Fatalf("no %s", o.gvkName)
		}
		leaks("the "+o.gvkName, o.obj.Object)
	}
	events := &corev1.EventList{}
	if err := env.Client.List(ctx, events); err != nil {
		t.Fatal(err)
	}
	leaks("the cluster's events", events)
	if logs.String() == "" {
		t.Fatal("no naas logs were captured, so they cannot be checked")
	}
	if strings.Contains(logs.String(), slackURL) {
		t.Errorf("the secret's value appears in naas's logs")
	}

	// The routing references the Secret; the prometheus-operator resolves it.
	routing := env.GetObject(t, routingGVK, ns, monitoring.AlertmanagerConfigName)
	if diff := cmp.Diff([]string{"chat:slack(alerting/slack-url)", "pager:pagerduty(alerting/slack-url)"}, routingReceivers(routing)); diff != "" {
		t.Errorf("receivers (-want +got):\n%s", diff)
	}
}

func TestMonitoring_IdleResyncWritesNothing(t *testing.T) {
	ctx := context.Background()
	installCRDs(t)
	const ns = "still-app"
	testenv.Tenant("still").Admin("alice").Receivers(email("mail", "ops@still.example")).Create(t, env)
	testenv.Claim(ns, "still").Template("data").Tier("dev").Create(t, env)
	waitMonitored(t, ns)

	versions := func() map[string]string {
		out := map[string]string{}
		for _, o := range []struct {
			gvk  schema.GroupVersionKind
			name string
		}{{ruleGVK, monitoring.PrometheusRuleName}, {routingGVK, monitoring.AlertmanagerConfigName},
			{configMapGVK, monitoring.DashboardConfigMapName}} {
			obj := env.GetObject(t, o.gvk, ns, o.name)
			if obj == nil {
				out[o.gvk.Kind] = "missing"
				continue
			}
			out[o.gvk.Kind] = obj.GetResourceVersion()
		}
		return out
	}
	before := versions()

	// Each of these makes naas reconcile the claim again.
	env.UpdateClaim(t, ns, func(c *naasv1alpha1.NamespaceClaim) { c.Annotations = map[string]string{"test/poke": "1"} })
	claimRV := env.GetClaim(t, ns).ResourceVersion
	nsObj := &corev1.Namespace{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
		t.Fatal(err)
	}
	nsObj.Annotations = map[string]string{"test/poke": "1"}
	if err := env.Client.Update(ctx, nsObj); err != nil {
		t.Fatal(err)
	}

	testenv.Consistently(t, 3*time.Second, "no writes after resyncs", func() error {
		if diff := cmp.Diff(before, versions()); diff != "" {
			return testenv.Errorf("monitoring objects were written (-before +after):\n%s", diff)
		}
		if got := env.GetClaim(t, ns).ResourceVersion; got != claimRV {
			return testenv.Errorf("claim status was written on an idle resync: resourceVersion %s -> %s", claimRV, got)
		}
		return nil
	})
}

func TestMonitoring_TurningMonitoringOffRemovesTheObjects(t *testing.T) {
	ctx := context.Background()
	installCRDs(t)
	const ns = "switch-app"
	tpl := &naasv1alpha1.NamespaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "switchable"},
		Spec: naasv1alpha1.NamespaceTemplateSpec{
			DisplayName: "Switchable", DefaultTier: "dev",
			Features: naasv1alpha1.Features{Monitoring: true},
		},
	}
	if err := env.Client.Create(ctx, tpl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), tpl) })
	testenv.Tenant("switch").Admin("alice").Receivers(email("mail", "ops@switch.example")).Create(t, env)
	testenv.Claim(ns, "switch").Template("switchable").Tier("dev").Create(t, env)
	waitMonitored(t, ns)
	checkMonitoringObjects(t, ns, "switch", "switchable", []string{"mail:email(ops@switch.example)"})

	setMonitoring := func(on bool) {
		t.Helper()
		testenv.Eventually(t, 10*time.Second, "update the template", func() error {
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(tpl), tpl); err != nil {
				return err
			}
			tpl.Spec.Features.Monitoring = on
			return env.Client.Update(ctx, tpl)
		})
	}
	setMonitoring(false)
	env.WaitGone(t, ruleGVK, ns, monitoring.PrometheusRuleName)
	env.WaitGone(t, routingGVK, ns, monitoring.AlertmanagerConfigName)
	env.WaitGone(t, configMapGVK, ns, monitoring.DashboardConfigMapName)
	testenv.Eventually(t, 30*time.Second, "claim without monitoring", func() error {
		c := env.GetClaim(t, ns)
		if cond := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ConditionMonitoring); cond != nil {
			return testenv.Errorf("still has %s: %+v", naasv1alpha1.ConditionMonitoring, cond)
		}
		if c.Status.DashboardURL != "" {
			return testenv.Errorf("still links a dashboard: %s", c.Status.DashboardURL)
		}
		if !meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady) {
			return testenv.Errorf("not Ready: %v", c.Status.Conditions)
		}
		return nil
	})

	setMonitoring(true)
	waitMonitored(t, ns)
	checkMonitoringObjects(t, ns, "switch", "switchable", []string{"mail:email(ops@switch.example)"})
}
