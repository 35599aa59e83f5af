package platform

import (
	"maps"
	"sort"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// MemberCRDNames are naas's CustomResourceDefinitions a member cluster serves: the kinds its admission policies
// take as parameters (Tenants and Tiers, mirrored from the management cluster by MemberObjects). Claims,
// templates and the rest stay on the management cluster.
func MemberCRDNames() []string {
	g := naasv1alpha1.GroupVersion.Group
	return []string{"tenants." + g, "tiers." + g}
}

// MemberState is what the objects naas keeps on a member cluster depend on.
type MemberState struct {
	// Tiers and Tenants of the management cluster.
	Tiers   []naasv1alpha1.Tier
	Tenants []naasv1alpha1.Tenant
	// Namespaces are the member's naas namespaces, by tenant and then by tier (their claims' status.tier).
	Namespaces map[string]map[string][]string
	// QuotaWebhook reaches naas's tenant quota webhook from the member; nil when the member cannot reach naas
	// (tenant-wide quotas are then not held there).
	QuotaWebhook *MemberQuotaWebhook
}

// MemberObjects are the cluster-wide objects naas keeps on a member cluster, so that each namespace placed there
// holds as it would on the management cluster without naas being reachable from the member: everything Objects
// installs (naas's ClusterRoles, the admission policies that protect managed objects and hold workloads to their
// tenant's and tier's policies, the fairness levels), and what the management cluster's controllers keep per Tier
// (its priority level, its workload policy bindings) and per Tenant (its workload policy binding, its FlowSchemas
// for its namespaces on the member, the policy that holds RoleBindings in its namespaces), and the webhook that sends
// the requests in the namespaces of tenants with a tenant-wide quota to naas (memberTenantQuota). The policies take the
// Tenants and Tiers as parameters: they are mirrored too (metadata and spec only).
//
// Owner references are left out: they name objects of the management cluster, and a member's garbage collector
// would delete what names an owner it does not have. Every object carries naas's managed-by label, which is how
// naas finds what to prune on the member.
func MemberObjects(cfg Config, st MemberState) []runtime.Object {
	objs := Objects(cfg)
	tiers := sortedCopy(st.Tiers, func(t naasv1alpha1.Tier) string { return t.Name })
	for i := range tiers {
		t := &tiers[i]
		if !t.DeletionTimestamp.IsZero() {
			continue
		}
		objs = append(objs, mirrorTier(t), TierLevel(t), TierBinding(t))
		if cfg.MutatingPolicies {
			objs = append(objs, TierMutatingBinding(t))
		}
	}
	tenants := sortedCopy(st.Tenants, func(t naasv1alpha1.Tenant) string { return t.Name })
	for i := range tenants {
		t := &tenants[i]
		if !t.DeletionTimestamp.IsZero() {
			continue
		}
		objs = append(objs, mirrorTenant(t), TenantBinding(t))
		for _, fs := range TenantFlowSchemas(t, st.Namespaces[t.Name]) {
			objs = append(objs, fs)
		}
		var names []string
		for _, ns := range st.Namespaces[t.Name] {
			names = append(names, ns...)
		}
		// Of the tenant's access objects, the policy on RoleBindings in its namespaces: the ClusterRole and its
		// binding give access to naas's kinds, which members do not serve.
		for _, o := range TenantAccess(cfg, t, names) {
			switch o.(type) {
			case *admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
				objs = append(objs, o)
			}
		}
	}
	if hook := memberTenantQuota(st.QuotaWebhook, tenants); hook != nil {
		objs = append(objs, hook)
	}
	for _, o := range objs {
		m, ok := o.(metav1.Object)
		if !ok {
			continue
		}
		m.SetOwnerReferences(nil)
		l := maps.Clone(m.GetLabels())
		if l == nil {
			l = map[string]string{}
		}
		l[naasv1alpha1.LabelManagedBy] = naasv1alpha1.ManagedByValue
		m.SetLabels(l)
	}
	return objs
}

func mirrorTier(t *naasv1alpha1.Tier) *naasv1alpha1.Tier {
	return &naasv1alpha1.Tier{
		TypeMeta:   metav1.TypeMeta{APIVersion: naasv1alpha1.GroupVersion.String(), Kind: "Tier"},
		ObjectMeta: metav1.ObjectMeta{Name: t.Name, Labels: maps.Clone(t.Labels)},
		Spec:       *t.Spec.DeepCopy(),
	}
}

func mirrorTenant(t *naasv1alpha1.Tenant) *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{
		TypeMeta:   metav1.TypeMeta{APIVersion: naasv1alpha1.GroupVersion.String(), Kind: "Tenant"},
		ObjectMeta: metav1.ObjectMeta{Name: t.Name, Labels: maps.Clone(t.Labels)},
		Spec:       *t.Spec.DeepCopy(),
	}
}

func sortedCopy[T any](in []T, key func(T) string) []T {
	out := append([]T(nil), in...)
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}
