package apiserver

import (
	"fmt"
	"net/http"
	"sort"

	corev1 "k8s.io/api/core/v1"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/tenancy"
)

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) {
	list := &naasv1alpha1.NamespaceTemplateList{}
	if err := s.cfg.Cache.List(r.Context(), list); err != nil {
		s.fail(w, r, fmt.Errorf("list templates: %w", err))
		return
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	out := restv1.TemplateList{Items: make([]restv1.Template, 0, len(list.Items))}
	for i := range list.Items {
		out.Items = append(out.Items, templateOf(&list.Items[i]))
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	tpl, err := s.template(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if tpl == nil {
		s.fail(w, r, notFound("template %q not found; GET %s/catalog/templates lists the catalog", id, restv1.Prefix))
		return
	}
	s.writeJSON(w, http.StatusOK, templateOf(tpl))
}

func (s *Server) listTiers(w http.ResponseWriter, r *http.Request) {
	list := &naasv1alpha1.TierList{}
	if err := s.cfg.Cache.List(r.Context(), list); err != nil {
		s.fail(w, r, fmt.Errorf("list tiers: %w", err))
		return
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	out := restv1.TierList{Items: make([]restv1.Tier, 0, len(list.Items))}
	for i := range list.Items {
		out.Items = append(out.Items, tierOf(&list.Items[i]))
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	tenants, err := s.tenants(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := callerOf(r)
	me := restv1.Me{
		Username: st.user.Name, UID: st.user.UID, Groups: st.user.Groups,
		PlatformAdmin: tenancy.IsPlatformAdmin(u), Tenants: []restv1.TenantMembership{},
	}
	for _, name := range sortedKeys(tenants) {
		if role, ok := tenancy.RoleOf(u, tenants[name]); ok {
			me.Tenants = append(me.Tenants, restv1.TenantMembership{Tenant: name, Role: string(role)})
		}
	}
	s.writeJSON(w, http.StatusOK, me)
}

// quantities renders a resource list as strings, as kubectl shows them.
func quantities(l corev1.ResourceList) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[string(k)] = v.String()
	}
	return out
}
