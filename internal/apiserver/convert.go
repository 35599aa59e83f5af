package apiserver

import (
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
)

// The functions below convert naas's objects to the API's bodies (package restv1) and back.

// namespaceOf converts a claim to its API form.
func namespaceOf(c *naasv1alpha1.NamespaceClaim) restv1.Namespace {
	n := restv1.Namespace{
		Name:               c.Name,
		Tenant:             c.Spec.Tenant,
		Template:           c.Spec.Template,
		Tier:               c.Status.Tier,
		RequestedTier:      c.Spec.Tier,
		Parameters:         c.Spec.Parameters,
		Cluster:            c.Status.Cluster,
		RequestedCluster:   c.Spec.Cluster,
		Phase:              c.Status.Phase,
		Ready:              meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady),
		Conditions:         []restv1.Condition{},
		DeletionProtection: c.Spec.DeletionProtection,
		CreatedAt:          c.CreationTimestamp.UTC(),
	}
	if n.Tier == "" {
		n.Tier = c.Spec.Tier
	}
	if n.Phase == "" {
		n.Phase = naasv1alpha1.PhasePending
	}
	if c.DeletionTimestamp != nil {
		n.Phase = naasv1alpha1.PhaseTerminating
		n.DeletionRequestedAt = utcPtr(c.DeletionTimestamp)
	}
	if r := c.Spec.Requester; r != nil {
		n.Requester = &restv1.Requester{Username: r.Username, Groups: r.Groups}
	}
	for _, cond := range c.Status.Conditions {
		n.Conditions = append(n.Conditions, restv1.Condition{
			Type: cond.Type, Status: string(cond.Status), Reason: cond.Reason, Message: cond.Message,
			LastTransitionTime: cond.LastTransitionTime.UTC(),
		})
	}
	if a := c.Status.Approval; a != nil {
		n.Approval = &restv1.Approval{State: string(a.State), By: a.By, At: utcPtr(a.At), Reason: a.Reason}
	}
	return n
}

func utcPtr(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// templateOf converts a catalog entry to its API form.
func templateOf(t *naasv1alpha1.NamespaceTemplate) restv1.Template {
	out := restv1.Template{
		ID:               t.Name,
		DisplayName:      t.Spec.DisplayName,
		Description:      t.Spec.Description,
		Documentation:    t.Spec.Documentation,
		DefaultTier:      t.Spec.DefaultTier,
		RequiresApproval: t.Spec.RequiresApproval,
		Parameters:       []restv1.Parameter{},
		Features: restv1.Features{
			NetworkProfile:   string(t.Spec.Features.NetworkProfile),
			AllowHTTPSEgress: t.Spec.Features.AllowHTTPSEgress,
			Mesh:             t.Spec.Features.Mesh,
			Monitoring:       t.Spec.Features.Monitoring,
			Gateway:          t.Spec.Features.Gateway,
		},
		QuotaAdditions: quantities(t.Spec.QuotaAdditions),
	}
	if out.Features.NetworkProfile == "" {
		out.Features.NetworkProfile = string(naasv1alpha1.NetworkStandard)
	}
	for _, p := range t.Spec.Parameters {
		typ := string(p.Type)
		if typ == "" {
			typ = string(naasv1alpha1.ParameterString)
		}
		out.Parameters = append(out.Parameters, restv1.Parameter{
			Name: p.Name, Type: typ, Description: p.Description, Default: p.Default, Enum: p.Enum,
			Pattern: p.Pattern, Required: p.Required,
		})
	}
	return out
}

// tierOf converts a tier to its API form.
func tierOf(t *naasv1alpha1.Tier) restv1.Tier {
	out := restv1.Tier{
		Name:        t.Name,
		DisplayName: t.Spec.DisplayName,
		Description: t.Spec.Description,
		Quota:       quantities(t.Spec.Quota),
		PodSecurity: string(t.Spec.PodSecurity),
	}
	if out.Quota == nil {
		out.Quota = map[string]string{}
	}
	out.MonthlyBudget = budgetOf(t)
	return out
}

// budgetOf is the monthly budget of one namespace of tier t, nil when it has none.
func budgetOf(t *naasv1alpha1.Tier) *restv1.Money {
	if t == nil || t.Spec.MonthlyBudget == nil {
		return nil
	}
	b := t.Spec.MonthlyBudget
	currency := b.Currency
	if currency == "" {
		currency = "USD"
	}
	return &restv1.Money{Amount: b.Amount.String(), Currency: currency}
}

// tenantOf converts a tenant to its API form, with the caller's role in it.
func tenantOf(t *naasv1alpha1.Tenant, role naasv1alpha1.Role) restv1.Tenant {
	in := restv1.TenantInput{
		Name:                 t.Name,
		DisplayName:          t.Spec.DisplayName,
		MaxNamespaces:        t.Spec.MaxNamespaces,
		AllowedTemplates:     t.Spec.AllowedTemplates,
		AllowedTiers:         t.Spec.AllowedTiers,
		NamespaceLabels:      t.Spec.NamespaceLabels,
		NamespaceAnnotations: t.Spec.NamespaceAnnotations,
		CostCenter:           t.Spec.CostCenter,
		Cordoned:             t.Spec.Cordoned,
		Quota:                quantities(t.Spec.Quota),
		AllowedRegistries:    t.Spec.AllowedRegistries,
	}
	if n := t.Spec.Naming; n.Prefix != "" || len(n.ForbiddenPatterns) > 0 {
		in.Naming = &restv1.NamingRules{Prefix: n.Prefix, ForbiddenPatterns: n.ForbiddenPatterns}
	}
	for _, o := range t.Spec.Owners {
		in.Members = append(in.Members, memberOf(o))
	}
	return restv1.Tenant{TenantInput: in, NamespaceCount: t.Status.NamespaceCount, YourRole: string(role)}
}

func memberOf(o naasv1alpha1.Owner) restv1.Member {
	return restv1.Member{Kind: string(o.Kind), Name: o.Name, Namespace: o.Namespace, Role: string(o.Role)}
}

func ownerOf(m restv1.Member) naasv1alpha1.Owner {
	return naasv1alpha1.Owner{
		Kind: naasv1alpha1.SubjectKind(m.Kind), Name: m.Name, Namespace: m.Namespace, Role: naasv1alpha1.Role(m.Role),
	}
}

// auditEventOf converts a stored audit event to its API form.
func auditEventOf(e audit.Event) restv1.AuditEvent {
	return restv1.AuditEvent{
		ID: e.ID, Time: e.Time.UTC(), RequestID: e.RequestID, User: e.User, Groups: e.Groups, Action: e.Action,
		Tenant: e.Tenant, Namespace: e.Namespace, Target: e.Target, Result: e.Result, Reason: e.Reason,
		Details: e.Details,
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
