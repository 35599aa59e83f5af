package bundle

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/monitoring"
)

func TestBuild_NamespaceMirrorsTheClaimsDeletionProtection(t *testing.T) {
	tests := []struct {
		name      string
		protected bool
		// tenantSays is the label in the tenant's namespaceLabels, which never decides.
		tenantSays string
		want       string
	}{
		{name: "protected", protected: true, want: "true"},
		{name: "not protected", want: ""},
		{name: "the tenant's namespaceLabels cannot protect a namespace", tenantSays: "true", want: ""},
		{name: "nor unprotect one", protected: true, tenantSays: "false", want: "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(func(in *Input) {
				in.Claim.Spec.DeletionProtection = tt.protected
				if tt.tenantSays != "" {
					in.Tenant.Spec.NamespaceLabels = map[string]string{LabelDeletionProtection: tt.tenantSays}
				}
			})
			ns := step(t, mustBuild(t, in), naasv1alpha1.ConditionNamespace).Objects[0]
			if got := ns.GetLabels()[LabelDeletionProtection]; got != tt.want {
				t.Errorf("label %s = %q, want %q", LabelDeletionProtection, got, tt.want)
			}
		})
	}
}

func TestStatusOf_HostnamesAlwaysDashboardOnceMonitoringIsDone(t *testing.T) {
	grafana := "https://grafana.example.com"
	in := testInput(withMonitoring, func(in *Input) {
		in.Config.BaseDomain = "apps.example.com"
		in.Config.GrafanaURL = grafana
	})
	dashboard := monitoring.DashboardURL(grafana, testNamespace)
	tests := []struct {
		name string
		in   Input
		done []string
		want Status
	}{
		{name: "nothing done yet", in: in, want: Status{Hostnames: []string{testNamespace + "." + testTenant + ".apps.example.com"}}},
		{name: "monitoring done", in: in, done: []string{naasv1alpha1.ConditionMonitoring},
			want: Status{Hostnames: []string{testNamespace + "." + testTenant + ".apps.example.com"}, DashboardURL: dashboard}},
		{name: "no Grafana, no dashboard link", in: testInput(withMonitoring), done: []string{naasv1alpha1.ConditionMonitoring}, want: Status{}},
		{name: "no tenant, no hostnames", in: Input{Claim: in.Claim}, want: Status{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StatusOf(tt.in, func(step string) bool {
				for _, d := range tt.done {
					if d == step {
						return true
					}
				}
				return false
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("StatusOf (-want +got):\n%s", diff)
			}
		})
	}
}
