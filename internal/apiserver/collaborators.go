package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Audit actions of collaboration.
const (
	ActionCollaboratorAdd    = "namespace.collaborator.add"
	ActionCollaboratorRemove = "namespace.collaborator.remove"
)

// collaboratorRoutes are the operations on a namespace's collaborators.
func collaboratorRoutes() []*route {
	base := restv1.Prefix + "/namespaces/{namespace}/collaborators"
	return []*route{
		{
			method: http.MethodGet, pattern: base, operationID: "listNamespaceCollaborators", tag: tagNamespaces,
			summary: "The other tenants given access to a namespace", params: paramNamespace,
			responses: []response{{status: 200, description: "The collaborators, by tenant.", body: typeOf[restv1.CollaboratorList]()}},
			errors:    []int{404},
			handle:    (*Server).listCollaborators,
		},
		{
			method: http.MethodPost, pattern: base, operationID: "putNamespaceCollaborator", tag: tagNamespaces,
			action:  ActionCollaboratorAdd,
			summary: "Give another tenant access to a namespace, or change its access (tenant admins)",
			description: "Sets the claim's spec.collaborators as the caller, who must be an admin of the namespace's tenant. " +
				"naas then binds the other tenant's members in the namespace (viewer or developer access; never admin) and, " +
				"with allowIngress, lets its namespaces in through the network policies and the mesh: they can send once the other " +
				"tenant's admins accept (PUT /api/v1/tenants/{name}/accepted-collaborations/{tenant}, or per namespace); a grant " +
				"never opens the other tenant's egress. Recorded in the audit log of both tenants. Revoke with DELETE.",
			params: paramNamespace, body: typeOf[restv1.Collaborator](),
			responses: []response{
				{status: 201, description: "Added.", body: typeOf[restv1.CollaboratorList]()},
				{status: 200, description: "The tenant collaborated already; its access is now the one given.", body: typeOf[restv1.CollaboratorList]()},
			},
			errors: []int{403, 404, 409},
			handle: (*Server).putCollaborator,
		},
		{
			method: http.MethodDelete, pattern: base + "/{tenant}", operationID: "deleteNamespaceCollaborator", tag: tagNamespaces,
			action:  ActionCollaboratorRemove,
			summary: "Revoke another tenant's access to a namespace (tenant admins)",
			description: "Removes the tenant from the claim's spec.collaborators as the caller; naas removes its role bindings " +
				"and network access.",
			params: map[string]string{
				"namespace": "Name of the namespace (and of its claim).",
				"tenant":    "The collaborating tenant.",
			},
			responses: []response{{status: 200, description: "Revoked.", body: typeOf[restv1.CollaboratorList]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).deleteCollaborator,
		},
	}
}

func collaboratorsOf(c *naasv1alpha1.NamespaceClaim) restv1.CollaboratorList {
	out := restv1.CollaboratorList{Items: []restv1.Collaborator{}}
	for _, col := range c.Spec.Collaborators {
		out.Items = append(out.Items, restv1.Collaborator{Tenant: col.Tenant, Access: string(col.Access), AllowIngress: col.AllowIngress})
	}
	slices.SortFunc(out.Items, func(a, b restv1.Collaborator) int { return strings.Compare(a.Tenant, b.Tenant) })
	return out
}

func (s *Server) listCollaborators(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.claimFor(w, r, tenancy.ActionView)
	if !ok {
		return
	}
	s.writeJSON(w, http.StatusOK, collaboratorsOf(c))
}

// validateCollaborator checks what can be checked without the cluster.
func validateCollaborator(col restv1.Collaborator, owner string) field.ErrorList {
	var errs field.ErrorList
	switch {
	case col.Tenant == "":
		errs = append(errs, field.Required(field.NewPath("tenant"), "name the tenant to give access to"))
	case len(validation.IsDNS1123Label(col.Tenant)) > 0:
		errs = append(errs, field.Invalid(field.NewPath("tenant"), col.Tenant, "must be a tenant name (a DNS-1123 label)"))
	case col.Tenant == owner:
		errs = append(errs, field.Invalid(field.NewPath("tenant"), col.Tenant,
			"is the namespace's own tenant, whose members have their roles already: name another tenant").WithOrigin("collaboratorIsTheTenant"))
	}
	switch naasv1alpha1.CollaboratorAccess(col.Access) {
	case naasv1alpha1.CollaboratorViewer, naasv1alpha1.CollaboratorDeveloper:
	case "":
		errs = append(errs, field.Required(field.NewPath("access"), "viewer or developer"))
	default:
		errs = append(errs, field.NotSupported(field.NewPath("access"), col.Access, []string{"viewer", "developer"}))
	}
	return errs
}

func (s *Server) putCollaborator(w http.ResponseWriter, r *http.Request) {
	var col restv1.Collaborator
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &col, false); err != nil {
		s.fail(w, r, err)
		return
	}
	st := stateOf(r)
	st.target = col.Tenant
	st.detail("access", col.Access)
	st.detail("allowIngress", strconv.FormatBool(col.AllowIngress))
	c, _, ok := s.claimFor(w, r, tenancy.ActionManageMembers)
	if !ok {
		return
	}
	if errs := validateCollaborator(col, c.Spec.Tenant); len(errs) > 0 {
		s.fail(w, r, invalid(errs))
		return
	}
	other, err := s.tenant(r.Context(), col.Tenant)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if other == nil {
		s.fail(w, r, invalid(field.ErrorList{field.Invalid(field.NewPath("tenant"), col.Tenant,
			fmt.Sprintf("tenant %q does not exist: name an existing tenant", col.Tenant)).WithOrigin("collaboratorNotFound")}))
		return
	}
	// The other tenant reads of the grant in its own audit log.
	st.counterpart = col.Tenant
	want := naasv1alpha1.Collaborator{Tenant: col.Tenant, Access: naasv1alpha1.CollaboratorAccess(col.Access), AllowIngress: col.AllowIngress}
	status := http.StatusOK
	updated, err := s.changeCollaborators(r.Context(), st.user, c.Name, func(c *naasv1alpha1.NamespaceClaim) bool {
		i := slices.IndexFunc(c.Spec.Collaborators, func(x naasv1alpha1.Collaborator) bool { return x.Tenant == col.Tenant })
		if i < 0 {
			status = http.StatusCreated
			c.Spec.Collaborators = append(c.Spec.Collaborators, want)
			return true
		}
		status = http.StatusOK
		if c.Spec.Collaborators[i] == want {
			st.reason = "the tenant had that access already; nothing changed"
			return false
		}
		st.detail("previousAccess", string(c.Spec.Collaborators[i].Access))
		c.Spec.Collaborators[i] = want
		return true
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, status, collaboratorsOf(updated))
}

func (s *Server) deleteCollaborator(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	st := stateOf(r)
	st.target = tenant
	c, _, ok := s.claimFor(w, r, tenancy.ActionManageMembers)
	if !ok {
		return
	}
	found := false
	updated, err := s.changeCollaborators(r.Context(), st.user, c.Name, func(c *naasv1alpha1.NamespaceClaim) bool {
		n := len(c.Spec.Collaborators)
		c.Spec.Collaborators = slices.DeleteFunc(c.Spec.Collaborators, func(x naasv1alpha1.Collaborator) bool { return x.Tenant == tenant })
		found = len(c.Spec.Collaborators) != n
		return found
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !found {
		s.fail(w, r, notFound("tenant %q has no access to namespace %q", tenant, c.Name))
		return
	}
	st.counterpart = tenant
	s.writeJSON(w, http.StatusOK, collaboratorsOf(updated))
}

// changeCollaborators changes a claim's collaborators or accepted collaborations as the caller, on the claim as
// the API server has it, retrying when another write got there first. The API server's admission decides again,
// as the caller.
func (s *Server) changeCollaborators(ctx context.Context, caller *authn.User, name string, change func(*naasv1alpha1.NamespaceClaim) bool) (*naasv1alpha1.NamespaceClaim, error) {
	var c *naasv1alpha1.NamespaceClaim
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		c = &naasv1alpha1.NamespaceClaim{}
		if err := s.cfg.Reader.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		if c.DeletionTimestamp != nil {
			return conflict("namespace %q is being deleted; its collaborators cannot change", name)
		}
		if !change(c) {
			return nil
		}
		return s.cfg.AsCaller.Update(withCaller(ctx, caller), c)
	})
	if apierrors.IsNotFound(err) {
		return nil, notFound("namespace %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("change the collaborations of namespace claim %s as %s: %w", name, caller.Name, err)
	}
	return c, nil
}
