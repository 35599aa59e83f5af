package apiserver

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/fleet"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Limits of a namespace request, as the CRD sets them; checked here too so that the caller learns of every
// problem at once, with the API's field names.
const (
	maxNameLength       = 63
	maxParameters       = 64
	maxRequesterGroups  = 256
	maxParamValueLength = 1024
)

func statusURL(name string) string { return restv1.Prefix + "/namespaces/" + name + "/status" }

func (s *Server) listNamespaces(w http.ResponseWriter, r *http.Request) {
	claims, _, err := s.visibleClaims(r.Context(), callerOf(r), r.URL.Query().Get("tenant"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := restv1.NamespaceList{Items: make([]restv1.Namespace, 0, len(claims))}
	for i := range claims {
		out.Items = append(out.Items, namespaceOf(&claims[i]))
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) getNamespaceStatus(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.claimFor(w, r, tenancy.ActionView)
	if !ok {
		return
	}
	s.writeJSON(w, http.StatusOK, namespaceOf(c))
}

// validateNamespaceRequest checks what can be checked without the tenant, template and tier: required fields,
// the shape of the name, and the size limits the CRD sets.
func validateNamespaceRequest(req restv1.NamespaceRequest) field.ErrorList {
	var errs field.ErrorList
	name := field.NewPath("name")
	if req.Name == "" {
		errs = append(errs, field.Required(name, "name the namespace, e.g. \"payments-api\""))
	} else {
		for _, msg := range validation.IsDNS1123Label(req.Name) {
			errs = append(errs, field.Invalid(name, req.Name, "must be a valid namespace name: "+msg).WithOrigin("format=k8s-short-name"))
		}
	}
	for _, f := range []struct {
		path  string
		value string
		hint  string
	}{
		{"tenant", req.Tenant, "name the tenant that will own the namespace (see GET /api/v1/me)"},
		{"template", req.Template, "name a template of the catalog (see GET /api/v1/catalog/templates)"},
	} {
		p := field.NewPath(f.path)
		switch {
		case f.value == "":
			errs = append(errs, field.Required(p, f.hint))
		case len(f.value) > maxNameLength:
			errs = append(errs, field.TooLong(p, "", maxNameLength))
		}
	}
	if len(req.Tier) > maxNameLength {
		errs = append(errs, field.TooLong(field.NewPath("tier"), "", maxNameLength))
	}
	if len(req.Cluster) > maxNameLength {
		errs = append(errs, field.TooLong(field.NewPath("cluster"), "", maxNameLength))
	}
	params := field.NewPath("parameters")
	if len(req.Parameters) > maxParameters {
		errs = append(errs, field.TooMany(params, len(req.Parameters), maxParameters))
	}
	for _, k := range sortedKeys(req.Parameters) {
		if len(req.Parameters[k]) > maxParamValueLength {
			errs = append(errs, field.TooLong(params.Key(k), "", maxParamValueLength))
		}
	}
	return toAPIFields(errs)
}

// sameRequest reports whether claim c is what req asks for, by the same user: a retried request.
func sameRequest(c *naasv1alpha1.NamespaceClaim, req restv1.NamespaceRequest, user string) bool {
	requester := ""
	if c.Spec.Requester != nil {
		requester = c.Spec.Requester.Username
	}
	params := req.Parameters
	if params == nil {
		params = map[string]string{}
	}
	have := c.Spec.Parameters
	if have == nil {
		have = map[string]string{}
	}
	return c.DeletionTimestamp == nil && requester == user && c.Spec.Tenant == req.Tenant &&
		c.Spec.Template == req.Template && c.Spec.Tier == req.Tier && c.Spec.Cluster == req.Cluster && maps.Equal(have, params)
}

func (s *Server) requestNamespace(w http.ResponseWriter, r *http.Request) {
	var req restv1.NamespaceRequest
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	st := stateOf(r)
	st.namespace = req.Name
	st.tenant = req.Tenant
	st.detail("template", req.Template)
	if req.Tier != "" {
		st.detail("tier", req.Tier)
	}
	if req.Cluster != "" {
		st.detail("cluster", req.Cluster)
	}
	if errs := validateNamespaceRequest(req); len(errs) > 0 {
		s.fail(w, r, invalid(errs))
		return
	}
	if !s.allowTenant(w, r, req.Tenant) {
		return
	}
	ctx := r.Context()
	tn, err := s.tenant(ctx, req.Tenant)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := callerOf(r)
	// A tenant the caller may not see is answered exactly as one that does not exist, as GET /tenants/{name}
	// does, so that the API does not tell outsiders which tenants exist.
	if tn == nil || !tenancy.Authorize(u, tn, tenancy.ActionView, nil).Allowed {
		if tn != nil {
			st.reason = fmt.Sprintf("user %q is not a member of tenant %q", u.Name, tn.Name)
		}
		s.fail(w, r, invalid(withHints(field.ErrorList{field.NotFound(field.NewPath("tenant"), req.Tenant)})))
		return
	}
	caller := stateOf(r).user
	claim := &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: req.Name},
		Spec: naasv1alpha1.NamespaceClaimSpec{
			Tenant: req.Tenant, Template: req.Template, Tier: req.Tier, Parameters: req.Parameters, Cluster: req.Cluster,
			Requester: &naasv1alpha1.Requester{Username: caller.Name, Groups: limitGroups(caller.Groups)},
		},
	}
	if d := tenancy.Authorize(u, tn, tenancy.ActionCreateNamespace, claim); !d.Allowed {
		s.fail(w, r, forbidden("%s", d.Reason))
		return
	}
	// Before the name is looked up: a name another tenant's prefix reserves is refused the same whether that
	// tenant holds it yet or not, so the answer tells nothing about another tenant's namespaces.
	prefixes, err := cacheindex.PrefixesReserving(ctx, s.cfg.Cache, req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := tenancy.CheckReservedName(req.Name, tn.Name, prefixes, tenancy.IsPlatformAdmin(u)); err != nil {
		s.fail(w, r, invalid(toAPIFields(field.ErrorList{err})))
		return
	}

	existing, err := s.claim(ctx, req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if existing != nil {
		if sameRequest(existing, req, caller.Name) {
			st.reason = "the same request was made before; nothing changed"
			s.writeJSON(w, http.StatusOK, namespaceOf(existing))
			return
		}
		s.fail(w, r, conflict("namespace %q is already claimed%s; choose another name", req.Name, claimedBy(u, existing, tn)))
		return
	}

	tpl, err := s.template(ctx, req.Template)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var tier *naasv1alpha1.Tier
	if name := tenancy.EffectiveTier(claim, tpl); name != "" {
		if tier, err = s.tier(ctx, name); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	current, err := s.countClaims(ctx, tn.Name, req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	errs := tenancy.ValidateCreate(claim, tn, tpl, tier, current)
	ns, err := s.namespaceMeta(ctx, req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Admission lets platform admins through with a warning (GitOps applies in any order); the API refuses
	// everyone alike rather than leave a claim behind that can never be provisioned.
	if e := tenancy.ValidateExistingNamespace(claim, ns); e != nil {
		errs = append(errs, e)
	}
	if req.Cluster != "" {
		clusters := &naasv1alpha1.ClusterList{}
		if err := s.cfg.Cache.List(ctx, clusters); err != nil {
			s.fail(w, r, fmt.Errorf("list clusters: %w", err))
			return
		}
		if e := fleet.CheckRequested(claim, tn, tpl, tier, clusters.Items); e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		s.fail(w, r, invalid(withHints(toAPIFields(errs))))
		return
	}

	if err := s.cfg.AsCaller.Create(withCaller(ctx, caller), claim); err != nil {
		s.fail(w, r, fmt.Errorf("create namespace claim %s as %s: %w", claim.Name, caller.Name, err))
		return
	}
	if tpl != nil && tpl.Spec.RequiresApproval {
		st.detail("requiresApproval", "true")
	}
	s.awaitMemberAccess(ctx, caller, claim.Name)
	w.Header().Set("Location", statusURL(claim.Name))
	s.writeJSON(w, http.StatusAccepted, namespaceOf(claim))
}

// namespaceMeta reads the metadata of the namespace name from the API server; nil when there is none.
func (s *Server) namespaceMeta(ctx context.Context, name string) (*metav1.ObjectMeta, error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	err := s.cfg.Reader.Get(ctx, client.ObjectKey{Name: name}, m)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read namespace %s: %w", name, err)
	}
	return &m.ObjectMeta, nil
}

// withHints says, for a tenant, template or tier that does not exist, where to find the ones that do.
func withHints(errs field.ErrorList) field.ErrorList {
	hints := map[string]string{
		"tenant":   "GET /api/v1/me lists the tenants you belong to",
		"template": "GET /api/v1/catalog/templates lists the catalog",
		"tier":     "GET /api/v1/tiers lists the tiers",
	}
	for _, e := range errs {
		hint, ok := hints[e.Field]
		switch {
		case !ok || e.Type != field.ErrorTypeNotFound || e.Detail != "":
		case e.Field == "tenant":
			e.Detail = fmt.Sprintf("tenant %q does not exist or you are not a member of it; %s", e.BadValue, hint)
		default:
			e.Detail = fmt.Sprintf("%s %q does not exist; %s", e.Field, e.BadValue, hint)
		}
	}
	return errs
}

// claimedBy says, to a caller who may see it, which tenant holds a name already.
func claimedBy(u tenancy.User, c *naasv1alpha1.NamespaceClaim, requested *naasv1alpha1.Tenant) string {
	if c.Spec.Tenant == requested.Name {
		return fmt.Sprintf(" by tenant %q", c.Spec.Tenant)
	}
	if tenancy.IsPlatformAdmin(u) {
		return fmt.Sprintf(" by tenant %q", c.Spec.Tenant)
	}
	return ""
}

// limitGroups keeps the requester's groups within what the claim can record.
func limitGroups(groups []string) []string {
	if len(groups) > maxRequesterGroups {
		return slices.Clone(groups[:maxRequesterGroups])
	}
	return slices.Clone(groups)
}

// countClaims is the number of the tenant's namespaces while the claim named except is being created
// (tenancy.HoldsNamespace: deleting claims count until their namespace is gone), as the claim webhook counts.
func (s *Server) countClaims(ctx context.Context, tenant, except string) (int, error) {
	claims, err := s.claimsByIndex(ctx, cacheindex.ClaimTenant, tenant)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range claims {
		if tenancy.HoldsNamespace(c, except) {
			n++
		}
	}
	return n, nil
}

func (s *Server) updateQuota(w http.ResponseWriter, r *http.Request) {
	var req restv1.QuotaUpdate
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	st := stateOf(r)
	st.detail("tier", req.Tier)
	c, tn, ok := s.claimFor(w, r, tenancy.ActionUpdateNamespace)
	if !ok {
		return
	}
	var errs field.ErrorList
	switch {
	case req.Tier == "":
		errs = append(errs, field.Required(field.NewPath("tier"), "name the tier to move the namespace to (see GET /api/v1/tiers)"))
	case len(req.Tier) > maxNameLength:
		errs = append(errs, field.TooLong(field.NewPath("tier"), "", maxNameLength))
	}
	if len(errs) > 0 {
		s.fail(w, r, invalid(errs))
		return
	}
	st.detail("previousTier", c.Status.Tier)
	if c.DeletionTimestamp != nil {
		s.fail(w, r, conflict("namespace %q is being deleted; its tier cannot change", c.Name))
		return
	}
	if c.Spec.Tier == req.Tier {
		st.reason = "the namespace already has that tier; nothing changed"
		s.writeJSON(w, http.StatusOK, namespaceOf(c))
		return
	}
	ctx := r.Context()
	updated := c.DeepCopy()
	updated.Spec.Tier = req.Tier
	tpl, err := s.template(ctx, c.Spec.Template)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tier, err := s.tier(ctx, req.Tier)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Only the tier is this request's business: other problems of the claim (a naming rule added since it was
	// made, say) must not block a tier change.
	var tierErrs field.ErrorList
	for _, e := range tenancy.ValidateClaim(updated, tn, tpl, tier) {
		if e.Field == field.NewPath("spec", "tier").String() {
			tierErrs = append(tierErrs, e)
		}
	}
	caller := st.user
	if !tenancy.IsPlatformAdmin(callerOf(r)) && c.Status.Tier != "" {
		oldTier, err := s.tier(ctx, c.Status.Tier)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if e := tenancy.CheckTierGrowth(c, tn, oldTier, tier); e != nil {
			tierErrs = append(tierErrs, e)
		}
	}
	if len(tierErrs) > 0 {
		s.fail(w, r, invalid(withHints(toAPIFields(tierErrs))))
		return
	}
	if err := s.cfg.AsCaller.Patch(withCaller(ctx, caller), updated, client.MergeFrom(c)); err != nil {
		s.fail(w, r, fmt.Errorf("change the tier of namespace claim %s as %s: %w", c.Name, caller.Name, err))
		return
	}
	w.Header().Set("Location", statusURL(c.Name))
	s.writeJSON(w, http.StatusAccepted, namespaceOf(updated))
}

func (s *Server) deleteNamespace(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.claimFor(w, r, tenancy.ActionDeleteNamespace)
	if !ok {
		return
	}
	st := stateOf(r)
	if c.DeletionTimestamp == nil {
		caller := st.user
		err := s.cfg.AsCaller.Delete(withCaller(r.Context(), caller), c, client.Preconditions{UID: &c.UID})
		if err != nil && !apierrors.IsNotFound(err) {
			s.fail(w, r, fmt.Errorf("delete namespace claim %s as %s: %w", c.Name, caller.Name, err))
			return
		}
		now := metav1.NewTime(s.cfg.Now())
		c.DeletionTimestamp = &now
	} else {
		st.reason = "the namespace was already being deleted"
	}
	w.Header().Set("Location", statusURL(c.Name))
	s.writeJSON(w, http.StatusAccepted, namespaceOf(c))
}

// memberAccessWait bounds how long a request for a namespace waits for its caller's access to the new claim.
const memberAccessWait = 3 * time.Second

// awaitMemberAccess waits, for at most memberAccessWait, until the caller may read the new claim through the API
// server: naas names a new claim in its tenant's access role a moment after it is created (docs/security.md,
// "Reading tenants and claims"), and kube-apiserver's authorizer sees the role a moment after that; until then the
// members' own reads and writes of it, through kubectl or through this API (which writes as the caller), are
// refused by RBAC. It asks the authorizer itself, with a read as the caller, so that the answer means what the
// caller's next request will meet. The claim exists either way, so access that is late is only logged.
func (s *Server) awaitMemberAccess(ctx context.Context, caller *authn.User, claim string) {
	ctx, cancel := context.WithTimeout(withCaller(ctx, caller), memberAccessWait)
	defer cancel()
	err := wait.PollUntilContextCancel(ctx, 25*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		err := s.cfg.AsCaller.Get(ctx, client.ObjectKey{Name: claim}, &naasv1alpha1.NamespaceClaim{})
		switch {
		case err == nil:
			return true, nil
		case apierrors.IsForbidden(err) || apierrors.IsNotFound(err):
			return false, nil
		default:
			return false, err
		}
	})
	if err != nil {
		s.cfg.Log.Info("The caller's access to a new claim is not in place yet; answering anyway", "claim", claim, "user", caller.Name, "error", err.Error())
	}
}
