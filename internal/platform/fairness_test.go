package platform

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// schemaSummary is what a test checks of a FlowSchema: where it sends whom, and for which namespaces.
type schemaSummary struct {
	Name, Level string
	Precedence  int32
	By          flowcontrolv1.FlowDistinguisherMethodType
	Subjects    []string
	Namespaces  []string
	ClusterWide bool
}

func summarise(fs *flowcontrolv1.FlowSchema) schemaSummary {
	s := schemaSummary{Name: fs.Name, Level: fs.Spec.PriorityLevelConfiguration.Name, Precedence: fs.Spec.MatchingPrecedence,
		By: fs.Spec.DistinguisherMethod.Type}
	for _, r := range fs.Spec.Rules {
		for _, sub := range r.Subjects {
			switch sub.Kind {
			case flowcontrolv1.SubjectKindUser:
				s.Subjects = append(s.Subjects, "user:"+sub.User.Name)
			case flowcontrolv1.SubjectKindGroup:
				s.Subjects = append(s.Subjects, "group:"+sub.Group.Name)
			case flowcontrolv1.SubjectKindServiceAccount:
				s.Subjects = append(s.Subjects, "sa:"+sub.ServiceAccount.Namespace+"/"+sub.ServiceAccount.Name)
			}
		}
		for _, rr := range r.ResourceRules {
			s.Namespaces = append(s.Namespaces, rr.Namespaces...)
			s.ClusterWide = s.ClusterWide || rr.ClusterScope || len(r.NonResourceRules) > 0
		}
	}
	return s
}

func TestTenantFlowSchemas(t *testing.T) {
	tenant := func(owners ...naasv1alpha1.Owner) *naasv1alpha1.Tenant {
		return &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "pay", UID: "u1"}, Spec: naasv1alpha1.TenantSpec{Owners: owners}}
	}
	user := func(n string) naasv1alpha1.Owner {
		return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectUser, Name: n, Role: naasv1alpha1.RoleAdmin}
	}
	group := func(n string) naasv1alpha1.Owner {
		return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectGroup, Name: n, Role: naasv1alpha1.RoleViewer}
	}
	sa := func(ns, n string) naasv1alpha1.Owner {
		return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectServiceAccount, Namespace: ns, Name: n, Role: naasv1alpha1.RoleDeveloper}
	}
	for _, tc := range []struct {
		name   string
		tenant *naasv1alpha1.Tenant
		byTier map[string][]string
		want   []schemaSummary
	}{{
		name:   "no members and no namespaces: nothing to match",
		tenant: tenant(),
	}, {
		name:   "members only: their requests anywhere go to the tenants' level, one flow per user",
		tenant: tenant(user("alice"), group("team-pay")),
		want: []schemaSummary{{Name: "naas-tenant.pay", Level: LevelTenants, Precedence: PrecedenceTenantElsewhere,
			By: flowcontrolv1.FlowDistinguisherMethodByUserType, Subjects: []string{"group:team-pay", "user:alice"},
			Namespaces: []string{"*"}, ClusterWide: true}},
	}, {
		name:   "one schema per tier in the tier's level, one flow per namespace, with the namespaces' service accounts",
		tenant: tenant(user("alice"), sa("ci", "deployer")),
		byTier: map[string][]string{"prod": {"pay-b", "pay-a", "pay-a"}, "dev": {"pay-dev"}, "empty": nil},
		want: []schemaSummary{
			{Name: "naas-tenant.pay.dev", Level: "naas-tier-dev", Precedence: PrecedenceTenantNamespaces,
				By: flowcontrolv1.FlowDistinguisherMethodByNamespaceType, Subjects: []string{"sa:ci/deployer", "user:alice", "sa:pay-dev/*"},
				Namespaces: []string{"pay-dev"}},
			{Name: "naas-tenant.pay.prod", Level: "naas-tier-prod", Precedence: PrecedenceTenantNamespaces,
				By: flowcontrolv1.FlowDistinguisherMethodByNamespaceType, Subjects: []string{"sa:ci/deployer", "user:alice", "sa:pay-a/*", "sa:pay-b/*"},
				Namespaces: []string{"pay-a", "pay-b"}},
			{Name: "naas-tenant.pay", Level: LevelTenants, Precedence: PrecedenceTenantElsewhere,
				By: flowcontrolv1.FlowDistinguisherMethodByUserType, Subjects: []string{"sa:ci/deployer", "user:alice", "sa:pay-dev/*", "sa:pay-a/*", "sa:pay-b/*"},
				Namespaces: []string{"*"}, ClusterWide: true},
		},
	}, {
		name: "system identities are never a tenant's: everyone's requests would land in its queues",
		tenant: tenant(group("system:authenticated"), group("system:serviceaccounts"), user("system:anonymous"),
			user("alice"), user("alice"), sa("", "no-namespace")),
		want: []schemaSummary{{Name: "naas-tenant.pay", Level: LevelTenants, Precedence: PrecedenceTenantElsewhere,
			By: flowcontrolv1.FlowDistinguisherMethodByUserType, Subjects: []string{"user:alice"},
			Namespaces: []string{"*"}, ClusterWide: true}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var got []schemaSummary
			for _, fs := range TenantFlowSchemas(tc.tenant, tc.byTier) {
				got = append(got, summarise(fs))
				if fs.Labels[LabelFairnessFor] != "tenant.pay" || fs.Labels[naasv1alpha1.LabelManagedBy] != naasv1alpha1.ManagedByValue {
					t.Errorf("%s: labels %v", fs.Name, fs.Labels)
				}
				if len(fs.OwnerReferences) != 1 || fs.OwnerReferences[0].UID != "u1" {
					t.Errorf("%s: owner references %v, want the tenant", fs.Name, fs.OwnerReferences)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("FlowSchemas (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSystemFlowSchema_MatchesNaasIdentityAsServiceAccountOrUser(t *testing.T) {
	got := summarise(SystemFlowSchema(Config{Controllers: []string{"system:serviceaccount:naas-system:naas", "naas-admin"}}))
	want := schemaSummary{Name: LevelSystem, Level: LevelSystem, Precedence: PrecedenceSystem, By: flowcontrolv1.FlowDistinguisherMethodByUserType,
		Subjects: []string{"user:naas-admin", "sa:naas-system/naas"}, Namespaces: []string{"*"}, ClusterWide: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("naas's FlowSchema (-want +got):\n%s", diff)
	}
}

// Kubernetes' built-in FlowSchemas (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap) that must keep matching
// before naas's, and those that must come after.
var (
	builtinBefore = map[string]int32{"exempt": 1, "probes": 2, "system-leader-election": 100, "endpoint-controller": 150,
		"workload-leader-election": 200, "system-node-high": 400, "system-nodes": 500, "kube-controller-manager": 800,
		"kube-scheduler": 800, "kube-system-service-accounts": 900}
	builtinAfter = map[string]int32{"service-accounts": 9000, "global-default": 9900, "catch-all": 10000}
	// builtinShares are the nominal concurrency shares of the built-in limited levels.
	builtinShares = int32(30 + 10 + 40 + 40 + 100 + 20 + 5)
)

func TestFairness_PrecedenceKeepsTheClusterFirstAndCatchesTenantsBeforeTheDefaults(t *testing.T) {
	for _, p := range []int32{PrecedenceSystem, PrecedenceTenantNamespaces, PrecedenceTenantElsewhere} {
		for name, b := range builtinBefore {
			if p <= b {
				t.Errorf("naas precedence %d would match before the built-in %s (%d)", p, name, b)
			}
		}
		for name, b := range builtinAfter {
			if p >= b {
				t.Errorf("naas precedence %d would match after the built-in %s (%d)", p, name, b)
			}
		}
	}
	if PrecedenceSystem >= PrecedenceTenantNamespaces || PrecedenceTenantNamespaces >= PrecedenceTenantElsewhere {
		t.Error("naas's identity must match before tenants, and tenants in their namespaces before elsewhere")
	}
}

func TestFairness_SharesLeaveTheBuiltinLevelsMostOfTheServer(t *testing.T) {
	tier := TierLevel(&naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "dev"}})
	naas := *SystemLevel().Spec.Limited.NominalConcurrencyShares + *TenantsLevel().Spec.Limited.NominalConcurrencyShares +
		3*(*tier.Spec.Limited.NominalConcurrencyShares)
	if kept := float64(builtinShares) / float64(builtinShares+naas); kept < 0.75 {
		t.Errorf("with three tiers the built-in levels keep %.0f%% of the seats, want at least 75%%", 100*kept)
	}
	for _, l := range []*flowcontrolv1.PriorityLevelConfiguration{SystemLevel(), TenantsLevel(), tier} {
		if l.Spec.Type != flowcontrolv1.PriorityLevelEnablementLimited || l.Spec.Limited.LimitResponse.Type != flowcontrolv1.LimitResponseTypeQueue {
			t.Errorf("%s must be a limited level that queues", l.Name)
		}
	}
	// A tier's level and tenants' requests elsewhere are hard caps: a flood must not take idle seats, and with
	// them CPU, from other levels, nor lend seats it gets back only as the borrowers' requests end.
	for _, l := range []*flowcontrolv1.PriorityLevelConfiguration{TenantsLevel(), tier} {
		lim := l.Spec.Limited
		if b := lim.BorrowingLimitPercent; b == nil || *b != 0 {
			t.Errorf("%s must not borrow, has borrowing limit %v", l.Name, b)
		}
		if lp := lim.LendablePercent; lp == nil || *lp != 0 {
			t.Errorf("%s must not lend, has lendable percent %v", l.Name, lp)
		}
		// A flooding flow gets as many fair-queuing shares as its hand has queues.
		if h := lim.LimitResponse.Queuing.HandSize; h > 2 {
			t.Errorf("%s has a hand of %d queues: a flooding namespace would get %d shares of its seats against a quiet one's 1", l.Name, h, h)
		}
	}
}
