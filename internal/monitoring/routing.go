package monitoring

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// AlertmanagerConfigName is the name of the AlertmanagerConfig routing a namespace's alerts.
const AlertmanagerConfigName = "naas-alert-routing"

// The prometheus-operator kind the namespace's alert routing is written as.
const (
	AlertmanagerConfigAPIVersion = "monitoring.coreos.com/v1alpha1"
	AlertmanagerConfigKind       = "AlertmanagerConfig"
)

// ReceiverType is where a receiver sends notifications.
type ReceiverType string

// Receiver types.
const (
	// ReceiverSlack posts to a Slack incoming webhook; SecretRef holds the webhook URL.
	ReceiverSlack ReceiverType = "slack"
	// ReceiverWebhook posts Alertmanager's webhook payload; SecretRef holds the URL.
	ReceiverWebhook ReceiverType = "webhook"
	// ReceiverEmail mails To through the Alertmanager's global SMTP settings; it takes no SecretRef.
	ReceiverEmail ReceiverType = "email"
	// ReceiverPagerDuty opens PagerDuty incidents; SecretRef holds the Events API v2 routing key.
	ReceiverPagerDuty ReceiverType = "pagerduty"
)

// SecretKeyRef points at one key of a Secret in the namespace. naas only references the Secret: the
// prometheus-operator reads it, so the URL or key never appears in naas objects.
type SecretKeyRef struct {
	// Name of the Secret.
	Name string `json:"name"`
	// Key in the Secret's data.
	Key string `json:"key"`
}

// Receiver is one destination for the namespace's alerts. Every alert goes to every receiver.
type Receiver struct {
	// Name identifies the receiver; unique within the namespace.
	Name string
	// Type is slack, webhook, email or pagerduty.
	Type ReceiverType
	// SecretRef is the Secret key holding the Slack webhook URL, the webhook URL or the PagerDuty routing key.
	SecretRef SecretKeyRef
	// To is the address an email receiver mails.
	To string
}

// Route timings. Notifications for one alert name are batched for 30s, updates sent at most every 5m, and a
// still-firing alert is repeated every 4h so it is not forgotten.
const (
	groupWait      = "30s"
	groupInterval  = "5m"
	repeatInterval = "4h"
)

// amConfigSpec and the types below mirror the parts of the prometheus-operator v1alpha1 AlertmanagerConfig spec
// naas writes (pkg/apis/monitoring/v1alpha1/alertmanager_config_types.go).
type amConfigSpec struct {
	Route     amRoute      `json:"route"`
	Receivers []amReceiver `json:"receivers"`
}

type amRoute struct {
	Receiver       string      `json:"receiver"`
	GroupBy        []string    `json:"groupBy,omitempty"`
	GroupWait      string      `json:"groupWait,omitempty"`
	GroupInterval  string      `json:"groupInterval,omitempty"`
	RepeatInterval string      `json:"repeatInterval,omitempty"`
	Matchers       []amMatcher `json:"matchers,omitempty"`
	Continue       bool        `json:"continue,omitempty"`
	Routes         []amRoute   `json:"routes,omitempty"`
}

type amMatcher struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	MatchType string `json:"matchType"`
}

type amReceiver struct {
	Name             string              `json:"name"`
	SlackConfigs     []amSlackConfig     `json:"slackConfigs,omitempty"`
	WebhookConfigs   []amWebhookConfig   `json:"webhookConfigs,omitempty"`
	EmailConfigs     []amEmailConfig     `json:"emailConfigs,omitempty"`
	PagerDutyConfigs []amPagerDutyConfig `json:"pagerdutyConfigs,omitempty"`
}

type amSlackConfig struct {
	APIURL       SecretKeyRef `json:"apiURL"`
	SendResolved bool         `json:"sendResolved"`
}

type amWebhookConfig struct {
	URLSecret    SecretKeyRef `json:"urlSecret"`
	SendResolved bool         `json:"sendResolved"`
}

type amEmailConfig struct {
	To           string `json:"to"`
	SendResolved bool   `json:"sendResolved"`
}

type amPagerDutyConfig struct {
	RoutingKey   SecretKeyRef `json:"routingKey"`
	SendResolved bool         `json:"sendResolved"`
}

// AlertmanagerConfig builds the AlertmanagerConfig that sends the namespace's alerts to every receiver. It
// returns nil and no error when there are no receivers: the namespace's alerts then only reach the platform's
// default route. It fails, naming the receiver, when a receiver is incomplete.
//
// The top-level route matches namespace=<ns> (the prometheus-operator enforces that too) and has one child
// route per receiver with continue set, because Alertmanager stops at the first matching child otherwise.
func AlertmanagerConfig(ns Namespace, receivers []Receiver) (*unstructured.Unstructured, error) {
	if len(receivers) == 0 {
		return nil, nil
	}
	if err := ns.validate(); err != nil {
		return nil, fmt.Errorf("build alert routing: %w", err)
	}
	spec := amConfigSpec{
		Route: amRoute{
			Receiver:       receivers[0].Name,
			GroupBy:        []string{"alertname", LabelNamespace},
			GroupWait:      groupWait,
			GroupInterval:  groupInterval,
			RepeatInterval: repeatInterval,
			Matchers:       []amMatcher{{Name: LabelNamespace, Value: ns.Name, MatchType: "="}},
		},
	}
	seen := make(map[string]bool, len(receivers))
	var errs []error
	for i, r := range receivers {
		if seen[r.Name] {
			errs = append(errs, fmt.Errorf("receiver %d: name %q is used twice; give every receiver its own name", i, r.Name))
			continue
		}
		seen[r.Name] = true
		out, err := amReceiverFor(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("receiver %d (%q): %w", i, r.Name, err))
			continue
		}
		spec.Receivers = append(spec.Receivers, out)
		spec.Route.Routes = append(spec.Route.Routes, amRoute{Receiver: r.Name, Continue: true})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("build alert routing for namespace %s: %w", ns.Name, err)
	}
	return ns.newObject(AlertmanagerConfigAPIVersion, AlertmanagerConfigKind, AlertmanagerConfigName, &spec)
}

// amReceiverFor translates one receiver, checking it has what its type needs.
func amReceiverFor(r Receiver) (amReceiver, error) {
	out := amReceiver{Name: r.Name}
	if r.Name == "" {
		return out, errors.New("name is required")
	}
	needSecret := func() error {
		if r.SecretRef.Name == "" || r.SecretRef.Key == "" {
			return fmt.Errorf("a %s receiver needs secretRef.name and secretRef.key of a Secret in the namespace", r.Type)
		}
		if r.To != "" {
			return fmt.Errorf("to is only used by email receivers; remove it from this %s receiver", r.Type)
		}
		return nil
	}
	switch r.Type {
	case ReceiverSlack:
		if err := needSecret(); err != nil {
			return out, err
		}
		out.SlackConfigs = []amSlackConfig{{APIURL: r.SecretRef, SendResolved: true}}
	case ReceiverWebhook:
		if err := needSecret(); err != nil {
			return out, err
		}
		out.WebhookConfigs = []amWebhookConfig{{URLSecret: r.SecretRef, SendResolved: true}}
	case ReceiverPagerDuty:
		if err := needSecret(); err != nil {
			return out, err
		}
		out.PagerDutyConfigs = []amPagerDutyConfig{{RoutingKey: r.SecretRef, SendResolved: true}}
	case ReceiverEmail:
		if r.To == "" {
			return out, errors.New("an email receiver needs to (the address to mail)")
		}
		if r.SecretRef != (SecretKeyRef{}) {
			return out, errors.New("an email receiver takes no secretRef: mail goes through the platform's SMTP relay")
		}
		out.EmailConfigs = []amEmailConfig{{To: r.To, SendResolved: true}}
	default:
		return out, fmt.Errorf("type %q is not supported; use slack, webhook, email or pagerduty", r.Type)
	}
	return out, nil
}
