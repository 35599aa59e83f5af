package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodePoolLabel is the node label naming a node's pool; a PriceBook may price one pool apart.
const NodePoolLabel = "naas.dev/node-pool"

// DefaultCostPolicyName is the name of the one CostPolicy naas reads.
const DefaultCostPolicyName = "default"

// Money is a decimal amount of a currency with at most six decimal places (micro-units), such as "0.031611".
// It is never a float: naas parses it into integer micro-units.
// +kubebuilder:validation:Pattern=`^[0-9]{1,12}(\.[0-9]{1,6})?$`
// +kubebuilder:validation:MaxLength=19
type Money string

// Decimal is a non-negative decimal number with at most nine decimal places, such as an exchange rate or a
// chargeback factor.
// +kubebuilder:validation:Pattern=`^[0-9]{1,9}(\.[0-9]{1,9})?$`
// +kubebuilder:validation:MaxLength=19
type Decimal string

// StorageClassPrice is the price of a storage class.
type StorageClassPrice struct {
	// storageClassName the price applies to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	StorageClassName string `json:"storageClassName"`
	// gibMonth is the price of one GiB of capacity for a month (730 hours).
	// +required
	GiBMonth Money `json:"gibMonth"`
}

// ExchangeRate converts a price book's currency into another.
type ExchangeRate struct {
	// currency is the ISO 4217 code converted to.
	// +required
	// +kubebuilder:validation:Pattern=`^[A-Z]{3}$`
	Currency string `json:"currency"`
	// rate is how many units of currency one unit of the book's currency buys.
	// +required
	Rate Decimal `json:"rate"`
	// date is the day the rate was taken (YYYY-MM-DD); reports name it.
	// +required
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	Date string `json:"date"`
}

// PriceBookSpec is the list prices of a cluster's resources.
// +kubebuilder:validation:XValidation:rule="!(has(self.default) && self.default && (has(self.cluster) || has(self.nodePool)))",message="the default price book applies to every cluster and node pool: it names neither"
type PriceBookSpec struct {
	// default marks the book used where no more specific book applies. At most one book is the default.
	// +optional
	Default bool `json:"default,omitempty"`
	// cluster is the Cluster the book prices; empty for every cluster.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Cluster string `json:"cluster,omitempty"`
	// nodePool is the node pool (node label naas.dev/node-pool) the book prices; empty for every pool.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	NodePool string `json:"nodePool,omitempty"`
	// currency of the prices, ISO 4217.
	// +required
	// +kubebuilder:validation:Pattern=`^[A-Z]{3}$`
	Currency string `json:"currency"`
	// cpuCoreHour is the price of one CPU core for an hour.
	// +required
	CPUCoreHour Money `json:"cpuCoreHour"`
	// memoryGiBHour is the price of one GiB of memory for an hour.
	// +required
	MemoryGiBHour Money `json:"memoryGiBHour"`
	// gpuHour is the price of one GPU for an hour.
	// +optional
	GPUHour Money `json:"gpuHour,omitempty"`
	// storageGiBMonth is the price of one GiB of persistent volume capacity for a month (730 hours), for
	// storage classes not listed in storageClasses.
	// +optional
	StorageGiBMonth Money `json:"storageGiBMonth,omitempty"`
	// storageClasses price storage classes apart.
	// +optional
	// +listType=map
	// +listMapKey=storageClassName
	// +kubebuilder:validation:MaxItems=64
	StorageClasses []StorageClassPrice `json:"storageClasses,omitempty"`
	// loadBalancerHour is the price of one Service of type LoadBalancer for an hour.
	// +optional
	LoadBalancerHour Money `json:"loadBalancerHour,omitempty"`
	// exchangeRates convert the book's prices for reports in other currencies.
	// +optional
	// +listType=map
	// +listMapKey=currency
	// +kubebuilder:validation:MaxItems=64
	ExchangeRates []ExchangeRate `json:"exchangeRates,omitempty"`
}

// PriceBook is the list prices naas allocates cost with: one default book, optionally one per cluster or node pool.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=pb
// +kubebuilder:printcolumn:name="Default",type=boolean,JSONPath=`.spec.default`
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.cluster`
// +kubebuilder:printcolumn:name="Node Pool",type=string,JSONPath=`.spec.nodePool`
// +kubebuilder:printcolumn:name="Currency",type=string,JSONPath=`.spec.currency`
// +kubebuilder:printcolumn:name="CPU/h",type=string,JSONPath=`.spec.cpuCoreHour`
// +kubebuilder:printcolumn:name="GiB/h",type=string,JSONPath=`.spec.memoryGiBHour`
type PriceBook struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the book's prices.
	// +required
	Spec PriceBookSpec `json:"spec"`
}

// PriceBookList is a list of PriceBooks.
// +kubebuilder:object:root=true
type PriceBookList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PriceBook `json:"items"`
}

// CostSplit says how a cost nobody is directly charged for (idle capacity, shared namespaces) is shared out.
// +kubebuilder:validation:Enum=None;Even;Weighted
type CostSplit string

// Cost splits.
const (
	// CostSplitNone leaves the cost out of the namespaces' costs (reported apart).
	CostSplitNone CostSplit = "None"
	// CostSplitEven shares the cost evenly between the namespaces charged.
	CostSplitEven CostSplit = "Even"
	// CostSplitWeighted shares the cost in proportion to each namespace's own cost.
	CostSplitWeighted CostSplit = "Weighted"
)

// ChargebackMatch selects the namespaces a chargeback rule applies to; every field set must match.
type ChargebackMatch struct {
	// tiers the namespace's tier is one of.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Tiers []string `json:"tiers,omitempty"`
	// templates the namespace's template is one of.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Templates []string `json:"templates,omitempty"`
	// namespacePattern is a shell pattern over the namespace's name, such as "*-dev".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	NamespacePattern string `json:"namespacePattern,omitempty"`
	// labelSelector selects namespaces by their labels.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`
}

// ChargebackRule adjusts what matching namespaces are charged. Rules apply in order, each to the amount the
// rules before it left.
// +kubebuilder:validation:XValidation:rule="has(self.discount) != has(self.markup)",message="a rule has either a discount or a markup"
type ChargebackRule struct {
	// name of the rule, shown on every line it changes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// match selects the namespaces the rule applies to.
	// +required
	Match ChargebackMatch `json:"match"`
	// discount is the share taken off, e.g. "0.5" charges half.
	// +optional
	Discount Decimal `json:"discount,omitempty"`
	// markup multiplies the amount, e.g. "1.2" charges 20% more.
	// +optional
	Markup Decimal `json:"markup,omitempty"`
}

// CostCenterBudget is a cost center's monthly budget.
type CostCenterBudget struct {
	// costCenter as tenants name it in spec.costCenter.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	CostCenter string `json:"costCenter"`
	// budget of the cost center.
	// +required
	Budget Budget `json:"budget"`
}

// BudgetWebhook is an HTTP endpoint budget notifications are POSTed to, as JSON.
type BudgetWebhook struct {
	// url of the endpoint (https, or http on loopback).
	// +required
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`
}

// CostPolicySpec is how naas shares out and charges cost.
type CostPolicySpec struct {
	// currency reports are in, ISO 4217; the default price book's when empty.
	// +optional
	// +kubebuilder:validation:Pattern=`^[A-Z]{3}$`
	Currency string `json:"currency,omitempty"`
	// idle is how the cost of capacity nobody requested is shared out.
	// +optional
	// +kubebuilder:default=None
	Idle CostSplit `json:"idle,omitempty"`
	// sharedNamespaces are namespaces (such as naas-system and monitoring) whose cost is shared out instead
	// of charged to a tenant.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	SharedNamespaces []string `json:"sharedNamespaces,omitempty"`
	// shared is how the shared namespaces' cost is shared out.
	// +optional
	// +kubebuilder:default=None
	Shared CostSplit `json:"shared,omitempty"`
	// rules adjust what namespaces are charged, in order.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Rules []ChargebackRule `json:"rules,omitempty"`
	// costCenterBudgets are the cost centers' monthly budgets.
	// +optional
	// +listType=map
	// +listMapKey=costCenter
	// +kubebuilder:validation:MaxItems=256
	CostCenterBudgets []CostCenterBudget `json:"costCenterBudgets,omitempty"`
	// webhook receives every budget notification, besides the tenants' alert receivers.
	// +optional
	Webhook *BudgetWebhook `json:"webhook,omitempty"`
}

// CostPolicyStatus is what naas reports of cost allocation.
type CostPolicyStatus struct {
	// lastHour is the start of the last complete hour naas has written cost rows for.
	// +optional
	LastHour *metav1.Time `json:"lastHour,omitempty"`
	// usageSource is where usage came from: "prometheus" or "requests".
	// +optional
	UsageSource string `json:"usageSource,omitempty"`
	// costCenterBudgets are the cost centers' budgets this period.
	// +optional
	// +listType=atomic
	CostCenterBudgets []NamedBudgetStatus `json:"costCenterBudgets,omitempty"`
	// conditions describe cost allocation.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// NamedBudgetStatus is the budget status of a named scope.
type NamedBudgetStatus struct {
	// name of the scope, e.g. the cost center.
	// +required
	Name string `json:"name"`
	// budget is its status.
	// +required
	BudgetStatus `json:",inline"`
}

// CostPolicy is how naas shares out and charges cost; naas reads the one named "default".
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:validation:XValidation:rule="self.metadata.name == 'default'",message="naas reads the CostPolicy named default only"
type CostPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the policy.
	// +optional
	Spec CostPolicySpec `json:"spec,omitempty"`
	// status is what naas reports.
	// +optional
	Status CostPolicyStatus `json:"status,omitempty"`
}

// CostPolicyList is a list of CostPolicies.
// +kubebuilder:object:root=true
type CostPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CostPolicy `json:"items"`
}

// BudgetThresholdStatus is when a threshold of a budget last fired.
type BudgetThresholdStatus struct {
	// percent of the budget.
	// +required
	Percent int32 `json:"percent"`
	// kind is Actual (spend so far) or Forecast (spend projected to the end of the period).
	// +required
	// +kubebuilder:validation:Enum=Actual;Forecast
	Kind string `json:"kind"`
	// firedAt is when the threshold fired in the current period.
	// +required
	FiredAt metav1.Time `json:"firedAt"`
}

// BudgetStatus is a budget's state in the current period.
type BudgetStatus struct {
	// period is the month (YYYY-MM, UTC) the figures are of.
	// +optional
	Period string `json:"period,omitempty"`
	// spent is the cost so far this period, in the budget's currency.
	// +optional
	Spent Money `json:"spent,omitempty"`
	// forecast is the cost projected linearly to the end of the period.
	// +optional
	Forecast Money `json:"forecast,omitempty"`
	// fired are the thresholds that fired this period.
	// +optional
	// +listType=atomic
	Fired []BudgetThresholdStatus `json:"fired,omitempty"`
	// blocked is true while a hard budget is spent and not lifted: no new namespaces and no quota growth. On a
	// Tenant it is also true while the hard budget of the tenant's cost center is spent.
	// +optional
	Blocked bool `json:"blocked,omitempty"`
	// message says, while blocked, which budget is spent, what stops and until when, and how to lift it.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}
