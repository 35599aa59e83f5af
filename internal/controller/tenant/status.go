package tenant

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// observed is what the controller saw of a tenant's world in one pass.
type observed struct {
	// claims are the tenant's claims.
	claims []claimState
	// namespaces are the namespaces labelled managed by naas for the tenant, on every target cluster; nil when
	// the controller does not look at namespaces.
	namespaces []namespaceState
	// missingMemberNamespaces are the namespaces of the tenant's ServiceAccount owners that do not exist.
	missingMemberNamespaces []string
}

type claimState struct {
	name string
	// namespaceMade: the claim's NamespaceReady condition is True, so its namespace should exist.
	namespaceMade bool
}

type namespaceState struct {
	name string
	// claim is the namespace's naas.dev/claim label.
	claim    string
	deleting bool
}

// readiness is the tenant's Ready condition: True when its namespaces, claims, limits and members agree, else
// False with the reason of the first disagreement (in the order below) and a message naming each of them.
func readiness(t *naasv1alpha1.Tenant, o observed) metav1.Condition {
	type problem struct{ reason, message string }
	var problems []problem
	add := func(reason, format string, args ...any) {
		problems = append(problems, problem{reason, fmt.Sprintf(format, args...)})
	}

	claims := map[string]bool{}
	for _, c := range o.claims {
		claims[c.name] = true
	}
	present := map[string]bool{}
	var orphaned []string
	for _, ns := range o.namespaces {
		present[ns.name] = true
		if !ns.deleting && !claims[ns.claim] {
			orphaned = append(orphaned, ns.name)
		}
	}
	if len(orphaned) > 0 {
		add(naasv1alpha1.ReasonNamespacesOrphaned, "namespaces labelled for the tenant have no claim of it: %s (delete them, or claim them again)",
			list(orphaned))
	}
	if o.namespaces != nil {
		var missing []string
		for _, c := range o.claims {
			if c.namespaceMade && !present[c.name] {
				missing = append(missing, c.name)
			}
		}
		if len(missing) > 0 {
			add(naasv1alpha1.ReasonNamespacesMissing, "claims whose namespace is gone: %s (naas makes them again; look at the claims if this stays)",
				list(missing))
		}
	}
	count := int32(len(o.claims))
	if m := t.Spec.MaxNamespaces; m != nil && count > *m {
		add(naasv1alpha1.ReasonOverNamespaceLimit, "%d namespaces, more than spec.maxNamespaces (%d): new claims are refused until some are deleted or the limit is raised",
			count, *m)
	}
	if over := overQuota(t.Spec.Quota, t.Status.Used); len(over) > 0 {
		add(naasv1alpha1.ReasonOverQuota, "usage above spec.quota: %s: new workloads are refused until usage falls or the quota is raised",
			strings.Join(over, ", "))
	}
	if len(o.missingMemberNamespaces) > 0 {
		add(naasv1alpha1.ReasonMembersUnresolvable, "owners name service accounts in namespaces that do not exist: %s (fix spec.owners)",
			list(o.missingMemberNamespaces))
	}

	cond := metav1.Condition{Type: naasv1alpha1.ConditionReady, ObservedGeneration: t.Generation}
	if len(problems) == 0 {
		cond.Status, cond.Reason = metav1.ConditionTrue, naasv1alpha1.ReasonReconciled
		cond.Message = fmt.Sprintf("%d namespaces", count)
		if t.Spec.MaxNamespaces != nil {
			cond.Message = fmt.Sprintf("%d of at most %d namespaces", count, *t.Spec.MaxNamespaces)
		}
		return cond
	}
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.message
	}
	cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, problems[0].reason, strings.Join(msgs, "; ")
	return cond
}

// overQuota names the resources whose usage is above the quota, with both amounts.
func overQuota(hard, used corev1.ResourceList) []string {
	var over []string
	for name, limit := range hard {
		if u, ok := used[name]; ok && u.Cmp(limit) > 0 {
			over = append(over, fmt.Sprintf("%s %s of %s", name, u.String(), limit.String()))
		}
	}
	sort.Strings(over)
	return over
}

// maxListed bounds the names a message lists.
const maxListed = 10

// list joins sorted names, at most maxListed of them.
func list(names []string) string {
	sort.Strings(names)
	if len(names) > maxListed {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
	}
	return strings.Join(names, ", ")
}
