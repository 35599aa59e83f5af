package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Audit actions of the receiving side of a collaboration. Each is recorded in the audit log of both tenants: the
// accepting one and the one whose offer it accepts.
const (
	ActionCollaborationAccept = "collaboration.accept"
	ActionCollaborationRevoke = "collaboration.revoke"
)

// acceptedCollaborationRoutes are the operations of the receiving side of collaborations.
func acceptedCollaborationRoutes() []*route {
	tenantBase := restv1.Prefix + "/tenants/{name}/accepted-collaborations"
	nsBase := restv1.Prefix + "/namespaces/{namespace}/accepted-collaborations"
	acceptDoc := "A grant from another tenant (its namespace's collaborators with allowIngress) opens nothing on this side: " +
		"the namespaces of this tenant may send to the other tenant's namespaces only once a tenant admin accepts, " +
		"for every namespace of the tenant or for one. Namespaces whose template has the restricted network profile, " +
		"which promises no egress beyond the tenant, never send to another tenant. Recorded in the audit log of both tenants."
	return []*route{
		{
			method: http.MethodGet, pattern: tenantBase, operationID: "listTenantAcceptedCollaborations", tag: tagTenants,
			summary: "The tenants whose collaboration a tenant accepts, and the offers of access it has", params: paramTenant,
			responses: []response{{status: 200, description: "The accepted tenants and the offers.", body: typeOf[restv1.AcceptedCollaborations]()}},
			errors:    []int{404},
			handle:    (*Server).listTenantAccepted,
		},
		{
			method: http.MethodPut, pattern: tenantBase + "/{tenant}", operationID: "acceptTenantCollaboration", tag: tagTenants,
			action:  ActionCollaborationAccept,
			summary: "Accept another tenant's collaboration for every namespace of a tenant (tenant admins)", description: acceptDoc,
			params: map[string]string{"name": "Name of the accepting tenant.", "tenant": "The other tenant."},
			responses: []response{
				{status: 201, description: "Accepted.", body: typeOf[restv1.AcceptedCollaborations]()},
				{status: 200, description: "Accepted already; nothing changed.", body: typeOf[restv1.AcceptedCollaborations]()},
			},
			errors: []int{403, 404, 409, 422},
			handle: (*Server).acceptForTenant,
		},
		{
			method: http.MethodDelete, pattern: tenantBase + "/{tenant}", operationID: "revokeTenantCollaboration", tag: tagTenants,
			action:  ActionCollaborationRevoke,
			summary: "Withdraw a tenant-wide acceptance of another tenant's collaboration (tenant admins)",
			description: "The tenant's namespaces can no longer send to the other tenant's, except those that accept it " +
				"for themselves. Recorded in the audit log of both tenants.",
			params:    map[string]string{"name": "Name of the accepting tenant.", "tenant": "The other tenant."},
			responses: []response{{status: 200, description: "Withdrawn.", body: typeOf[restv1.AcceptedCollaborations]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).revokeForTenant,
		},
		{
			method: http.MethodGet, pattern: nsBase, operationID: "listNamespaceAcceptedCollaborations", tag: tagNamespaces,
			summary: "The tenants whose collaboration a namespace accepts", params: paramNamespace,
			responses: []response{{status: 200, description: "Accepted for the namespace, effective, and the offers to its tenant.", body: typeOf[restv1.AcceptedCollaborations]()}},
			errors:    []int{404},
			handle:    (*Server).listNamespaceAccepted,
		},
		{
			method: http.MethodPut, pattern: nsBase + "/{tenant}", operationID: "acceptNamespaceCollaboration", tag: tagNamespaces,
			action:      ActionCollaborationAccept,
			summary:     "Accept another tenant's collaboration for one namespace (tenant admins)",
			description: acceptDoc + " Sets the claim's spec.acceptedCollaborations as the caller; admission decides again.",
			params:      map[string]string{"namespace": "Name of the accepting namespace (and of its claim).", "tenant": "The other tenant."},
			responses: []response{
				{status: 201, description: "Accepted.", body: typeOf[restv1.AcceptedCollaborations]()},
				{status: 200, description: "Accepted already; nothing changed.", body: typeOf[restv1.AcceptedCollaborations]()},
			},
			errors: []int{403, 404, 409, 422},
			handle: (*Server).acceptForNamespace,
		},
		{
			method: http.MethodDelete, pattern: nsBase + "/{tenant}", operationID: "revokeNamespaceCollaboration", tag: tagNamespaces,
			action:  ActionCollaborationRevoke,
			summary: "Withdraw a namespace's acceptance of another tenant's collaboration (tenant admins)",
			description: "The namespace can no longer send to the other tenant's namespaces, unless its tenant accepts the " +
				"other tenant for every namespace. Recorded in the audit log of both tenants.",
			params:    map[string]string{"namespace": "Name of the namespace (and of its claim).", "tenant": "The other tenant."},
			responses: []response{{status: 200, description: "Withdrawn.", body: typeOf[restv1.AcceptedCollaborations]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).revokeForNamespace,
		},
	}
}

// offersTo are the namespaces of other tenants that name tenant as a collaborator, by namespace.
func (s *Server) offersTo(ctx context.Context, tenant string) ([]restv1.CollaborationOffer, error) {
	claims, err := s.claimsByIndex(ctx, cacheindex.ClaimCollaborator, tenant)
	if err != nil {
		return nil, err
	}
	out := []restv1.CollaborationOffer{}
	for _, c := range claims {
		for _, col := range c.Spec.Collaborators {
			if col.Tenant == tenant && c.Spec.Tenant != tenant {
				out = append(out, restv1.CollaborationOffer{Namespace: c.Name, Tenant: c.Spec.Tenant, Access: string(col.Access), AllowIngress: col.AllowIngress})
			}
		}
	}
	slices.SortFunc(out, func(a, b restv1.CollaborationOffer) int { return strings.Compare(a.Namespace, b.Namespace) })
	return out, nil
}

// accepted describes what tenant t accepts, for every namespace or, when c is set, for c's namespace.
func (s *Server) accepted(ctx context.Context, t *naasv1alpha1.Tenant, c *naasv1alpha1.NamespaceClaim) (restv1.AcceptedCollaborations, error) {
	out := restv1.AcceptedCollaborations{Tenant: t.Name, Accepted: sortedCopy(t.Spec.AcceptedCollaborations)}
	if c != nil {
		tpl, err := s.template(ctx, c.Spec.Template)
		if err != nil {
			return out, err
		}
		out.Namespace = c.Name
		out.Accepted = sortedCopy(c.Spec.AcceptedCollaborations)
		out.Effective = bundle.AcceptedCollaborations(t, c, tpl)
	}
	offers, err := s.offersTo(ctx, t.Name)
	if err != nil {
		return out, err
	}
	out.Offers = offers
	return out, nil
}

func sortedCopy(names []string) []string {
	out := append([]string{}, names...)
	slices.Sort(out)
	return out
}

// validateAcceptedTenant checks the other tenant of an acceptance by tenant owner: a tenant name, not owner, one
// that exists.
func (s *Server) validateAcceptedTenant(ctx context.Context, other, owner string) error {
	p := field.NewPath("tenant")
	switch {
	case len(validation.IsDNS1123Label(other)) > 0:
		return invalid(field.ErrorList{field.Invalid(p, other, "must be a tenant name (a DNS-1123 label)")})
	case other == owner:
		return invalid(field.ErrorList{field.Invalid(p, other,
			"is the tenant itself, whose namespaces reach each other already: name another tenant").WithOrigin("collaboratorIsTheTenant")})
	}
	t, err := s.tenant(ctx, other)
	if err != nil {
		return err
	}
	if t == nil {
		return invalid(field.ErrorList{field.Invalid(p, other,
			fmt.Sprintf("tenant %q does not exist: name an existing tenant", other)).WithOrigin("collaboratorNotFound")})
	}
	return nil
}

func (s *Server) listTenantAccepted(w http.ResponseWriter, r *http.Request) {
	t, ok := s.visibleTenant(w, r)
	if !ok {
		return
	}
	out, err := s.accepted(r.Context(), t, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, out)
}

// tenantToAccept finds the tenant of the request's {name}, allows only its admins, and checks the {tenant} whose
// collaboration is accepted or withdrawn. Withdrawing is not held to the other tenant existing.
func (s *Server) tenantToAccept(w http.ResponseWriter, r *http.Request, accepting bool) (*naasv1alpha1.Tenant, string, bool) {
	other := r.PathValue("tenant")
	st := stateOf(r)
	st.target = other
	t, ok := s.visibleTenant(w, r)
	if !ok {
		return nil, "", false
	}
	if d := tenancy.Authorize(callerOf(r), t, tenancy.ActionManageMembers, nil); !d.Allowed {
		s.fail(w, r, forbidden("only admins of tenant %q may accept or withdraw collaborations for it: %s", t.Name, d.Reason))
		return nil, "", false
	}
	if accepting {
		if err := s.validateAcceptedTenant(r.Context(), other, t.Name); err != nil {
			s.fail(w, r, err)
			return nil, "", false
		}
	}
	return t, other, true
}

func (s *Server) acceptForTenant(w http.ResponseWriter, r *http.Request) {
	t, other, ok := s.tenantToAccept(w, r, true)
	if !ok {
		return
	}
	st := stateOf(r)
	st.counterpart = other
	st.detail("scope", "tenant")
	status := http.StatusOK
	updated, err := s.changeMembers(r.Context(), t.Name, func(t *naasv1alpha1.Tenant) (bool, error) {
		if slices.Contains(t.Spec.AcceptedCollaborations, other) {
			st.reason = "the tenant accepted this collaboration already; nothing changed"
			return false, nil
		}
		status = http.StatusCreated
		t.Spec.AcceptedCollaborations = append(t.Spec.AcceptedCollaborations, other)
		return true, nil
	})
	s.answerAccepted(w, r, status, updated, nil, err)
}

func (s *Server) revokeForTenant(w http.ResponseWriter, r *http.Request) {
	t, other, ok := s.tenantToAccept(w, r, false)
	if !ok {
		return
	}
	st := stateOf(r)
	st.detail("scope", "tenant")
	updated, err := s.changeMembers(r.Context(), t.Name, func(t *naasv1alpha1.Tenant) (bool, error) {
		n := len(t.Spec.AcceptedCollaborations)
		t.Spec.AcceptedCollaborations = slices.DeleteFunc(t.Spec.AcceptedCollaborations, func(x string) bool { return x == other })
		if len(t.Spec.AcceptedCollaborations) == n {
			return false, notFound("tenant %q does not accept the collaboration of tenant %q for all its namespaces", t.Name, other)
		}
		st.counterpart = other
		return true, nil
	})
	s.answerAccepted(w, r, http.StatusOK, updated, nil, err)
}

func (s *Server) listNamespaceAccepted(w http.ResponseWriter, r *http.Request) {
	c, t, ok := s.claimFor(w, r, tenancy.ActionView)
	if !ok {
		return
	}
	if t == nil {
		s.fail(w, r, notFound("tenant %q of namespace %q not found", c.Spec.Tenant, c.Name))
		return
	}
	out, err := s.accepted(r.Context(), t, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, out)
}

// claimToAccept finds the claim of the request's {namespace}, allows only its tenant's admins, and checks the
// {tenant} whose collaboration is accepted or withdrawn.
func (s *Server) claimToAccept(w http.ResponseWriter, r *http.Request, accepting bool) (*naasv1alpha1.NamespaceClaim, *naasv1alpha1.Tenant, string, bool) {
	other := r.PathValue("tenant")
	st := stateOf(r)
	st.target = other
	st.detail("scope", "namespace")
	c, t, ok := s.claimFor(w, r, tenancy.ActionManageMembers)
	if !ok {
		return nil, nil, "", false
	}
	if t == nil {
		s.fail(w, r, notFound("tenant %q of namespace %q not found", c.Spec.Tenant, c.Name))
		return nil, nil, "", false
	}
	if !accepting {
		return c, t, other, true
	}
	if err := s.validateAcceptedTenant(r.Context(), other, t.Name); err != nil {
		s.fail(w, r, err)
		return nil, nil, "", false
	}
	tpl, err := s.template(r.Context(), c.Spec.Template)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, "", false
	}
	if tpl != nil && tpl.Spec.Features.NetworkProfile == naasv1alpha1.NetworkRestricted {
		s.fail(w, r, invalid(field.ErrorList{field.Forbidden(field.NewPath("tenant"), fmt.Sprintf(
			"namespace %q uses template %q, whose restricted network profile promises no egress beyond the tenant: it cannot accept collaborations; "+
				"accept in a namespace of another template, or let tenant %q in instead (POST %s/namespaces/%s/collaborators with allowIngress)",
			c.Name, c.Spec.Template, other, restv1.Prefix, c.Name)).WithOrigin("restrictedProfileAcceptsNoCollaboration")}))
		return nil, nil, "", false
	}
	return c, t, other, true
}

func (s *Server) acceptForNamespace(w http.ResponseWriter, r *http.Request) {
	c, t, other, ok := s.claimToAccept(w, r, true)
	if !ok {
		return
	}
	st := stateOf(r)
	st.counterpart = other
	status := http.StatusOK
	updated, err := s.changeCollaborators(r.Context(), st.user, c.Name, func(c *naasv1alpha1.NamespaceClaim) bool {
		if slices.Contains(c.Spec.AcceptedCollaborations, other) {
			st.reason = "the namespace accepted this collaboration already; nothing changed"
			return false
		}
		status = http.StatusCreated
		c.Spec.AcceptedCollaborations = append(c.Spec.AcceptedCollaborations, other)
		return true
	})
	s.answerAccepted(w, r, status, t, updated, err)
}

func (s *Server) revokeForNamespace(w http.ResponseWriter, r *http.Request) {
	c, t, other, ok := s.claimToAccept(w, r, false)
	if !ok {
		return
	}
	st := stateOf(r)
	found := false
	updated, err := s.changeCollaborators(r.Context(), st.user, c.Name, func(c *naasv1alpha1.NamespaceClaim) bool {
		n := len(c.Spec.AcceptedCollaborations)
		c.Spec.AcceptedCollaborations = slices.DeleteFunc(c.Spec.AcceptedCollaborations, func(x string) bool { return x == other })
		found = len(c.Spec.AcceptedCollaborations) != n
		return found
	})
	if err == nil && !found {
		err = notFound("namespace %q does not accept the collaboration of tenant %q for itself", c.Name, other)
	}
	if err == nil {
		st.counterpart = other
	}
	s.answerAccepted(w, r, http.StatusOK, t, updated, err)
}

// answerAccepted answers a change of acceptances with what the tenant (and, when c is set, its namespace) accepts
// now.
func (s *Server) answerAccepted(w http.ResponseWriter, r *http.Request, status int, t *naasv1alpha1.Tenant, c *naasv1alpha1.NamespaceClaim, err error) {
	if err != nil {
		stateOf(r).counterpart = ""
		s.fail(w, r, err)
		return
	}
	out, err := s.accepted(r.Context(), t, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, status, out)
}
