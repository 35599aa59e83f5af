package platform

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
)

// Config says who may change what naas manages.
type Config struct {
	// Controllers are the user names naas itself acts as (its service account, or the
	// local admin); they may change naas-managed objects.
	Controllers []string
	// MutatingPolicies says that the API server serves admissionregistration.k8s.io/v1 MutatingAdmissionPolicy:
	// naas then installs PolicyTierPullAlways (else its mutating webhook does the same).
	MutatingPolicies bool
}

// LabelDeletionProtection on a namespace mirrors its claim's deletion protection; the bundle sets it.
const LabelDeletionProtection = bundle.LabelDeletionProtection

// Admission policy names.
const (
	PolicyProtectManagedObjects = "naas-protect-managed-objects"
	PolicyProtectNamespaces     = "naas-protect-namespace-labels"
	PolicyDeletionProtection    = "naas-deletion-protection"
	// PolicyControllerScope keeps naas's own identity to the namespaces, ClusterRoles and ClusterRoleBindings it
	// manages: RBAC cannot limit its rights on these by label (their names are per tenant), so a bug in naas could
	// otherwise change any of them.
	PolicyControllerScope = "naas-controller-scope"
)

func exemptExpression(cfg Config) string {
	users := append([]string{"system:kube-controller-manager"}, cfg.Controllers...)
	// Platform admins and the cluster's own controllers (the namespace controller
	// empties terminating namespaces) are exempt; tenant users never are.
	return fmt.Sprintf("!(request.userInfo.username in [%s] || "+
		"request.userInfo.username.startsWith('system:serviceaccount:kube-system:') || "+
		"('system:masters' in request.userInfo.groups) || (%q in request.userInfo.groups))",
		quotedUsers(users), naasv1alpha1.PlatformAdminGroupName)
}

func vap(name string, constraints *admissionregistrationv1.MatchResources, matchConditions []admissionregistrationv1.MatchCondition, validations []admissionregistrationv1.Validation) *admissionregistrationv1.ValidatingAdmissionPolicy {
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: merge(managedLabels, nil)},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: constraints,
			MatchConditions:  matchConditions,
			Validations:      validations,
		},
	}
}

func binding(policy string) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: policy, Labels: merge(managedLabels, nil)},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
}

func rule(group string, ops []admissionregistrationv1.OperationType, resources ...string) admissionregistrationv1.NamedRuleWithOperations {
	return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
		Operations: ops,
		Rule: admissionregistrationv1.Rule{
			APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: resources,
			Scope: ptr.To(admissionregistrationv1.AllScopes),
		},
	}}
}

var allWrites = []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete}

const managedByNaas = `has(%[1]s.metadata.labels) && ('app.kubernetes.io/managed-by' in %[1]s.metadata.labels) && %[1]s.metadata.labels['app.kubernetes.io/managed-by'] == 'naas'`

// Policies returns the admission policies and their bindings.
func Policies(cfg Config) []runtime.Object {
	managedNamespaces := &metav1.LabelSelector{MatchLabels: map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}}
	exempt := []admissionregistrationv1.MatchCondition{{Name: "not-exempt", Expression: exemptExpression(cfg)}}

	protectObjects := vap(PolicyProtectManagedObjects, &admissionregistrationv1.MatchResources{
		NamespaceSelector: managedNamespaces,
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule("", allWrites, "resourcequotas", "limitranges"),
			rule("networking.k8s.io", allWrites, "networkpolicies"),
			rule("rbac.authorization.k8s.io", allWrites, "rolebindings", "roles"),
		},
	}, exempt, []admissionregistrationv1.Validation{
		{
			Expression: "request.operation == 'CREATE' || !(" + fmt.Sprintf(managedByNaas, "oldObject") + ")",
			MessageExpression: "request.resource.resource + ' ' + request.name + ' in namespace ' + request.namespace + " +
				"' is managed by naas and cannot be changed or deleted by tenant users: ask a platform admin to change the tier, template or tenant instead'",
			Reason: ptr.To(metav1.StatusReasonForbidden),
		},
		{
			Expression: "request.operation == 'DELETE' || !(" + fmt.Sprintf(managedByNaas, "object") + ")",
			MessageExpression: "'the label app.kubernetes.io/managed-by=naas is reserved for naas; remove it from ' + " +
				"request.resource.resource + ' ' + request.name",
			Reason: ptr.To(metav1.StatusReasonForbidden),
		},
	})

	naasLabel := "(k.startsWith('naas.dev/') || k.startsWith('pod-security.kubernetes.io/') || k == 'app.kubernetes.io/managed-by')"
	protectNamespaces := vap(PolicyProtectNamespaces, &admissionregistrationv1.MatchResources{
		ObjectSelector: managedNamespaces,
		ResourceRules:  []admissionregistrationv1.NamedRuleWithOperations{rule("", []admissionregistrationv1.OperationType{admissionregistrationv1.Update}, "namespaces")},
	}, exempt, []admissionregistrationv1.Validation{{
		Expression: "oldObject.metadata.labels.all(k, !" + naasLabel + " || (has(object.metadata.labels) && k in object.metadata.labels && object.metadata.labels[k] == oldObject.metadata.labels[k])) && " +
			"(!has(object.metadata.labels) || object.metadata.labels.all(k, !" + naasLabel + " || k in oldObject.metadata.labels))",
		Message: "the naas labels of a managed namespace (naas.dev/*, pod-security.kubernetes.io/*, app.kubernetes.io/managed-by) " +
			"cannot be changed: change the namespace's claim instead",
		Reason: ptr.To(metav1.StatusReasonForbidden),
	}})

	deletionProtection := vap(PolicyDeletionProtection, &admissionregistrationv1.MatchResources{
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule(naasv1alpha1.GroupVersion.Group, []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}, "namespaceclaims"),
			rule("", []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}, "namespaces"),
		},
	}, nil, []admissionregistrationv1.Validation{
		{
			Expression: "request.resource.resource != 'namespaceclaims' || !has(oldObject.spec.deletionProtection) || !oldObject.spec.deletionProtection || " +
				orphanedByNaas(cfg),
			MessageExpression: "'namespace claim ' + request.name + ' has deletion protection on: set spec.deletionProtection to false first'",
			Reason:            ptr.To(metav1.StatusReasonForbidden),
		},
		{
			Expression: "request.resource.resource != 'namespaces' || !has(oldObject.metadata.labels) || !('" + LabelDeletionProtection + "' in oldObject.metadata.labels) || " +
				"oldObject.metadata.labels['" + LabelDeletionProtection + "'] != 'true'",
			MessageExpression: "'namespace ' + request.name + ' has deletion protection on: set spec.deletionProtection to false on its NamespaceClaim, then delete the claim'",
			Reason:            ptr.To(metav1.StatusReasonForbidden),
		},
	})

	objs := []runtime.Object{
		protectObjects, binding(PolicyProtectManagedObjects),
		protectNamespaces, binding(PolicyProtectNamespaces),
		deletionProtection, binding(PolicyDeletionProtection),
	}
	// Only an identity of naas's own, a ServiceAccount as the chart makes, is scoped: where naas runs as a person's
	// identity (naas up, whose cluster-admin kubeconfig is also the user's), the policy would hold the person to
	// naas's labels too.
	if slices.ContainsFunc(cfg.Controllers, func(u string) bool { return strings.HasPrefix(u, "system:serviceaccount:") }) {
		objs = append(objs, controllerScope(cfg), binding(PolicyControllerScope))
	}
	return objs
}

// orphanedByNaas is the one exemption from a claim's deletion protection: naas itself deleting a claim it marked
// orphaned (naasv1alpha1.AnnotationOrphan) while removing its cluster with --orphan, which leaves the namespace on
// the member. Both must hold: the annotation alone, which a claim's tenant may set, exempts no one else, platform
// admins included; and naas deletes no other protected claim.
func orphanedByNaas(cfg Config) string {
	if len(cfg.Controllers) == 0 {
		return "false"
	}
	return fmt.Sprintf("(request.userInfo.username in [%[1]s] && has(oldObject.metadata.annotations) && (%[2]q in oldObject.metadata.annotations) && "+
		"oldObject.metadata.annotations[%[2]q] == 'true')", quotedUsers(cfg.Controllers), naasv1alpha1.AnnotationOrphan)
}

// quotedUsers is a CEL list's items: the user names, quoted and sorted.
func quotedUsers(users []string) string {
	quoted := make([]string, 0, len(users))
	for _, u := range users {
		quoted = append(quoted, fmt.Sprintf("%q", u))
	}
	sort.Strings(quoted)
	return strings.Join(quoted, ", ")
}

// controllerScope is PolicyControllerScope: naas's identity updates and deletes only namespaces, ClusterRoles,
// ClusterRoleBindings, priority levels and flow schemas labelled app.kubernetes.io/managed-by=naas, and creates only
// such roles, bindings, levels and schemas so labelled (it never adopts a namespace, and creates its system namespace without changing
// it afterwards). Admission policies do not apply to admission policies: naas's rights on those stay wide.
func controllerScope(cfg Config) *admissionregistrationv1.ValidatingAdmissionPolicy {
	update, del := admissionregistrationv1.Update, admissionregistrationv1.Delete
	return vap(PolicyControllerScope, &admissionregistrationv1.MatchResources{
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule("", []admissionregistrationv1.OperationType{update, del}, "namespaces"),
			rule("rbac.authorization.k8s.io", allWrites, "clusterroles", "clusterrolebindings"),
			rule("flowcontrol.apiserver.k8s.io", allWrites, "prioritylevelconfigurations", "flowschemas"),
		},
	}, []admissionregistrationv1.MatchCondition{{
		Name: "naas-itself", Expression: fmt.Sprintf("request.userInfo.username in [%s]", quotedUsers(cfg.Controllers)),
	}}, []admissionregistrationv1.Validation{{
		Expression: "request.operation == 'CREATE' ? (" + fmt.Sprintf(managedByNaas, "object") + ") : (" + fmt.Sprintf(managedByNaas, "oldObject") + ")",
		MessageExpression: "'naas writes only what it manages (labelled app.kubernetes.io/managed-by=naas); ' + request.resource.resource + ' ' + " +
			"request.name + ' is not'",
		Reason: ptr.To(metav1.StatusReasonForbidden),
	}})
}
