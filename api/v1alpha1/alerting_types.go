package v1alpha1

// AlertReceiverType is where an alert receiver sends notifications.
// +kubebuilder:validation:Enum=slack;webhook;email;pagerduty
type AlertReceiverType string

// Alert receiver types.
const (
	// AlertReceiverSlack posts to a Slack incoming webhook; secretRef holds the webhook URL.
	AlertReceiverSlack AlertReceiverType = "slack"
	// AlertReceiverWebhook posts Alertmanager's webhook payload; secretRef holds the URL.
	AlertReceiverWebhook AlertReceiverType = "webhook"
	// AlertReceiverEmail mails the address in to, through the Alertmanager's SMTP settings.
	AlertReceiverEmail AlertReceiverType = "email"
	// AlertReceiverPagerDuty opens PagerDuty incidents; secretRef holds the Events API v2 routing key.
	AlertReceiverPagerDuty AlertReceiverType = "pagerduty"
)

// SecretKeyRef names one key of a Secret in the namespace the alerts come from. naas only passes the
// reference on: the prometheus-operator reads the Secret, so the value never appears in naas's objects.
type SecretKeyRef struct {
	// name of the Secret. It must exist in every namespace whose alerts use the receiver.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`
	// key in the Secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// AlertReceiver is one destination of a namespace's alerts.
// +kubebuilder:validation:XValidation:rule="self.type != 'email' || (has(self.to) && !has(self.secretRef))",message="an email receiver needs to (the address to mail) and takes no secretRef"
// +kubebuilder:validation:XValidation:rule="self.type == 'email' || (has(self.secretRef) && !has(self.to))",message="a slack, webhook or pagerduty receiver needs secretRef (the Secret key holding the URL or routing key) and takes no to"
type AlertReceiver struct {
	// name identifies the receiver in the namespace's alert routing.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// type is slack, webhook, email or pagerduty.
	// +required
	Type AlertReceiverType `json:"type"`
	// secretRef is the Secret key holding the Slack webhook URL, the webhook URL or the PagerDuty routing key;
	// required for slack, webhook and pagerduty.
	// +optional
	SecretRef *SecretKeyRef `json:"secretRef,omitempty"`
	// to is the address an email receiver mails; required for email.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^[^@\s]+@[^@\s]+$`
	To string `json:"to,omitempty"`
}

// Alerting says where the alerts of namespaces whose template turns monitoring on are sent.
type Alerting struct {
	// receivers each get every alert of the namespace. With none, the alerts reach only the cluster
	// Alertmanager's default route.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Receivers []AlertReceiver `json:"receivers,omitempty"`
}

// ConditionMonitoring is the claim condition of the monitoring step: the namespace's alert rules, alert routing
// and dashboard. It is False with reason NotApplicable, without holding Ready back, while the cluster lacks the
// prometheus-operator CRDs.
const ConditionMonitoring = "MonitoringReady"
