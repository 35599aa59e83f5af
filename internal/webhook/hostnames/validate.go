package hostnames

import (
	"fmt"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Origins of the errors about collaborators.
const (
	originCollaboratorIsOwner   = "collaboratorIsTheTenant"
	originCollaboratorNotFound  = "collaboratorNotFound"
	originRestrictedNoEgress    = "restrictedProfileAcceptsNoCollaboration"
	originHostnamesForGateway   = "hostnamesRequiredForGateway"
	originHostnameConflictFound = domains.OriginConflict
)

var (
	claimKind     = naasv1alpha1.GroupVersion.WithKind("NamespaceClaim").GroupKind()
	claimResource = naasv1alpha1.GroupVersion.WithResource("namespaceclaims").GroupResource()
)

func pathHostnames() *field.Path     { return field.NewPath("spec", "hostnames") }
func pathCollaborators() *field.Path { return field.NewPath("spec", "collaborators") }
func pathAccepted() *field.Path      { return field.NewPath("spec", "acceptedCollaborations") }

// Request is one admission request on a claim's hostnames and collaborators, with what its decision needs.
type Request struct {
	Operation admissionv1.Operation
	User      tenancy.User
	// Privileged users (platform admins, naas itself, the cluster's controllers) are not held to the tenant's
	// domains and roles: what would deny anyone else is returned to them as warnings. Hostname conflicts deny
	// everyone: two namespaces can never serve the same name.
	Privileged bool
	// Claim is the claim as it would be stored; Old is the stored claim on UPDATE.
	Claim, Old *naasv1alpha1.NamespaceClaim
	// Tenant and Template are those the claim names, nil if missing.
	Tenant   *naasv1alpha1.Tenant
	Template *naasv1alpha1.NamespaceTemplate
	// BaseDomain is the platform's base domain.
	BaseDomain string
	// Tenants are the names of the tenants that exist, for the claim's collaborators.
	Tenants []string
}

// Result is the decision on a request.
type Result struct {
	// Err is the denial, nil when the request is allowed.
	Err error
	// Warnings are shown to the client on an allowed request.
	Warnings []string
	// Reserve are the hostnames to reserve for the claim: set when the request is allowed so far and asks for
	// hostnames it did not hold before.
	Reserve []string
}

// HostnamesChanged reports whether the request changes the hostnames the claim asks for (always on CREATE).
func (r Request) HostnamesChanged() bool {
	if r.Old == nil {
		return true
	}
	return !slices.Equal(domains.Requested(r.Old, r.Tenant, r.BaseDomain), domains.Requested(r.Claim, r.Tenant, r.BaseDomain))
}

// collaboratorsChanged reports whether the request changes the claim's collaborators.
func (r Request) collaboratorsChanged() bool {
	var before []naasv1alpha1.Collaborator
	if r.Old != nil {
		before = r.Old.Spec.Collaborators
	}
	sorted := func(cs []naasv1alpha1.Collaborator) []naasv1alpha1.Collaborator {
		out := slices.Clone(cs)
		slices.SortFunc(out, func(a, b naasv1alpha1.Collaborator) int { return strings.Compare(a.Tenant, b.Tenant) })
		return out
	}
	return !slices.Equal(sorted(before), sorted(r.Claim.Spec.Collaborators))
}

// acceptedChanged reports whether the request changes the collaborations the claim accepts.
func (r Request) acceptedChanged() bool {
	var before []string
	if r.Old != nil {
		before = r.Old.Spec.AcceptedCollaborations
	}
	sorted := func(names []string) []string {
		out := slices.Clone(names)
		slices.Sort(out)
		return slices.Compact(out)
	}
	return !slices.Equal(sorted(before), sorted(r.Claim.Spec.AcceptedCollaborations))
}

// Validate decides the hostnames and collaborators of a claim being created or updated:
//
//   - hostnames, when the request changes them, must be DNS names under the tenant's domains (domains.Validate);
//     a claim of a template that turns the gateway on must have some;
//   - collaborators, when the request changes them, take the admin role in the tenant
//     (tenancy.ActionManageMembers), and must be other tenants that exist;
//   - accepted collaborations (egress to the namespaces other tenants let this tenant in), when the request
//     changes them, take the admin role too, must be other tenants that exist, and are refused to a template with
//     the restricted network profile, which promises no egress beyond the tenant.
//
// Whether the hostnames are free is decided afterwards, against the ledger, for the hostnames in Result.Reserve.
func Validate(r Request) Result {
	if r.Claim == nil || (r.Operation != admissionv1.Create && r.Operation != admissionv1.Update) {
		return Result{}
	}
	c := r.Claim
	var errs field.ErrorList
	if r.collaboratorsChanged() && !r.Privileged {
		d := tenancy.Authorize(r.User, r.Tenant, tenancy.ActionManageMembers, c)
		if r.Tenant == nil {
			d = tenancy.Decision{Reason: fmt.Sprintf("tenant %q does not exist", c.Spec.Tenant)}
		}
		if !d.Allowed {
			return Result{Err: apierrors.NewForbidden(claimResource, c.Name,
				fmt.Errorf("only admins of tenant %q may change who collaborates on namespace %q: %s", c.Spec.Tenant, c.Name, d.Reason))}
		}
	}
	if r.acceptedChanged() && !r.Privileged {
		d := tenancy.Authorize(r.User, r.Tenant, tenancy.ActionManageMembers, c)
		if r.Tenant == nil {
			d = tenancy.Decision{Reason: fmt.Sprintf("tenant %q does not exist", c.Spec.Tenant)}
		}
		if !d.Allowed {
			return Result{Err: apierrors.NewForbidden(claimResource, c.Name,
				fmt.Errorf("only admins of tenant %q may accept collaborations for namespace %q (it opens the namespace's egress to other tenants): %s", c.Spec.Tenant, c.Name, d.Reason))}
		}
	}
	if r.collaboratorsChanged() {
		errs = append(errs, validateCollaborators(r)...)
	}
	if r.acceptedChanged() {
		errs = append(errs, validateAccepted(r)...)
	}
	var reserve []string
	if r.HostnamesChanged() {
		reserve = domains.Requested(c, r.Tenant, r.BaseDomain)
		if r.Tenant != nil {
			errs = append(errs, domains.Validate(c.Spec.Hostnames, r.Tenant.Name, domains.TenantDomains(r.Tenant, r.BaseDomain), pathHostnames())...)
		}
		if len(reserve) == 0 && r.Template != nil && r.Template.Spec.Features.Gateway {
			errs = append(errs, field.Required(pathHostnames(), fmt.Sprintf(
				"template %q makes a Gateway for the namespace's hostnames, and tenant %q has no domain to give the namespace a default one under: "+
					"set spec.hostnames, or ask a platform admin to set the tenant's spec.domains or start naas with --base-domain",
				c.Spec.Template, c.Spec.Tenant)).WithOrigin(originHostnamesForGateway))
		}
	}
	if len(errs) > 0 && !r.Privileged {
		return Result{Err: apierrors.NewInvalid(claimKind, c.Name, errs)}
	}
	res := Result{Reserve: reserve}
	for _, e := range errs {
		res.Warnings = append(res.Warnings, fmt.Sprintf("namespace %q: %s", c.Name, e.Error()))
	}
	return res
}

func validateCollaborators(r Request) field.ErrorList {
	var errs field.ErrorList
	for i, col := range r.Claim.Spec.Collaborators {
		p := pathCollaborators().Index(i).Child("tenant")
		switch {
		case col.Tenant == r.Claim.Spec.Tenant:
			errs = append(errs, field.Invalid(p, col.Tenant,
				"is the namespace's own tenant, whose members have their roles already: name another tenant").WithOrigin(originCollaboratorIsOwner))
		case !slices.Contains(r.Tenants, col.Tenant):
			errs = append(errs, field.Invalid(p, col.Tenant, fmt.Sprintf(
				"tenant %q does not exist: name an existing tenant (kubectl get tenants)", col.Tenant)).WithOrigin(originCollaboratorNotFound))
		}
	}
	return errs
}

func validateAccepted(r Request) field.ErrorList {
	var errs field.ErrorList
	if len(r.Claim.Spec.AcceptedCollaborations) > 0 && r.Template != nil && r.Template.Spec.Features.NetworkProfile == naasv1alpha1.NetworkRestricted {
		errs = append(errs, field.Forbidden(pathAccepted(), fmt.Sprintf(
			"template %q has the restricted network profile, which promises no egress beyond the tenant: its namespaces cannot accept collaborations; "+
				"accept in a namespace of another template, or let the other tenant in instead (spec.collaborators with allowIngress)",
			r.Claim.Spec.Template)).WithOrigin(originRestrictedNoEgress))
	}
	for i, name := range r.Claim.Spec.AcceptedCollaborations {
		p := pathAccepted().Index(i)
		switch {
		case name == r.Claim.Spec.Tenant:
			errs = append(errs, field.Invalid(p, name,
				"is the namespace's own tenant, whose namespaces reach each other already: name another tenant").WithOrigin(originCollaboratorIsOwner))
		case !slices.Contains(r.Tenants, name):
			errs = append(errs, field.Invalid(p, name, fmt.Sprintf(
				"tenant %q does not exist: name an existing tenant (kubectl get tenants)", name)).WithOrigin(originCollaboratorNotFound))
		}
	}
	return errs
}

// ConflictError is the denial of hostnames another namespace holds.
func ConflictError(c *naasv1alpha1.NamespaceClaim, conflicts []domains.Conflict) error {
	if len(conflicts) == 0 {
		return nil
	}
	var errs field.ErrorList
	for _, cf := range conflicts {
		idx := slices.Index(c.Spec.Hostnames, cf.Hostname)
		p := pathHostnames()
		if idx >= 0 {
			p = p.Index(idx)
		}
		what := "is held by namespace " + cf.Namespace
		if cf.Held != cf.Hostname {
			what = fmt.Sprintf("overlaps %s, held by namespace %s", cf.Held, cf.Namespace)
		}
		errs = append(errs, field.Invalid(p, cf.Hostname, what+
			"; no two namespaces may serve the same name (a wildcard covers every name under it): choose another hostname").
			WithOrigin(originHostnameConflictFound))
	}
	return apierrors.NewInvalid(claimKind, c.Name, errs)
}
