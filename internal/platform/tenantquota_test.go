package platform

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestMemberObjects_TenantQuotaWebhookSelectsOnlyTenantsWithAQuota(t *testing.T) {
	withQuota := func(name string) naasv1alpha1.Tenant {
		return naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: naasv1alpha1.TenantSpec{Quota: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("3")}}}
	}
	deleted := withQuota("leaving")
	deleted.DeletionTimestamp = &metav1.Time{Time: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}
	free := naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "free"}}
	hook := &MemberQuotaWebhook{URL: "https://127.0.0.1:9443/validate/tenant-quota/clusters/m1", CABundle: []byte("ca")}

	tests := []struct {
		name    string
		tenants []naasv1alpha1.Tenant
		hook    *MemberQuotaWebhook
		want    []string // the tenants selected; nil: no configuration
	}{
		{name: "tenants with a quota, in name order", tenants: []naasv1alpha1.Tenant{withQuota("zeta"), free, withQuota("acme"), deleted}, hook: hook,
			want: []string{"acme", "zeta"}},
		{name: "no tenant with a quota: no configuration", tenants: []naasv1alpha1.Tenant{free}, hook: hook},
		{name: "the member cannot reach naas: no configuration", tenants: []naasv1alpha1.Tenant{withQuota("acme")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *admissionregistrationv1.ValidatingWebhookConfiguration
			for _, o := range MemberObjects(Config{Controllers: []string{"naas"}}, MemberState{Tenants: tt.tenants, QuotaWebhook: tt.hook}) {
				if c, ok := o.(*admissionregistrationv1.ValidatingWebhookConfiguration); ok {
					got = c
				}
			}
			if tt.want == nil {
				if got != nil {
					t.Fatalf("a webhook configuration is installed: %+v", got)
				}
				return
			}
			if got == nil || got.Name != WebhookConfigurationName || got.Labels[naasv1alpha1.LabelManagedBy] != naasv1alpha1.ManagedByValue {
				t.Fatalf("configuration %+v, want %s labelled as naas's", got, WebhookConfigurationName)
			}
			if len(got.Webhooks) != 2 {
				t.Fatalf("%d webhooks, want the creates' and the deletions'", len(got.Webhooks))
			}
			for _, w := range got.Webhooks {
				if *w.ClientConfig.URL != hook.URL || string(w.ClientConfig.CABundle) != "ca" {
					t.Errorf("%s calls %s with CA %q", w.Name, *w.ClientConfig.URL, w.ClientConfig.CABundle)
				}
				want := &metav1.LabelSelector{
					MatchLabels:      map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue},
					MatchExpressions: []metav1.LabelSelectorRequirement{{Key: naasv1alpha1.LabelTenant, Operator: metav1.LabelSelectorOpIn, Values: tt.want}},
				}
				if diff := cmp.Diff(want, w.NamespaceSelector); diff != "" {
					t.Errorf("%s namespace selector (-want +got):\n%s", w.Name, diff)
				}
			}
			if p := *got.Webhooks[0].FailurePolicy; got.Webhooks[0].Name != TenantQuotaWebhookName || p != admissionregistrationv1.Fail {
				t.Errorf("%s fails %s, want the creates' webhook to fail closed", got.Webhooks[0].Name, p)
			}
			if p := *got.Webhooks[1].FailurePolicy; p != admissionregistrationv1.Ignore {
				t.Errorf("the deletions' webhook fails %s, want open", p)
			}
		})
	}
}
