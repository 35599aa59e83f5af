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

// waitMonitored waits until the claim is Ready with its monitoring in place.
func waitMonitored(t *testing.T, name string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	env.WaitCondition(t, name, naasv1alpha1.ConditionMonitoring, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
	return env.WaitReady(t, name)
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
