package platform

import (
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// PolicyTierPullAlways is the MutatingAdmissionPolicy that sets imagePullPolicy Always on the containers of the
// pods and pod templates in the namespaces of tiers that ask for it (spec.workloadPolicy.imagePullPolicyAlways),
// as kube-apiserver's AlwaysPullImages plugin does cluster-wide. It takes the Tier as parameter and is bound once
// per tier (TierMutatingBinding). Where the API server does not serve MutatingAdmissionPolicy, naas's mutating
// webhook (package webhook/pullpolicy) does the same. Either way naas-tier-workloads still refuses Never.
const PolicyTierPullAlways = "naas-tier-pull-always"

// pullAlwaysMutationRules are what PolicyTierPullAlways mutates: pods as they are created (a pod's containers
// cannot change afterwards), the ephemeral containers added to a running pod, and the pod templates of the
// workload kinds, so that a Deployment is stored as it will run.
func pullAlwaysMutationRules() []admissionregistrationv1.NamedRuleWithOperations {
	rules := []admissionregistrationv1.NamedRuleWithOperations{
		rule("", []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, "pods"),
		rule("", []admissionregistrationv1.OperationType{admissionregistrationv1.Update}, "pods/ephemeralcontainers"),
	}
	for _, w := range workloadResources {
		rules = append(rules, rule(w.group, createUpdate, w.resource))
	}
	return rules
}

// pullAlwaysPatch is the JSON patch of one list of containers: "add" (which replaces a member that is there)
// imagePullPolicy Always on each container whose policy is unset or IfNotPresent. Never is left for
// naas-tier-workloads to refuse with a message that says why. %[1]s is the list's name in the pod spec, %[2]s an
// extra condition on a container c.
const pullAlwaysPatch = `(!has(variables.podSpec.%[1]s) ? [] : variables.podSpec.%[1]s.transformList(i, c, ` +
	`(!has(c.imagePullPolicy) || c.imagePullPolicy == 'IfNotPresent')%[2]s, ` +
	`JSONPatch{op: 'add', path: variables.specPath + '/%[1]s/' + string(i) + '/imagePullPolicy', value: 'Always'}))`

// TierPullAlwaysPolicy returns PolicyTierPullAlways.
func TierPullAlwaysPolicy() *admissionregistrationv1.MutatingAdmissionPolicy {
	// Adding ephemeral containers to a running pod may not change those it has: only new ones are patched.
	newEphemeral := " && !(variables.ephemeral && has(oldObject.spec.ephemeralContainers) && " +
		"oldObject.spec.ephemeralContainers.exists(o, o.name == c.name))"
	expression := "(variables.ephemeral ? [] : " + fmt.Sprintf(pullAlwaysPatch, "containers", "") + " + " +
		fmt.Sprintf(pullAlwaysPatch, "initContainers", "") + ") + " + fmt.Sprintf(pullAlwaysPatch, "ephemeralContainers", newEphemeral)
	return &admissionregistrationv1.MutatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: PolicyTierPullAlways, Labels: merge(managedLabels, nil)},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			ParamKind: &admissionregistrationv1.ParamKind{APIVersion: naasv1alpha1.GroupVersion.String(), Kind: "Tier"},
			MatchConstraints: &admissionregistrationv1.MatchResources{
				NamespaceSelector: managedNamespaceSelector(nil),
				ResourceRules:     pullAlwaysMutationRules(),
			},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name: "tier-pulls-always",
				Expression: "!has(params.spec.workloadPolicy) || !has(params.spec.workloadPolicy.imagePullPolicyAlways) || " +
					"params.spec.workloadPolicy.imagePullPolicyAlways",
			}},
			Variables: []admissionregistrationv1.Variable{
				{Name: "podSpec", Expression: podSpecExpression},
				// request.subResource is absent, not empty, on requests on the object itself.
				{Name: "ephemeral", Expression: "has(request.subResource) && request.subResource == 'ephemeralcontainers'"},
				{Name: "specPath", Expression: "request.resource.resource == 'pods' ? '/spec' : " +
					"request.resource.resource == 'cronjobs' ? '/spec/jobTemplate/spec/template/spec' : '/spec/template/spec'"},
			},
			Mutations: []admissionregistrationv1.Mutation{{
				PatchType: admissionregistrationv1.PatchTypeJSONPatch,
				JSONPatch: &admissionregistrationv1.JSONPatch{Expression: expression},
			}},
			// A pod is refused rather than admitted unchanged when the policy cannot run: naas-tier-workloads
			// would refuse it anyway, with a less helpful message.
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			// Containers another admission step adds (a mesh's sidecar) are patched too.
			ReinvocationPolicy: admissionregistrationv1.IfNeededReinvocationPolicy,
		},
	}
}

// TierMutatingBinding binds PolicyTierPullAlways to the namespaces of tier t, with t as parameter. It has the
// name of the tier's validating binding (TierBindingName): the two kinds do not share names.
func TierMutatingBinding(t *naasv1alpha1.Tier) *admissionregistrationv1.MutatingAdmissionPolicyBinding {
	return &admissionregistrationv1.MutatingAdmissionPolicyBinding{
		TypeMeta: metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            TierBindingName(t.Name),
			Labels:          merge(managedLabels, map[string]string{LabelPolicyFor: "tier." + t.Name}),
			OwnerReferences: []metav1.OwnerReference{ownerRef(t, "Tier")},
		},
		Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
			PolicyName: PolicyTierPullAlways,
			ParamRef: &admissionregistrationv1.ParamRef{
				Name:                    t.Name,
				ParameterNotFoundAction: ptr.To(admissionregistrationv1.DenyAction),
			},
			MatchResources: &admissionregistrationv1.MatchResources{
				NamespaceSelector: managedNamespaceSelector(map[string]string{naasv1alpha1.LabelTier: t.Name}),
			},
		},
	}
}
