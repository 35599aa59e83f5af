package tenancy

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func quota(cpu, mem string) corev1.ResourceList {
	q := corev1.ResourceList{}
	if cpu != "" {
		q[corev1.ResourceLimitsCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		q[corev1.ResourceLimitsMemory] = resource.MustParse(mem)
	}
	return q
}

func TestQuotaGrows(t *testing.T) {
	tests := []struct {
		name     string
		from, to corev1.ResourceList
		want     bool
	}{
		{"same", quota("2", "4Gi"), quota("2", "4Gi"), false},
		{"smaller", quota("2", "4Gi"), quota("1", "4Gi"), false},
		{"one resource larger", quota("2", "4Gi"), quota("2", "8Gi"), true},
		{"a limit dropped is unlimited", quota("2", "4Gi"), quota("2", ""), true},
		{"a limit added is smaller", quota("2", ""), quota("2", "4Gi"), false},
		{"equal in other units", quota("2", "4Gi"), quota("2000m", "4096Mi"), false},
	}
	for _, tt := range tests {
		if got := QuotaGrows(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: QuotaGrows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheckTierGrowth(t *testing.T) {
	dev := &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "dev"}, Spec: naasv1alpha1.TierSpec{Quota: quota("2", "4Gi")}}
	prod := &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "prod"}, Spec: naasv1alpha1.TierSpec{Quota: quota("8", "16Gi")}}
	blocked := &naasv1alpha1.BudgetStatus{Period: "2026-12", Blocked: true, Message: "tenant payments has spent £1,012.40 of its £1,000.00 hard budget"}
	tenant := func(b *naasv1alpha1.BudgetStatus) *naasv1alpha1.Tenant {
		return &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "payments"}, Status: naasv1alpha1.TenantStatus{Budget: b}}
	}
	claim := func(b *naasv1alpha1.BudgetStatus) *naasv1alpha1.NamespaceClaim {
		return &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "payments-api"}, Status: naasv1alpha1.NamespaceClaimStatus{Budget: b}}
	}
	tests := []struct {
		name     string
		c        *naasv1alpha1.NamespaceClaim
		tn       *naasv1alpha1.Tenant
		from, to *naasv1alpha1.Tier
		want     string
	}{
		{"no budget blocks", claim(nil), tenant(nil), dev, prod, ""},
		{"a blocked tenant cannot grow", claim(nil), tenant(blocked), dev, prod, "tier prod has a bigger quota than dev: tenant payments has spent £1,012.40"},
		{"a blocked tenant may shrink", claim(nil), tenant(blocked), prod, dev, ""},
		{"a blocked namespace cannot grow", claim(&naasv1alpha1.BudgetStatus{Period: "2026-12", Blocked: true}), tenant(nil), dev, prod,
			"namespace payments-api has spent its hard budget for 2026-12"},
		{"an unblocked status does not block", claim(&naasv1alpha1.BudgetStatus{Period: "2026-12"}), tenant(&naasv1alpha1.BudgetStatus{}), dev, prod, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTierGrowth(tt.c, tt.tn, tt.from, tt.to)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || err.Origin != originBudgetExceeded):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestValidateCreate_RefusesATenantWhoseHardBudgetIsSpent(t *testing.T) {
	tn := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "payments"}, Status: naasv1alpha1.TenantStatus{
		Budget: &naasv1alpha1.BudgetStatus{Period: "2026-12", Blocked: true, Message: "tenant payments has spent £1,012.40 of its £1,000.00 hard budget for 2026-12"}}}
	tier := &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "dev"}}
	tpl := &naasv1alpha1.NamespaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "standard"}, Spec: naasv1alpha1.NamespaceTemplateSpec{DefaultTier: "dev"}}
	c := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "payments-new"}, Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: "payments", Template: "standard"}}
	errs := ValidateCreate(c, tn, tpl, tier, 0)
	if len(errs) != 1 || errs[0].Origin != originBudgetExceeded || !strings.Contains(errs[0].Error(), "£1,012.40 of its £1,000.00") {
		t.Fatalf("ValidateCreate = %v; want the budget's message", errs)
	}
	tn.Status.Budget.Blocked = false
	if errs := ValidateCreate(c, tn, tpl, tier, 0); len(errs) != 0 {
		t.Fatalf("ValidateCreate after the lift = %v; want none", errs)
	}
}
