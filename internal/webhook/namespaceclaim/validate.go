// Package namespaceclaim admits NamespaceClaims: a mutating webhook records who asked for the claim, and a
// validating webhook decides with tenancy.Authorize (the same role matrix the REST API and the provisioning
// controller use) and tenancy.ValidateCreate / ValidateClaim, counting the tenant's namespaces exactly through
// its ledger. Validate is the pure decision; the handlers only gather its inputs.
package namespaceclaim

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/fleet"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Request is one admission request on a NamespaceClaim, with the objects its decision needs.
type Request struct {
	Operation admissionv1.Operation
	User      tenancy.User
	// Privileged users (platform admins, naas itself and the cluster's own controllers) are not held to the
	// tenant's roles and guardrails: what would deny anyone else is returned to them as warnings, and the
	// provisioning controller reports it in the claim's status. Platform GitOps applies tenants, templates and
	// claims in one unordered batch, so a claim may arrive before what it names.
	Privileged bool
	// Claim is the claim as it would be stored (nil on DELETE); Old is the stored claim (UPDATE, DELETE).
	Claim, Old *naasv1alpha1.NamespaceClaim
	// Tenant, Template and Tier are the objects the claim names (Tier: its effective tier), nil if missing.
	Tenant   *naasv1alpha1.Tenant
	Template *naasv1alpha1.NamespaceTemplate
	Tier     *naasv1alpha1.Tier
	// OldTier is the effective tier of Old (UPDATE), so that an update is held only to problems it adds.
	OldTier *naasv1alpha1.Tier
	// Namespace is the existing namespace named as the claim (CREATE), nil if there is none.
	Namespace *corev1.Namespace
	// Current is the number of the tenant's namespaces other than this claim's, reserved ones included
	// (CREATE).
	Current int
	// Prefixes are the naming prefixes of the tenants that reserve the claim's name (CREATE): those it starts with.
	Prefixes []tenancy.TenantPrefix
	// MemberOf are the tenants the user holds a role in, for the message about a tenant that does not exist.
	MemberOf []string
	// Templates and Tiers are the names that exist, for the messages about a template or tier that does not.
	Templates, Tiers []string
	// Clusters are the registered Clusters (CREATE of a claim that names a cluster).
	Clusters []naasv1alpha1.Cluster
}

// Result is the decision on a request.
type Result struct {
	// Err is the denial, nil when the request is allowed.
	Err error
	// Warnings are shown to the client (kubectl prints them) on an allowed request.
	Warnings []string
}

// Allowed reports whether the request is allowed.
func (r Result) Allowed() bool { return r.Err == nil }

var claimResource = naasv1alpha1.GroupVersion.WithResource("namespaceclaims").GroupResource()
var claimKind = naasv1alpha1.GroupVersion.WithKind("NamespaceClaim").GroupKind()

// Validate decides a request on a claim:
//
//   - CREATE takes the admin or developer role in the tenant; the claim must satisfy tenancy.ValidateCreate
//     (template, tier, naming rules, parameters, cordon, maxNamespaces), must not name a namespace that
//     exists and is not this tenant's naas namespace, and must not start with another tenant's naming prefix
//     (tenancy.CheckReservedName).
//   - UPDATE takes the admin or developer role; it may not add validation problems, set spec.requester, or
//     remove naas's finalizer.
//   - DELETE takes the admin role, or the developer role for a claim the user requested.
func Validate(r Request) Result {
	switch r.Operation {
	case admissionv1.Create:
		return validateCreate(r)
	case admissionv1.Update:
		return validateUpdate(r)
	case admissionv1.Delete:
		return validateDelete(r)
	default:
		return Result{}
	}
}

func validateCreate(r Request) Result {
	c := r.Claim
	if !r.Privileged {
		if r.Tenant == nil {
			return Result{Err: apierrors.NewInvalid(claimKind, c.Name, field.ErrorList{field.Invalid(
				field.NewPath("spec", "tenant"), c.Spec.Tenant, tenantNotFound(c.Spec.Tenant, r.MemberOf)).WithOrigin("tenantNotFound")})}
		}
		if d := tenancy.Authorize(r.User, r.Tenant, tenancy.ActionCreateNamespace, c); !d.Allowed {
			return Result{Err: apierrors.NewForbidden(claimResource, c.Name, errors.New(d.Reason))}
		}
	}
	errs := tenancy.ValidateCreate(c, r.Tenant, r.Template, r.Tier, r.Current)
	if err := checkNamespace(c, r.Namespace); err != nil {
		errs = append(errs, err)
	}
	if err := fleet.CheckRequested(c, r.Tenant, r.Template, r.Tier, r.Clusters); err != nil {
		errs = append(errs, err)
	}
	// A name another tenant's prefix reserves is refused to platform admins too (they are told which tenant holds
	// it): naas would provision it, and the name is that tenant's.
	if err := tenancy.CheckReservedName(c.Name, c.Spec.Tenant, r.Prefixes, r.Privileged); err != nil {
		return Result{Err: apierrors.NewInvalid(claimKind, c.Name, append(withChoices(errs, r), err))}
	}
	return decide(r, c.Name, withChoices(errs, r))
}

func validateUpdate(r Request) Result {
	c, old := r.Claim, r.Old
	if r.Privileged {
		if err := clusterUnchanged(old, c); err != nil {
			return Result{Err: apierrors.NewInvalid(claimKind, c.Name, field.ErrorList{err})}
		}
		// Platform admins may grow a namespace over a hard budget; they are told it is over.
		res := decide(r, c.Name, newProblems(r))
		if err := tenancy.CheckTierGrowth(old, r.Tenant, r.OldTier, r.Tier); err != nil {
			res.Warnings = append(res.Warnings, err.Error())
		}
		return res
	}
	if d := authorize(r, tenancy.ActionUpdateNamespace, old); !d.Allowed {
		return Result{Err: apierrors.NewForbidden(claimResource, c.Name, errors.New(d.Reason))}
	}
	var errs field.ErrorList
	if err := clusterUnchanged(old, c); err != nil {
		errs = append(errs, err)
	}
	if !apiequality.Semantic.DeepEqual(old.Spec.Requester, c.Spec.Requester) {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "requester"),
			"is set by naas to the user who created the claim and cannot be set or changed"))
	}
	if slices.Contains(old.Finalizers, naasv1alpha1.FinalizerNamespace) && !slices.Contains(c.Finalizers, naasv1alpha1.FinalizerNamespace) {
		errs = append(errs, field.Forbidden(field.NewPath("metadata", "finalizers"), fmt.Sprintf(
			"%s is removed by naas once the namespace is deleted; removing it would leave the namespace behind: delete the claim instead",
			naasv1alpha1.FinalizerNamespace)))
	}
	if err := tenancy.CheckTierGrowth(old, r.Tenant, r.OldTier, r.Tier); err != nil {
		errs = append(errs, err)
	}
	return decide(r, c.Name, withChoices(append(errs, newProblems(r)...), r))
}

func validateDelete(r Request) Result {
	if r.Privileged {
		return Result{}
	}
	if d := authorize(r, tenancy.ActionDeleteNamespace, r.Old); !d.Allowed {
		return Result{Err: apierrors.NewForbidden(claimResource, r.Old.Name, errors.New(d.Reason))}
	}
	return Result{}
}

// authorize decides action on an existing claim; a claim whose tenant is gone is left to platform admins.
func authorize(r Request, action tenancy.Action, claim *naasv1alpha1.NamespaceClaim) tenancy.Decision {
	if r.Tenant == nil {
		return tenancy.Decision{Reason: fmt.Sprintf("tenant %q of namespace %q no longer exists, so no tenant role applies to it: ask a platform admin",
			claim.Spec.Tenant, claim.Name)}
	}
	return tenancy.Authorize(r.User, r.Tenant, action, claim)
}

// newProblems returns the validation problems of the updated claim that the stored claim did not have: an
// update is held to what it changes, so that a claim made invalid by a later tenant change can still have its
// deletion protection turned off.
func newProblems(r Request) field.ErrorList {
	if apiequality.Semantic.DeepEqual(r.Old.Spec, r.Claim.Spec) {
		return nil
	}
	before := tenancy.ValidateClaim(r.Old, r.Tenant, r.Template, r.OldTier)
	var out field.ErrorList
	for _, e := range tenancy.ValidateClaim(r.Claim, r.Tenant, r.Template, r.Tier) {
		if !slices.ContainsFunc(before, func(b *field.Error) bool { return b.Error() == e.Error() }) {
			out = append(out, e)
		}
	}
	return out
}

// clusterUnchanged refuses a change of spec.cluster, setting it included (the CRD's rule compares only values
// that are both set): a placed namespace never moves, and a claim's cluster is chosen when it is made.
func clusterUnchanged(old, c *naasv1alpha1.NamespaceClaim) *field.Error {
	if old.Spec.Cluster == c.Spec.Cluster {
		return nil
	}
	return field.Forbidden(field.NewPath("spec", "cluster"), fmt.Sprintf(
		"is immutable (from %q to %q): a namespace is placed once and never moves; to have it elsewhere, request a new namespace with that cluster",
		old.Spec.Cluster, c.Spec.Cluster))
}

// checkNamespace refuses a claim for a namespace that exists and is not a naas namespace of the claim's
// tenant (tenancy.ValidateExistingNamespace).
func checkNamespace(c *naasv1alpha1.NamespaceClaim, ns *corev1.Namespace) *field.Error {
	if ns == nil {
		return nil
	}
	return tenancy.ValidateExistingNamespace(c, &ns.ObjectMeta)
}

// withChoices says which templates or tiers exist when the claim names one that does not.
func withChoices(errs field.ErrorList, r Request) field.ErrorList {
	for i, e := range errs {
		if e.Type != field.ErrorTypeNotFound {
			continue
		}
		var kind string
		var names []string
		var path *field.Path
		switch e.Field {
		case "spec.template":
			kind, names, path = "templates", r.Templates, field.NewPath("spec", "template")
		case "spec.tier":
			kind, names, path = "tiers", r.Tiers, field.NewPath("spec", "tier")
		default:
			continue
		}
		if len(names) == 0 {
			continue
		}
		errs[i] = field.Invalid(path, e.BadValue,
			fmt.Sprintf("no such %s; existing %s: %s", strings.TrimSuffix(kind, "s"), kind, strings.Join(names, ", "))).WithOrigin(e.Origin)
	}
	return errs
}

// decide denies with errs, or for a privileged user turns them into warnings.
func decide(r Request, name string, errs field.ErrorList) Result {
	if len(errs) == 0 {
		return Result{}
	}
	if !r.Privileged {
		return Result{Err: apierrors.NewInvalid(claimKind, name, errs)}
	}
	warnings := make([]string, 0, len(errs))
	for _, e := range errs {
		warnings = append(warnings, fmt.Sprintf("naas will not provision namespace %q until this is fixed: %s", name, e.Error()))
	}
	return Result{Warnings: warnings}
}

func tenantNotFound(tenant string, memberOf []string) string {
	msg := fmt.Sprintf("tenant %q does not exist", tenant)
	if len(memberOf) == 0 {
		return msg + "; you hold a role in no tenant: ask a platform admin to add you to one"
	}
	return msg + "; you hold a role in: " + strings.Join(memberOf, ", ")
}
