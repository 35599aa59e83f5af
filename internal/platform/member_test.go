package platform

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestMemberObjects_NoOwnersAllLabelledTenantsAndTiersMirrored(t *testing.T) {
	tier := naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "dev", UID: "tier-uid"}}
	tenant := naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "tenant-uid"},
		Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin}}}}
	now := metav1.Now()
	gone := naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "gone", DeletionTimestamp: &now}}
	objs := MemberObjects(Config{Controllers: []string{"system:serviceaccount:naas-system:naas"}}, MemberState{
		Tiers: []naasv1alpha1.Tier{tier}, Tenants: []naasv1alpha1.Tenant{tenant, gone},
		Namespaces: map[string]map[string][]string{"acme": {"dev": {"acme-web"}}},
	})
	names := map[string]bool{}
	for _, o := range objs {
		m := o.(metav1.Object)
		names[o.GetObjectKind().GroupVersionKind().Kind+"/"+m.GetName()] = true
		if len(m.GetOwnerReferences()) > 0 {
			t.Errorf("%s has owner references", m.GetName())
		}
		if m.GetLabels()[naasv1alpha1.LabelManagedBy] != naasv1alpha1.ManagedByValue {
			t.Errorf("%s lacks naas's managed-by label", m.GetName())
		}
		if _, ok := o.(*rbacv1.ClusterRoleBinding); ok && m.GetName() == TenantAccessName("acme") {
			t.Error("the tenant's access to naas's kinds is installed on a member")
		}
		if p, ok := o.(*admissionregistrationv1.ValidatingAdmissionPolicy); ok && p.Name == PolicyClusterRemoval {
			t.Error("the cluster removal policy is installed on a member")
		}
	}
	for _, want := range []string{"Tenant/acme", "Tier/dev", "PriorityLevelConfiguration/" + TierLevelName("dev"),
		"FlowSchema/" + TenantSchemaName("acme", "dev"), "ValidatingAdmissionPolicyBinding/" + TenantBindingName("acme"),
		"ValidatingAdmissionPolicyBinding/" + TierBindingName("dev"), "ValidatingAdmissionPolicy/" + TenantRoleBindingsPolicyName("acme"),
		"ValidatingAdmissionPolicy/" + PolicyProtectManagedObjects, "ValidatingAdmissionPolicy/" + PolicyControllerScope} {
		if !names[want] {
			t.Errorf("member objects lack %s", want)
		}
	}
	if names["Tenant/gone"] {
		t.Error("a deleted tenant is mirrored")
	}
}
