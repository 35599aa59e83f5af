package monitoring

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Expected AlertmanagerConfig content is written as the JSON the prometheus-operator v1alpha1 schema defines
// (pkg/apis/monitoring/v1alpha1/alertmanager_config_types.go), so a misspelt field fails here.
func TestAlertmanagerConfig_RoutesNamespaceAlertsToEveryReceiver(t *testing.T) {
	secret := func(name, key string) map[string]any { return map[string]any{"name": name, "key": key} }
	route := func(children ...any) map[string]any {
		return map[string]any{
			"receiver":       children[0].(map[string]any)["receiver"],
			"groupBy":        []any{"alertname", "namespace"},
			"groupWait":      "30s",
			"groupInterval":  "5m",
			"repeatInterval": "4h",
			"matchers":       []any{map[string]any{"name": "namespace", "value": "shop", "matchType": "="}},
			"routes":         children,
		}
	}
	child := func(receiver string) any { return map[string]any{"receiver": receiver, "continue": true} }

	tests := []struct {
		name      string
		receivers []Receiver
		wantSpec  map[string]any
	}{
		{
			name:      "slack",
			receivers: []Receiver{{Name: "team-chat", Type: ReceiverSlack, SecretRef: SecretKeyRef{Name: "alerting", Key: "slack-url"}}},
			wantSpec: map[string]any{
				"route": route(child("team-chat")),
				"receivers": []any{map[string]any{
					"name":         "team-chat",
					"slackConfigs": []any{map[string]any{"apiURL": secret("alerting", "slack-url"), "sendResolved": true}},
				}},
			},
		},
		{
			name:      "webhook",
			receivers: []Receiver{{Name: "hook", Type: ReceiverWebhook, SecretRef: SecretKeyRef{Name: "alerting", Key: "url"}}},
			wantSpec: map[string]any{
				"route": route(child("hook")),
				"receivers": []any{map[string]any{
					"name":           "hook",
					"webhookConfigs": []any{map[string]any{"urlSecret": secret("alerting", "url"), "sendResolved": true}},
				}},
			},
		},
		{
			name:      "email",
			receivers: []Receiver{{Name: "mail", Type: ReceiverEmail, To: "oncall@acme.example"}},
			wantSpec: map[string]any{
				"route": route(child("mail")),
				"receivers": []any{map[string]any{
					"name":         "mail",
					"emailConfigs": []any{map[string]any{"to": "oncall@acme.example", "sendResolved": true}},
				}},
			},
		},
		{
			name:      "pagerduty",
			receivers: []Receiver{{Name: "pager", Type: ReceiverPagerDuty, SecretRef: SecretKeyRef{Name: "pd", Key: "routing-key"}}},
			wantSpec: map[string]any{
				"route": route(child("pager")),
				"receivers": []any{map[string]any{
					"name":             "pager",
					"pagerdutyConfigs": []any{map[string]any{"routingKey": secret("pd", "routing-key"), "sendResolved": true}},
				}},
			},
		},
		{
			name: "several receivers all get every alert",
			receivers: []Receiver{
				{Name: "pager", Type: ReceiverPagerDuty, SecretRef: SecretKeyRef{Name: "pd", Key: "routing-key"}},
				{Name: "team-chat", Type: ReceiverSlack, SecretRef: SecretKeyRef{Name: "alerting", Key: "slack-url"}},
			},
			wantSpec: map[string]any{
				"route": route(child("pager"), child("team-chat")),
				"receivers": []any{
					map[string]any{
						"name":             "pager",
						"pagerdutyConfigs": []any{map[string]any{"routingKey": secret("pd", "routing-key"), "sendResolved": true}},
					},
					map[string]any{
						"name":         "team-chat",
						"slackConfigs": []any{map[string]any{"apiURL": secret("alerting", "slack-url"), "sendResolved": true}},
					},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := AlertmanagerConfig(sampleNamespace(), tt.receivers)
			if err != nil {
				t.Fatalf("AlertmanagerConfig: %v", err)
			}
			want := map[string]any{
				"apiVersion": "monitoring.coreos.com/v1alpha1",
				"kind":       "AlertmanagerConfig",
				"metadata": map[string]any{
					"name":      "naas-alert-routing",
					"namespace": "shop",
					"labels": map[string]any{
						"app.kubernetes.io/managed-by": "naas",
						"naas.dev/claim":               "shop",
						"naas.dev/tenant":              "acme",
					},
				},
				"spec": tt.wantSpec,
			}
			if diff := cmp.Diff(want, obj.Object); diff != "" {
				t.Errorf("AlertmanagerConfig (-want +got):\n%s", diff)
			}
			// The object must survive a deep copy, which panics on non-JSON Go types.
			_ = obj.DeepCopy()
		})
	}
}

func TestAlertmanagerConfig_NoReceiversNoObject(t *testing.T) {
	for _, receivers := range [][]Receiver{nil, {}} {
		obj, err := AlertmanagerConfig(sampleNamespace(), receivers)
		if err != nil || obj != nil {
			t.Errorf("AlertmanagerConfig(%v) = %v, %v; want nil, nil", receivers, obj, err)
		}
	}
}

func TestAlertmanagerConfig_RejectsIncompleteReceivers(t *testing.T) {
	ref := SecretKeyRef{Name: "alerting", Key: "url"}
	tests := []struct {
		name      string
		receivers []Receiver
		wantErr   string
	}{
		{name: "unnamed", receivers: []Receiver{{Type: ReceiverSlack, SecretRef: ref}}, wantErr: "name is required"},
		{name: "duplicate names", receivers: []Receiver{{Name: "a", Type: ReceiverSlack, SecretRef: ref}, {Name: "a", Type: ReceiverWebhook, SecretRef: ref}},
			wantErr: `name "a" is used twice`},
		{name: "unknown type", receivers: []Receiver{{Name: "a", Type: "teams", SecretRef: ref}}, wantErr: `type "teams" is not supported`},
		{name: "slack without secret", receivers: []Receiver{{Name: "a", Type: ReceiverSlack}}, wantErr: "slack receiver needs secretRef"},
		{name: "webhook without key", receivers: []Receiver{{Name: "a", Type: ReceiverWebhook, SecretRef: SecretKeyRef{Name: "s"}}}, wantErr: "webhook receiver needs secretRef"},
		{name: "pagerduty without secret name", receivers: []Receiver{{Name: "a", Type: ReceiverPagerDuty, SecretRef: SecretKeyRef{Key: "k"}}}, wantErr: "pagerduty receiver needs secretRef"},
		{name: "slack with to", receivers: []Receiver{{Name: "a", Type: ReceiverSlack, SecretRef: ref, To: "x@example.com"}}, wantErr: "to is only used by email"},
		{name: "email without to", receivers: []Receiver{{Name: "a", Type: ReceiverEmail}}, wantErr: "email receiver needs to"},
		{name: "email with secret", receivers: []Receiver{{Name: "a", Type: ReceiverEmail, To: "x@example.com", SecretRef: ref}}, wantErr: "takes no secretRef"},
		{name: "every bad receiver is reported", receivers: []Receiver{{Name: "a", Type: ReceiverSlack}, {Name: "b", Type: "sms"}},
			wantErr: `receiver 1 ("b"): type "sms"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := AlertmanagerConfig(sampleNamespace(), tt.receivers)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("want error containing %q, got %v", tt.wantErr, err)
			}
			if obj != nil {
				t.Errorf("want no object on error, got %v", obj)
			}
		})
	}
}
