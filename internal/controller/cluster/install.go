package cluster

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/platform"
)

// MemberKinds are the cluster-wide kinds naas keeps on a member (platform.MemberObjects), with their resources:
// the member's inventory tracks naas's objects of these kinds, so that an edit or deletion there is put back at
// once and an idle pass reads nothing from the member.
func MemberKinds(mutatingPolicies bool) []KindResource {
	rbac := schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}
	adm := schema.GroupVersion{Group: "admissionregistration.k8s.io", Version: "v1"}
	fc := schema.GroupVersion{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}
	kinds := []KindResource{
		{rbac.WithKind("ClusterRole"), "clusterroles"},
		{rbac.WithKind("ClusterRoleBinding"), "clusterrolebindings"},
		{adm.WithKind("ValidatingAdmissionPolicy"), "validatingadmissionpolicies"},
		{adm.WithKind("ValidatingAdmissionPolicyBinding"), "validatingadmissionpolicybindings"},
		{adm.WithKind("ValidatingWebhookConfiguration"), "validatingwebhookconfigurations"},
		{fc.WithKind("PriorityLevelConfiguration"), "prioritylevelconfigurations"},
		{fc.WithKind("FlowSchema"), "flowschemas"},
		{naasv1alpha1.GroupVersion.WithKind("Tenant"), "tenants"},
		{naasv1alpha1.GroupVersion.WithKind("Tier"), "tiers"},
	}
	if mutatingPolicies {
		kinds = append(kinds,
			KindResource{adm.WithKind("MutatingAdmissionPolicy"), "mutatingadmissionpolicies"},
			KindResource{adm.WithKind("MutatingAdmissionPolicyBinding"), "mutatingadmissionpolicybindings"})
	}
	return kinds
}

// KindResource is a kind and its plural resource name.
type KindResource struct {
	GVK      schema.GroupVersionKind
	Resource string
}

// install keeps naas's cluster-wide objects on a reachable member: it applies what is missing or changed and
// deletes what naas no longer wants there (a deleted tenant's), and sets Installed.
func (r *Reconciler) install(ctx context.Context, s *scope) error {
	c := s.cluster
	if c.Name == naasv1alpha1.LocalClusterName {
		// naas installs these at start, and its controllers keep them (platform.Install, packages fairness,
		// tenantaccess and workloadpolicy).
		setCondition(c, naasv1alpha1.ClusterInstalled, metav1.ConditionTrue, naasv1alpha1.ReasonClusterManagement,
			"the management cluster: naas installs its objects here at start and keeps them")
		return nil
	}
	if s.conn == nil || !s.member.Reachable {
		if s.member.Name != "" && !s.member.Installed {
			setCondition(c, naasv1alpha1.ClusterInstalled, metav1.ConditionUnknown, naasv1alpha1.ReasonClusterNotAnswering,
				"naas's cluster-wide objects are installed once the cluster answers")
		}
		return nil // what is installed stays as it was
	}
	n, err := r.keepMemberObjects(ctx, c.Name, s.conn)
	if now, _ := r.Registry.Member(c.Name); err != nil && !now.Reachable {
		return nil // the member stopped answering during the pass: what is installed stays as it was
	}
	if err != nil {
		r.Registry.SetInstalled(c.Name, false)
		setCondition(c, naasv1alpha1.ClusterInstalled, metav1.ConditionFalse, naasv1alpha1.ReasonClusterInstallFailed, err.Error())
		return err
	}
	r.Registry.SetInstalled(c.Name, true)
	setCondition(c, naasv1alpha1.ClusterInstalled, metav1.ConditionTrue, naasv1alpha1.ReasonClusterInstalled,
		fmt.Sprintf("naas's %d cluster-wide objects (cluster roles, admission policies, priority levels and flow schemas, tenants and tiers) are in place", n))
	return nil
}

// keepMemberObjects applies the member objects of cluster and prunes those naas no longer wants; it returns how
// many objects naas keeps there.
func (r *Reconciler) keepMemberObjects(ctx context.Context, cluster string, conn *Connection) (int, error) {
	st, err := r.memberState(ctx, cluster)
	if err != nil {
		return 0, err
	}
	objs := platform.MemberObjects(platform.Config{Controllers: []string{conn.Identity}, MutatingPolicies: conn.MutatingPolicies}, st)
	want := map[schema.GroupVersionKind]map[string]bool{}
	var errs []error
	for _, o := range objs {
		u, err := platform.Desired(o)
		if err != nil {
			return 0, err
		}
		gvk := u.GroupVersionKind()
		if want[gvk] == nil {
			want[gvk] = map[string]bool{}
		}
		want[gvk][u.GetName()] = true
		if _, err := apply.Ensure(ctx, conn.Target.Client, conn.Target.Inventory, u); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("install on cluster %s: %w", cluster, err)
	}
	if err := r.prune(ctx, conn, want, false); err != nil {
		return 0, err
	}
	return len(objs), nil
}

// prune deletes naas's objects of the member kinds that naas no longer wants on the member (with want nil, all of
// them), except its ClusterRoles with keepRoles.
func (r *Reconciler) prune(ctx context.Context, conn *Connection, want map[schema.GroupVersionKind]map[string]bool, keepRoles bool) error {
	var errs []error
	for _, k := range MemberKinds(conn.MutatingPolicies) {
		if keepRoles && k.GVK.Kind == "ClusterRole" {
			continue
		}
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(k.GVK.GroupVersion().WithKind(k.GVK.Kind + "List"))
		if err := conn.Target.Inventory.List(ctx, list, client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}); err != nil {
			return fmt.Errorf("list naas's %s: %w", k.Resource, err)
		}
		for i := range list.Items {
			o := &list.Items[i]
			if want[k.GVK][o.Name] || !o.DeletionTimestamp.IsZero() {
				continue
			}
			if err := conn.Target.Client.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
				errs = append(errs, fmt.Errorf("delete %s %s: %w", k.GVK.Kind, o.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// memberState reads, from the manager's cache, what the member objects of cluster depend on.
func (r *Reconciler) memberState(ctx context.Context, cluster string) (platform.MemberState, error) {
	st := platform.MemberState{Namespaces: map[string]map[string][]string{}}
	tiers := &naasv1alpha1.TierList{}
	if err := r.Client.List(ctx, tiers); err != nil {
		return st, fmt.Errorf("list tiers: %w", err)
	}
	tenants := &naasv1alpha1.TenantList{}
	if err := r.Client.List(ctx, tenants); err != nil {
		return st, fmt.Errorf("list tenants: %w", err)
	}
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := r.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimCluster: cluster}, client.UnsafeDisableDeepCopy); err != nil {
		return st, fmt.Errorf("list the claims of cluster %s: %w", cluster, err)
	}
	st.Tiers, st.Tenants = tiers.Items, tenants.Items
	if r.QuotaWebhook != nil {
		st.QuotaWebhook = r.QuotaWebhook(cluster)
	}
	for i := range claims.Items {
		c := &claims.Items[i]
		if c.Status.Tier == "" {
			continue
		}
		if st.Namespaces[c.Spec.Tenant] == nil {
			st.Namespaces[c.Spec.Tenant] = map[string][]string{}
		}
		st.Namespaces[c.Spec.Tenant][c.Status.Tier] = append(st.Namespaces[c.Spec.Tenant][c.Status.Tier], c.Name)
	}
	return st, nil
}
