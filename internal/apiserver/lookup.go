package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/tenancy"
)

// get reads the cluster-scoped object name into obj from the cache, falling back to the API server on a miss
// (an object written a moment ago may not be cached yet). It returns false when there is no such object.
func (s *Server) get(ctx context.Context, name string, obj client.Object) (bool, error) {
	if name == "" {
		return false, nil
	}
	key := client.ObjectKey{Name: name}
	err := s.cfg.Cache.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) {
		err = s.cfg.Reader.Get(ctx, key, obj)
	}
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read %T %s: %w", obj, name, err)
	}
	return true, nil
}

func (s *Server) claim(ctx context.Context, name string) (*naasv1alpha1.NamespaceClaim, error) {
	c := &naasv1alpha1.NamespaceClaim{}
	found, err := s.get(ctx, name, c)
	if !found {
		return nil, err
	}
	return c, nil
}

func (s *Server) tenant(ctx context.Context, name string) (*naasv1alpha1.Tenant, error) {
	t := &naasv1alpha1.Tenant{}
	found, err := s.get(ctx, name, t)
	if !found {
		return nil, err
	}
	return t, nil
}

func (s *Server) template(ctx context.Context, name string) (*naasv1alpha1.NamespaceTemplate, error) {
	t := &naasv1alpha1.NamespaceTemplate{}
	found, err := s.get(ctx, name, t)
	if !found {
		return nil, err
	}
	return t, nil
}

func (s *Server) tier(ctx context.Context, name string) (*naasv1alpha1.Tier, error) {
	t := &naasv1alpha1.Tier{}
	found, err := s.get(ctx, name, t)
	if !found {
		return nil, err
	}
	return t, nil
}

// tenants returns every tenant by name, from the cache without copies: the tenants share their maps and slices
// with the cache and must only be read.
func (s *Server) tenants(ctx context.Context) (map[string]*naasv1alpha1.Tenant, error) {
	list := &naasv1alpha1.TenantList{}
	if err := s.cfg.Cache.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	out := make(map[string]*naasv1alpha1.Tenant, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out, nil
}

// visibleClaims returns the claims the caller may view (tenancy.Authorize, ActionView), optionally of one tenant
// only, sorted by name; the claims are copies, the tenants read-only (see tenants). Only a platform admin's listing
// reads every claim: anyone else's reads, through the claim indexes, the claims of the tenants they hold a role in
// and those that name these tenants as collaborators, so that a listing costs what the caller may see, not what
// the cluster holds.
func (s *Server) visibleClaims(ctx context.Context, u tenancy.User, onlyTenant string) ([]naasv1alpha1.NamespaceClaim, map[string]*naasv1alpha1.Tenant, error) {
	tenants, err := s.tenants(ctx)
	if err != nil {
		return nil, nil, err
	}
	var candidates []*naasv1alpha1.NamespaceClaim
	switch {
	case onlyTenant != "":
		candidates, err = s.claimsByIndex(ctx, cacheindex.ClaimTenant, onlyTenant)
	case tenancy.IsPlatformAdmin(u):
		candidates, err = s.allClaims(ctx)
	default:
		candidates, err = s.claimsOfMember(ctx, u, tenants)
	}
	if err != nil {
		return nil, nil, err
	}
	out := make([]naasv1alpha1.NamespaceClaim, 0, len(candidates))
	for _, c := range candidates {
		if tenancy.Authorize(u, tenants[c.Spec.Tenant], tenancy.ActionView, c).Allowed {
			out = append(out, naasv1alpha1.NamespaceClaim{})
			c.DeepCopyInto(&out[len(out)-1])
		}
	}
	slices.SortFunc(out, func(a, b naasv1alpha1.NamespaceClaim) int { return strings.Compare(a.Name, b.Name) })
	return out, tenants, nil
}

// claimsOfMember returns, without copies, the claims of the tenants u holds a role in and the claims that name
// these tenants as collaborators, each once.
func (s *Server) claimsOfMember(ctx context.Context, u tenancy.User, tenants map[string]*naasv1alpha1.Tenant) ([]*naasv1alpha1.NamespaceClaim, error) {
	var out []*naasv1alpha1.NamespaceClaim
	seen := map[string]bool{}
	for name, t := range tenants {
		if _, member := tenancy.RoleOf(u, t); !member {
			continue
		}
		for _, index := range []string{cacheindex.ClaimTenant, cacheindex.ClaimCollaborator} {
			claims, err := s.claimsByIndex(ctx, index, name)
			if err != nil {
				return nil, err
			}
			for _, c := range claims {
				if !seen[c.Name] {
					seen[c.Name] = true
					out = append(out, c)
				}
			}
		}
	}
	return out, nil
}

// claimsByIndex returns the claims whose index field is value, from the cache without copies: read them only.
func (s *Server) claimsByIndex(ctx context.Context, index, value string) ([]*naasv1alpha1.NamespaceClaim, error) {
	list := &naasv1alpha1.NamespaceClaimList{}
	if err := s.cfg.Cache.List(ctx, list, client.MatchingFields{index: value}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list the namespace claims with %s=%s: %w", index, value, err)
	}
	return pointers(list.Items), nil
}

// allClaims returns every claim, from the cache without copies: read them only.
func (s *Server) allClaims(ctx context.Context) ([]*naasv1alpha1.NamespaceClaim, error) {
	list := &naasv1alpha1.NamespaceClaimList{}
	if err := s.cfg.Cache.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list namespace claims: %w", err)
	}
	return pointers(list.Items), nil
}

func pointers(items []naasv1alpha1.NamespaceClaim) []*naasv1alpha1.NamespaceClaim {
	out := make([]*naasv1alpha1.NamespaceClaim, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// claimFor finds the claim named by the request's {namespace} and decides action on it for the caller. A claim
// the caller may not even view is reported as not found, so that the API does not tell outsiders which
// namespaces exist; one they may view but not act on is a 403 that says which role would be allowed. The
// claim's tenant is noted for the audit log and its rate limit is spent.
func (s *Server) claimFor(w http.ResponseWriter, r *http.Request, action tenancy.Action) (*naasv1alpha1.NamespaceClaim, *naasv1alpha1.Tenant, bool) {
	name := r.PathValue("namespace")
	st := stateOf(r)
	st.namespace = name
	c, err := s.claim(r.Context(), name)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	if c == nil {
		s.fail(w, r, notFound("namespace %q not found", name))
		return nil, nil, false
	}
	t, err := s.tenant(r.Context(), c.Spec.Tenant)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	u := callerOf(r)
	if !tenancy.Authorize(u, t, tenancy.ActionView, c).Allowed {
		st.reason = fmt.Sprintf("user %q may not view namespace %q of tenant %q", u.Name, name, c.Spec.Tenant)
		s.writeProblem(w, r, notFound("namespace %q not found", name))
		return nil, nil, false
	}
	if !s.allowTenant(w, r, c.Spec.Tenant) {
		return nil, nil, false
	}
	if action != tenancy.ActionView {
		if d := tenancy.Authorize(u, t, action, c); !d.Allowed {
			s.fail(w, r, forbidden("%s", d.Reason))
			return nil, nil, false
		}
	}
	return c, t, true
}
