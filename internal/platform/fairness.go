package platform

import (
	"sort"
	"strings"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// API Priority and Fairness (flowcontrol.apiserver.k8s.io/v1): naas gives each tier a priority level, puts every
// tenant's users, groups and service accounts in the level of the tier of the namespace a request is for, one flow
// per namespace, and its own identity in a level of its own. A tenant that floods the API server then waits in
// its own queues, and other tenants' requests, in their own flows (or levels), keep their latency.
//
// Precedence, lowest first (Kubernetes' built-in schemas in brackets): [exempt 1, probes 2, leader election
// 100-200, nodes 400-500, kube-controller-manager and kube-scheduler 800, kube-system service accounts 900],
// naas's own identity 950, tenants in their namespaces 5000, tenants elsewhere 5100, [service-accounts 9000,
// global-default 9900, catch-all 10000]. So the cluster's own components keep their levels, and a tenant's
// requests never reach workload-low or global-default, where they would compete with everyone else's.
const (
	// LevelSystem is the priority level (and FlowSchema) of naas's own identity.
	LevelSystem = "naas-system"
	// LevelTenants is the level of tenants' requests outside their namespaces (cluster-scoped reads such as
	// the catalog and their claims, other namespaces, non-resource URLs), one flow per user.
	LevelTenants = "naas-tenants"
	// tierLevelPrefix + tier name is the level of a tier.
	tierLevelPrefix = "naas-tier-"
	// tenantSchemaPrefix + tenant is a tenant's FlowSchema for requests outside its namespaces;
	// tenantSchemaPrefix + tenant + "." + tier its FlowSchema for its namespaces of that tier.
	tenantSchemaPrefix = "naas-tenant."

	// PrecedenceSystem comes after kube-system's service accounts (900) and before everything of tenants.
	PrecedenceSystem = 950
	// PrecedenceTenantNamespaces is the precedence of the per-tier FlowSchemas of tenants.
	PrecedenceTenantNamespaces = 5000
	// PrecedenceTenantElsewhere is the precedence of tenants' catch-all FlowSchemas.
	PrecedenceTenantElsewhere = 5100

	// Nominal concurrency shares. Kubernetes' built-in limited levels have 245 together (system 30,
	// leader-election 10, node-high 40, workload-high 40, workload-low 100, global-default 20, catch-all 5); with
	// three tiers naas adds 31, so the built-in levels keep about 90% of the seats. A tier's level gets
	// serverSeats*2/276 seats, rounded up: 5 of kube-apiserver's default 600, 1 of the 130 that the local
	// control plane gives a 2-core machine (localcp.ServerConcurrency, 65 per CPU): about one per two CPUs.
	// Priority and fairness shares seats, not CPU: a level that may hold more CPU-bound requests at once than
	// the server has spare CPUs slows every other level down (docs/benchmarks.md, figure 7).
	sharesSystem  = 20
	sharesTenants = 5
	sharesTier    = 2
)

// Queuing of naas's levels. Fair queuing shares a level's seats between its queues, not its flows: a flow
// that keeps many requests waiting spreads them over its whole hand of queues and gets that many shares, so a
// hand of 6 (Kubernetes' default) gave a flooding namespace 6 of every 7 seat-times against one quiet
// neighbour, and the neighbour's request waited for several of the flood's lists. A hand of 2 gives the flood
// 2 shares and the neighbour its next turn after at most two of them; the neighbour shares both its queues with
// a flood only if both are taken, (2k/128)^2 with k flooding flows (about 0.1% with one, 1% with three). A
// flow's requests beyond 2*50 waiting are rejected with 429.
const (
	queues           = 128
	handSize         = 2
	queueLengthLimit = 50
)

// LabelFairnessFor is set on naas's per-tenant FlowSchemas and per-tier levels: "tenant.<name>" or "tier.<name>".
const LabelFairnessFor = "naas.dev/fairness-for"

// TierLevelName is the name of the PriorityLevelConfiguration of a tier.
func TierLevelName(tier string) string { return tierLevelPrefix + tier }

// TenantSchemaName is the name of tenant's FlowSchema for its namespaces of tier, or, with tier "", for its
// requests elsewhere. Tenant and tier names are DNS labels (no dots), so the names never collide.
func TenantSchemaName(tenant, tier string) string {
	if tier == "" {
		return tenantSchemaPrefix + tenant
	}
	return tenantSchemaPrefix + tenant + "." + tier
}

// FairnessObjects are the levels and FlowSchemas naas installs once per cluster: its own level and FlowSchema
// (matching cfg.Controllers) and the level of tenants' requests outside their namespaces. The tiers' levels
// and the tenants' FlowSchemas are kept per Tier and per Tenant (package controller/fairness).
func FairnessObjects(cfg Config) []runtime.Object {
	objs := []runtime.Object{SystemLevel(), TenantsLevel()}
	if len(cfg.Controllers) > 0 {
		objs = append(objs, SystemFlowSchema(cfg))
	}
	return objs
}

// SystemLevel is the level of naas's own identity. naas's requests come in bursts (a restart, a template
// change), and must not wait behind a tenant's: it may borrow what other levels lend.
func SystemLevel() *flowcontrolv1.PriorityLevelConfiguration {
	return level(LevelSystem, sharesSystem, 50, nil, nil)
}

// TenantsLevel is LevelTenants. Like a tier's level it neither lends nor borrows (see TierLevel).
func TenantsLevel() *flowcontrolv1.PriorityLevelConfiguration {
	return level(LevelTenants, sharesTenants, 0, ptr.To[int32](0), nil)
}

// TierLevel is the level of tier t's namespaces. It neither lends nor borrows: its seats are a hard cap on how
// many of the tier's requests kube-apiserver serves at once, even when the server is otherwise idle. A level
// that borrows lets a flood of lists take idle seats, and with them the CPU the other levels' requests need
// (a seat is not a CPU); a level that lends gets its seats back only as the borrowers' requests end. Within
// the level, each namespace is a flow: a flooding namespace waits in its own queues, and another namespace's
// request gets one of the next free seats (see handSize).
func TierLevel(t *naasv1alpha1.Tier) *flowcontrolv1.PriorityLevelConfiguration {
	l := level(TierLevelName(t.Name), sharesTier, 0, ptr.To[int32](0), map[string]string{LabelFairnessFor: "tier." + t.Name})
	l.OwnerReferences = []metav1.OwnerReference{ownerRef(t, "Tier")}
	return l
}

func level(name string, shares, lendable int32, borrowing *int32, labels map[string]string) *flowcontrolv1.PriorityLevelConfiguration {
	return &flowcontrolv1.PriorityLevelConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: flowcontrolv1.SchemeGroupVersion.String(), Kind: "PriorityLevelConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: merge(managedLabels, labels)},
		Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
			Type: flowcontrolv1.PriorityLevelEnablementLimited,
			Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				NominalConcurrencyShares: ptr.To(shares),
				LendablePercent:          ptr.To(lendable),
				BorrowingLimitPercent:    borrowing,
				LimitResponse: flowcontrolv1.LimitResponse{
					Type:    flowcontrolv1.LimitResponseTypeQueue,
					Queuing: &flowcontrolv1.QueuingConfiguration{Queues: queues, HandSize: handSize, QueueLengthLimit: queueLengthLimit},
				},
			},
		},
	}
}

// SystemFlowSchema puts naas's own identity (cfg.Controllers) in LevelSystem.
func SystemFlowSchema(cfg Config) *flowcontrolv1.FlowSchema {
	var subjects []flowcontrolv1.Subject
	users := append([]string(nil), cfg.Controllers...)
	sort.Strings(users)
	for _, u := range users {
		if ns, name, ok := serviceAccountUser(u); ok {
			subjects = append(subjects, serviceAccountSubject(ns, name))
		} else {
			subjects = append(subjects, userSubject(u))
		}
	}
	return flowSchema(LevelSystem, LevelSystem, PrecedenceSystem, flowcontrolv1.FlowDistinguisherMethodByUserType, subjects, everywhere(), nil)
}

// serviceAccountUser splits "system:serviceaccount:<namespace>:<name>".
func serviceAccountUser(user string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != ""
}

// TenantFlowSchemas are tenant t's FlowSchemas, given its namespaces by tier: one per tier, matching the
// tenant's members and the service accounts of its namespaces of that tier, in those namespaces, one flow per
// namespace; and one more that puts the same members' requests anywhere else in LevelTenants, one flow per user.
//
// The subjects are the tenant's owners as the API server authenticates them. Owners that are system identities
// (users or groups named "system:...", such as system:authenticated) are left out: a FlowSchema matching them would
// move every user's requests into this tenant's queues, so that a flood by anyone would hit the tenant.
func TenantFlowSchemas(t *naasv1alpha1.Tenant, namespacesByTier map[string][]string) []*flowcontrolv1.FlowSchema {
	members := tenantMembers(t)
	labels := map[string]string{LabelFairnessFor: "tenant." + t.Name, naasv1alpha1.LabelTenant: t.Name}
	tiers := make([]string, 0, len(namespacesByTier))
	for tier, nss := range namespacesByTier {
		if len(nss) > 0 {
			tiers = append(tiers, tier)
		}
	}
	sort.Strings(tiers)

	var out []*flowcontrolv1.FlowSchema
	var allAccounts []flowcontrolv1.Subject
	for _, tier := range tiers {
		nss := append([]string(nil), namespacesByTier[tier]...)
		sort.Strings(nss)
		nss = compactStrings(nss)
		accounts := make([]flowcontrolv1.Subject, 0, len(nss))
		for _, ns := range nss {
			accounts = append(accounts, serviceAccountSubject(ns, "*"))
		}
		allAccounts = append(allAccounts, accounts...)
		rules := []flowcontrolv1.PolicyRulesWithSubjects{{
			Subjects: append(append([]flowcontrolv1.Subject(nil), members...), accounts...),
			ResourceRules: []flowcontrolv1.ResourcePolicyRule{{
				Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, Namespaces: nss,
			}},
		}}
		out = append(out, flowSchema(TenantSchemaName(t.Name, tier), TierLevelName(tier), PrecedenceTenantNamespaces,
			flowcontrolv1.FlowDistinguisherMethodByNamespaceType, nil, rules, labels))
	}
	subjects := append(append([]flowcontrolv1.Subject(nil), members...), allAccounts...)
	if len(subjects) > 0 {
		out = append(out, flowSchema(TenantSchemaName(t.Name, ""), LevelTenants, PrecedenceTenantElsewhere,
			flowcontrolv1.FlowDistinguisherMethodByUserType, subjects, everywhere(), labels))
	}
	for _, fs := range out {
		fs.OwnerReferences = []metav1.OwnerReference{ownerRef(t, "Tenant")}
	}
	return out
}

// tenantMembers are t's owners as FlowSchema subjects, without system identities, in a stable order.
func tenantMembers(t *naasv1alpha1.Tenant) []flowcontrolv1.Subject {
	seen := map[string]bool{}
	var keys []string
	subjects := map[string]flowcontrolv1.Subject{}
	for _, o := range t.Spec.Owners {
		var s flowcontrolv1.Subject
		switch o.Kind {
		case naasv1alpha1.SubjectUser:
			if strings.HasPrefix(o.Name, "system:") {
				continue
			}
			s = userSubject(o.Name)
		case naasv1alpha1.SubjectGroup:
			if strings.HasPrefix(o.Name, "system:") {
				continue
			}
			s = groupSubject(o.Name)
		case naasv1alpha1.SubjectServiceAccount:
			if o.Namespace == "" {
				continue
			}
			s = serviceAccountSubject(o.Namespace, o.Name)
		default:
			continue
		}
		key := string(o.Kind) + "/" + o.Namespace + "/" + o.Name
		if seen[key] {
			continue
		}
		seen[key] = true
		keys = append(keys, key)
		subjects[key] = s
	}
	sort.Strings(keys)
	out := make([]flowcontrolv1.Subject, 0, len(keys))
	for _, k := range keys {
		out = append(out, subjects[k])
	}
	return out
}

// everywhere matches every request of its subjects: any resource, namespaced or not, and any non-resource URL.
func everywhere() []flowcontrolv1.PolicyRulesWithSubjects {
	return []flowcontrolv1.PolicyRulesWithSubjects{{
		ResourceRules: []flowcontrolv1.ResourcePolicyRule{{
			Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, ClusterScope: true, Namespaces: []string{"*"},
		}},
		NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}},
	}}
}

// flowSchema builds a FlowSchema; subjects, when given, are set on every rule.
func flowSchema(name, level string, precedence int32, by flowcontrolv1.FlowDistinguisherMethodType, subjects []flowcontrolv1.Subject,
	rules []flowcontrolv1.PolicyRulesWithSubjects, labels map[string]string) *flowcontrolv1.FlowSchema {
	if subjects != nil {
		for i := range rules {
			rules[i].Subjects = subjects
		}
	}
	return &flowcontrolv1.FlowSchema{
		TypeMeta:   metav1.TypeMeta{APIVersion: flowcontrolv1.SchemeGroupVersion.String(), Kind: "FlowSchema"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: merge(managedLabels, labels)},
		Spec: flowcontrolv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: level},
			MatchingPrecedence:         precedence,
			DistinguisherMethod:        &flowcontrolv1.FlowDistinguisherMethod{Type: by},
			Rules:                      rules,
		},
	}
}

func userSubject(name string) flowcontrolv1.Subject {
	return flowcontrolv1.Subject{Kind: flowcontrolv1.SubjectKindUser, User: &flowcontrolv1.UserSubject{Name: name}}
}

func groupSubject(name string) flowcontrolv1.Subject {
	return flowcontrolv1.Subject{Kind: flowcontrolv1.SubjectKindGroup, Group: &flowcontrolv1.GroupSubject{Name: name}}
}

func serviceAccountSubject(namespace, name string) flowcontrolv1.Subject {
	return flowcontrolv1.Subject{Kind: flowcontrolv1.SubjectKindServiceAccount,
		ServiceAccount: &flowcontrolv1.ServiceAccountSubject{Namespace: namespace, Name: name}}
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
