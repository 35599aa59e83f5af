// Package monitoring tests the monitoring of namespaces end to end on the real local control plane: the
// monitoring step is not applicable while the cluster lacks the prometheus-operator CRDs and completes by
// itself once they are installed; the PrometheusRule, AlertmanagerConfig and dashboard ConfigMap are accepted by
// the API server's schema and correct per namespace; receiver changes propagate; secrets never leak; idle
// resyncs write nothing.
//
// The environment starts WITHOUT the prometheus-operator CRDs. TestMonitoring_NotApplicableUntilTheCRDsAppear
// runs first (tests run in source order) and installs them the way `naas up` does; every other test installs
// them when it runs alone. Run the package without -shuffle.
package monitoring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/config"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/monitoring"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

// The platform's monitoring settings.
const (
	portalURL  = "https://naas.example.com"
	grafanaURL = "https://grafana.example.com"
)

// extraLabels are the --monitoring-label settings of the platform.
var extraLabels = map[string]string{"release": "kube-prometheus-stack"}

var (
	env *testenv.Environment
	// logs holds everything naas logged, to prove secrets never reach the logs.
	logs = &syncBuffer{}
)

func TestMain(m *testing.M) {
	e, err := testenv.Start(testenv.Options{NoControllerManager: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env = e
	stop, err := startPlatform()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		env.Stop()
		os.Exit(1)
	}
	code := m.Run()
	stop()
	env.Stop()
	os.Exit(code)
}

// startPlatform starts naas with the monitoring settings, capturing its logs: testenv writes them to
// os.Stderr when NAAS_TEST_LOGS is set, so os.Stderr is a pipe into logs while the logger is made.
func startPlatform() (func(), error) {
	verbose := os.Getenv("NAAS_TEST_LOGS") != ""
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stderr := os.Stderr
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		var out io.Writer = logs
		if verbose {
			out = io.MultiWriter(logs, stderr)
		}
		_, _ = io.Copy(out, r)
	}()
	_ = os.Setenv("NAAS_TEST_LOGS", "1")
	os.Stderr = w
	_, stop, err := env.StartPlatform(func(o *setup.Options) {
		o.Bundle.PortalURL = portalURL
		o.Bundle.GrafanaURL = grafanaURL
		o.Bundle.MonitoringLabels = extraLabels
	})
	os.Stderr = stderr
	if !verbose {
		_ = os.Unsetenv("NAAS_TEST_LOGS")
	}
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	return func() {
		stop()
		_ = w.Close()
		<-copied
	}, nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var installOnce sync.Once

// installCRDs installs the prometheus-operator CRDs embedded in naas, with the installer `naas up` uses.
func installCRDs(t *testing.T) {
	t.Helper()
	var err error
	installOnce.Do(func() {
		var c client.Client
		if c, err = client.New(env.Config, client.Options{Scheme: setup.Scheme()}); err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		err = setup.InstallCRDs(ctx, c, config.ThirdPartyCRDs, config.PrometheusOperatorCRDDir)
	})
	if err != nil {
		t.Fatalf("install the prometheus-operator CRDs: %v", err)
	}
}

// The kinds of the monitoring objects.
var (
	ruleGVK      = bundle.PrometheusRuleGVK
	routingGVK   = bundle.AlertmanagerConfigGVK
	configMapGVK = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
)

type tenantBuilder struct{ t *naasv1alpha1.Tenant }

func tenant(name string) *tenantBuilder {
	return &tenantBuilder{t: &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{
			{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
		}},
	}}
}

func (b *tenantBuilder) receivers(rs ...naasv1alpha1.AlertReceiver) *tenantBuilder {
	b.t.Spec.Alerting = &naasv1alpha1.Alerting{Receivers: rs}
	return b
}

func (b *tenantBuilder) create(t *testing.T) *naasv1alpha1.Tenant {
	t.Helper()
	if err := env.Client.Create(context.Background(), b.t); err != nil {
		t.Fatalf("create tenant %s: %v", b.t.Name, err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), b.t) })
	return b.t
}

func slack(name, secret, key string) naasv1alpha1.AlertReceiver {
	return naasv1alpha1.AlertReceiver{Name: name, Type: naasv1alpha1.AlertReceiverSlack,
		SecretRef: &naasv1alpha1.SecretKeyRef{Name: secret, Key: key}}
}

func pagerduty(name, secret, key string) naasv1alpha1.AlertReceiver {
	return naasv1alpha1.AlertReceiver{Name: name, Type: naasv1alpha1.AlertReceiverPagerDuty,
		SecretRef: &naasv1alpha1.SecretKeyRef{Name: secret, Key: key}}
}

func email(name, to string) naasv1alpha1.AlertReceiver {
	return naasv1alpha1.AlertReceiver{Name: name, Type: naasv1alpha1.AlertReceiverEmail, To: to}
}

func claim(name, tenantName, template string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenantName, Template: template, Tier: "dev"},
	}
}

func createClaim(t *testing.T, c *naasv1alpha1.NamespaceClaim) {
	t.Helper()
	if err := env.Client.Create(context.Background(), c); err != nil {
		t.Fatalf("create claim %s: %v", c.Name, err)
	}
}

func getClaim(t *testing.T, name string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	c := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
		t.Fatalf("get claim %s: %v", name, err)
	}
	return c
}

// updateClaim changes a claim, retrying on conflicts with the controller's writes.
func updateClaim(t *testing.T, name string, change func(*naasv1alpha1.NamespaceClaim)) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "update claim "+name, func() error {
		c := getClaim(t, name)
		change(c)
		return env.Client.Update(context.Background(), c)
	})
}

// updateTenant changes a tenant, retrying on conflicts with the controller's writes.
func updateTenant(t *testing.T, name string, change func(*naasv1alpha1.Tenant)) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "update tenant "+name, func() error {
		tn := &naasv1alpha1.Tenant{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, tn); err != nil {
			return err
		}
		change(tn)
		return env.Client.Update(context.Background(), tn)
	})
}

// waitCondition waits until the claim's condition has the status and reason.
func waitCondition(t *testing.T, name, typ string, status metav1.ConditionStatus, reason string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	var c *naasv1alpha1.NamespaceClaim
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("claim %s %s=%s (%s)", name, typ, status, reason), func() error {
		c = &naasv1alpha1.NamespaceClaim{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		cond := meta.FindStatusCondition(c.Status.Conditions, typ)
		if cond == nil {
			return testenv.Errorf("no %s condition yet; conditions: %v", typ, c.Status.Conditions)
		}
		if cond.Status != status || (reason != "" && cond.Reason != reason) {
			return testenv.Errorf("%s is %s/%s: %s", typ, cond.Status, cond.Reason, cond.Message)
		}
		return nil
	})
	return c
}

// waitMonitored waits until the claim is Ready with its monitoring in place.
func waitMonitored(t *testing.T, name string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	waitCondition(t, name, naasv1alpha1.ConditionMonitoring, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
	return waitCondition(t, name, naasv1alpha1.ConditionReady, metav1.ConditionTrue, "")
}

// getObject reads an object of any kind straight from the API server; nil when it does not exist.
func getObject(t *testing.T, gvk schema.GroupVersionKind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	o, err := tryGetObject(gvk, namespace, name)
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", gvk.Kind, namespace, name, err)
	}
	return o
}

func tryGetObject(gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	o := &unstructured.Unstructured{}
	o.SetGroupVersionKind(gvk)
	err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, o)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

// waitGone waits until the object does not exist.
func waitGone(t *testing.T, gvk schema.GroupVersionKind, namespace, name string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("%s %s/%s removed", gvk.Kind, namespace, name), func() error {
		o, err := tryGetObject(gvk, namespace, name)
		if err != nil {
			return err
		}
		if o != nil {
			return testenv.Errorf("still exists")
		}
		return nil
	})
}

// routingReceivers are the names of the AlertmanagerConfig's receivers and what each sends with, as
// "name:slack(secret/key)", "name:email(to)".
func routingReceivers(o *unstructured.Unstructured) []string {
	rs, _, _ := unstructured.NestedSlice(o.Object, "spec", "receivers")
	var out []string
	for _, r := range rs {
		m := r.(map[string]any)
		for field, ref := range map[string]string{"slackConfigs": "apiURL", "webhookConfigs": "urlSecret", "pagerdutyConfigs": "routingKey"} {
			if cfgs, ok := m[field].([]any); ok {
				s := cfgs[0].(map[string]any)[ref].(map[string]any)
				out = append(out, fmt.Sprintf("%s:%s(%s/%s)", m["name"], strings.TrimSuffix(field, "Configs"), s["name"], s["key"]))
			}
		}
		if cfgs, ok := m["emailConfigs"].([]any); ok {
			out = append(out, fmt.Sprintf("%s:email(%s)", m["name"], cfgs[0].(map[string]any)["to"]))
		}
	}
	return out
}

// dashboardJSON parses the dashboard in the ConfigMap.
func dashboardJSON(t *testing.T, cm *unstructured.Unstructured, namespace string) map[string]any {
	t.Helper()
	body, found, _ := unstructured.NestedString(cm.Object, "data", monitoring.DashboardKey(namespace))
	if !found {
		t.Fatalf("dashboard ConfigMap has no key %s: %v", monitoring.DashboardKey(namespace), cm.Object["data"])
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("dashboard of %s is not valid JSON: %v", namespace, err)
	}
	return d
}
