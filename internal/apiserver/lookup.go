package apiserver

import (
	"context"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
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

// tenants returns every tenant by name, from the cache.
func (s *Server) tenants(ctx context.Context) (map[string]*naasv1alpha1.Tenant, error) {
	list := &naasv1alpha1.TenantList{}
	if err := s.cfg.Cache.List(ctx, list); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	out := make(map[string]*naasv1alpha1.Tenant, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out, nil
}

// visibleClaims returns the claims the caller may view, optionally of one tenant only, by name.
func (s *Server) visibleClaims(ctx context.Context, u tenancy.User, onlyTenant string) ([]naasv1alpha1.NamespaceClaim, map[string]*naasv1alpha1.Tenant, error) {
	tenants, err := s.tenants(ctx)
	if err != nil {
		return nil, nil, err
	}
	list := &naasv1alpha1.NamespaceClaimList{}
	if err := s.cfg.Cache.List(ctx, list); err != nil {
		return nil, nil, fmt.Errorf("list namespace claims: %w", err)
	}
	var out []naasv1alpha1.NamespaceClaim
	for _, c := range list.Items {
		if onlyTenant != "" && c.Spec.Tenant != onlyTenant {
			continue
		}
		if tenancy.Authorize(u, tenants[c.Spec.Tenant], tenancy.ActionView, &c).Allowed {
			out = append(out, c)
		}
	}
	sortByName(out)
	return out, tenants, nil
}

func sortByName(claims []naasv1alpha1.NamespaceClaim) {
	for i := 1; i < len(claims); i++ {
		for j := i; j > 0 && claims[j].Name < claims[j-1].Name; j-- {
			claims[j], claims[j-1] = claims[j-1], claims[j]
		}
	}
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
