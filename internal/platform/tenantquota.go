package platform

import (
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// WebhookTimeoutSeconds bounds every call of an API server to naas: a slow naas slows requests on what naas
// manages by at most this much.
const WebhookTimeoutSeconds = 3

// Names of the tenant quota webhooks.
const (
	TenantQuotaWebhookName          = "tenant-quota.validate.naas.dev"
	TenantQuotaDeletionsWebhookName = "tenant-quota-deletions.validate.naas.dev"
)

// TenantQuotaWebhooks are the webhooks that hold a Tenant's spec.quota, the sum of usage over all its namespaces:
// creates of pods, persistent volume claims and services (and updates that grow them) in the namespaces
// selects are sent to naas at cc, which reserves their charge in the tenant's ledger and refuses what does not fit;
// they fail closed, so that nothing is admitted uncounted. Deletions are sent too, with a short timeout and
// failing open: they only tell naas a charged object was written, and are never refused. The management
// cluster's configuration and each member's (MemberObjects) use them.
func TenantQuotaWebhooks(cc admissionregistrationv1.WebhookClientConfig, namespaces *metav1.LabelSelector) []admissionregistrationv1.ValidatingWebhook {
	rule := func(ops []admissionregistrationv1.OperationType, resources ...string) admissionregistrationv1.RuleWithOperations {
		return admissionregistrationv1.RuleWithOperations{Operations: ops, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{""}, APIVersions: []string{"*"}, Resources: resources,
		}}
	}
	create := []admissionregistrationv1.OperationType{admissionregistrationv1.Create}
	update := []admissionregistrationv1.OperationType{admissionregistrationv1.Update}
	createUpdate := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	del := []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}
	return []admissionregistrationv1.ValidatingWebhook{
		{
			Name:         TenantQuotaWebhookName,
			ClientConfig: cc,
			Rules: []admissionregistrationv1.RuleWithOperations{
				rule(create, "pods"),
				rule(update, "pods/resize"),
				rule(createUpdate, "persistentvolumeclaims", "services"),
			},
			NamespaceSelector:       namespaces,
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			MatchPolicy:             ptr.To(admissionregistrationv1.Equivalent),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun), // reserves tenant quota
			TimeoutSeconds:          ptr.To[int32](WebhookTimeoutSeconds),
			AdmissionReviewVersions: []string{"v1"},
		},
		{
			// Deletions only tell naas that a charged object was written; they are never refused, and
			// while naas is down they go ahead (the charge is released when it expires instead).
			Name:                    TenantQuotaDeletionsWebhookName,
			ClientConfig:            cc,
			Rules:                   []admissionregistrationv1.RuleWithOperations{rule(del, "pods", "persistentvolumeclaims", "services")},
			NamespaceSelector:       namespaces,
			FailurePolicy:           ptr.To(admissionregistrationv1.Ignore),
			MatchPolicy:             ptr.To(admissionregistrationv1.Equivalent),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun),
			TimeoutSeconds:          ptr.To[int32](1),
			AdmissionReviewVersions: []string{"v1"},
		},
	}
}

// MemberQuotaWebhook is how a member cluster's API server reaches naas's tenant quota webhook.
type MemberQuotaWebhook struct {
	// URL of the webhook for this member (its path names the member).
	URL string
	// CABundle verifies naas's serving certificate.
	CABundle []byte
}

// memberTenantQuota is the ValidatingWebhookConfiguration of a member that sends the creates, growing updates and
// deletions in the namespaces of tenants with a spec.quota to naas, so that the quota holds over the fleet. Only
// those tenants' namespaces are selected (by naas's tenant label, which the policy naas-protect-namespace-labels
// keeps tenants from changing): a tenant without a tenant-wide quota never waits for naas, and keeps working on a
// member that cannot reach naas. It is named as naas's configuration on the management cluster, which the
// operator's rules let naas change. Nil when no tenant has a quota.
func memberTenantQuota(hook *MemberQuotaWebhook, tenants []naasv1alpha1.Tenant) *admissionregistrationv1.ValidatingWebhookConfiguration {
	var names []string
	for i := range tenants {
		if t := &tenants[i]; len(t.Spec.Quota) > 0 && t.DeletionTimestamp.IsZero() {
			names = append(names, t.Name)
		}
	}
	if hook == nil || len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	selector := &metav1.LabelSelector{
		MatchLabels: map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue},
		MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: naasv1alpha1.LabelTenant, Operator: metav1.LabelSelectorOpIn, Values: names,
		}},
	}
	cc := admissionregistrationv1.WebhookClientConfig{URL: ptr.To(hook.URL), CABundle: hook.CABundle}
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: WebhookConfigurationName, Labels: merge(managedLabels, nil)},
		Webhooks:   TenantQuotaWebhooks(cc, selector),
	}
}
