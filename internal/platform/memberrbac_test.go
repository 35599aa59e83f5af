package platform

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKubeconfigReaderRules_NamesEachSecretAndNeverAll(t *testing.T) {
	if rules := KubeconfigReaderRules(nil); rules != nil {
		t.Errorf("no Secrets: %v, want no rule (a rule without names would grant every Secret)", rules)
	}
	rules := KubeconfigReaderRules([]string{"b-kubeconfig", "a-kubeconfig", "b-kubeconfig"})
	if len(rules) != 1 {
		t.Fatalf("rules = %v", rules)
	}
	if diff := cmp.Diff([]string{"a-kubeconfig", "b-kubeconfig"}, rules[0].ResourceNames); diff != "" {
		t.Errorf("resourceNames (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"get", "list", "watch"}, rules[0].Verbs); diff != "" {
		t.Errorf("verbs (-want +got):\n%s", diff)
	}
}

func TestMemberRules_NoWildcardNoImpersonationOnlyNaasWebhookConfiguration(t *testing.T) {
	for _, r := range MemberRules() {
		for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs} {
			if slices.Contains(list, "*") {
				t.Errorf("rule %v has a wildcard", r)
			}
		}
		if slices.Contains(r.Verbs, "impersonate") {
			t.Errorf("rule %v impersonates: the REST API runs on the management cluster only", r)
		}
		for _, res := range r.Resources {
			if res == "secrets" || res == "mutatingwebhookconfigurations" || res == "namespaceclaims" {
				t.Errorf("rule %v grants %s, which naas has no use for on a member", r, res)
			}
			// The tenant quota's webhook configuration: changed only by name.
			if res == "validatingwebhookconfigurations" && slices.ContainsFunc(r.Verbs, func(v string) bool { return v == "update" || v == "patch" || v == "delete" }) &&
				!slices.Equal(r.ResourceNames, []string{WebhookConfigurationName}) {
				t.Errorf("rule %v changes webhook configurations other than naas's", r)
			}
		}
	}
}
