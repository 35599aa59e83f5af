package portal

import (
	"net/http"
	"net/url"
	"sort"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

// homeView is the "My namespaces" page: the user's namespaces, grouped by tenant.
type homeView struct {
	Groups []tenantGroup
	// Tenants is how many tenants the user belongs to; with none, the page says how to get into one.
	Tenants       int
	PlatformAdmin bool
}

type tenantGroup struct {
	Tenant string
	// Role is the user's role in the tenant; empty for a platform admin who is not a member.
	Role       string
	CanRequest bool
	Namespaces []namespaceRow
}

type namespaceRow struct {
	restv1.Namespace
	Usage []UsageRow
}

func (p *Portal) handleHome(w http.ResponseWriter, r *http.Request, sess *Session) {
	ctx := r.Context()
	me, err := p.me(r, sess)
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	var list restv1.NamespaceList
	if err := p.api.get(ctx, r, sess, "/namespaces", &list); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	var usage restv1.UsageReport
	if err := p.api.get(ctx, r, sess, "/analytics/usage", &usage); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	byNS := map[string]restv1.Usage{}
	for _, u := range usage.Namespaces {
		byNS[u.Namespace] = u.Resources
	}
	v := homeView{Tenants: len(me.Tenants), PlatformAdmin: me.PlatformAdmin}
	groups := map[string]*tenantGroup{}
	var order []string
	group := func(tenant string) *tenantGroup {
		g := groups[tenant]
		if g == nil {
			g = &tenantGroup{Tenant: tenant}
			groups[tenant] = g
			order = append(order, tenant)
		}
		return g
	}
	for _, m := range me.Tenants {
		g := group(m.Tenant)
		g.Role = m.Role
		g.CanRequest = m.Role == "admin" || m.Role == "developer"
	}
	for _, ns := range list.Items {
		g := group(ns.Tenant)
		if me.PlatformAdmin {
			g.CanRequest = true
		}
		g.Namespaces = append(g.Namespaces, namespaceRow{Namespace: ns, Usage: usageRows(byNS[ns.Name], summaryResources)})
	}
	sort.Strings(order)
	for _, t := range order {
		v.Groups = append(v.Groups, *groups[t])
	}
	title := "My namespaces"
	status := http.StatusOK
	pg, err := p.newPage(r, sess, me, title, "home", v)
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	if d := r.URL.Query().Get("deleted"); d != "" {
		pg.Flash = "Namespace " + d + " is being deleted. It disappears from this list once everything in it is gone."
	}
	p.render(w, r, status, "home", pg)
}

// catalogView is the catalog: templates and tiers.
type catalogView struct {
	Templates []restv1.Template
	Tiers     []tierView
}

type tierView struct {
	restv1.Tier
	// Key are the limits people compare tiers by; Quota is every hard limit, by resource name.
	Key, Quota []quotaItem
}

// keyResources are the quota resources the catalog shows at a glance.
var keyResources = []string{"limits.cpu", "limits.memory", "pods", "requests.storage", "services.loadbalancers"}

type quotaItem struct{ Resource, Label, Value string }

func tierViewOf(t restv1.Tier) tierView {
	v := tierView{Tier: t}
	for _, name := range sortedKeys(t.Quota) {
		label := name
		if l, ok := resourceLabels[name]; ok {
			label = l
		}
		v.Quota = append(v.Quota, quotaItem{Resource: name, Label: label, Value: t.Quota[name]})
	}
	for _, name := range keyResources {
		if val, ok := t.Quota[name]; ok {
			v.Key = append(v.Key, quotaItem{Resource: name, Label: resourceLabels[name], Value: val})
		}
	}
	return v
}

func (p *Portal) handleCatalog(w http.ResponseWriter, r *http.Request, sess *Session) {
	ctx := r.Context()
	var templates restv1.TemplateList
	if err := p.api.get(ctx, r, sess, "/catalog/templates", &templates); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	var tiers restv1.TierList
	if err := p.api.get(ctx, r, sess, "/tiers", &tiers); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	v := catalogView{Templates: templates.Items}
	for _, t := range tiers.Items {
		v.Tiers = append(v.Tiers, tierViewOf(t))
	}
	p.show(w, r, sess, nil, http.StatusOK, "catalog", "Catalog", "catalog", v)
}

// templateView is one catalog entry with its runbook.
type templateView struct {
	restv1.Template
	QuotaAdditions []quotaItem
	RequestURL     string
}

func (p *Portal) handleTemplate(w http.ResponseWriter, r *http.Request, sess *Session) {
	id := r.PathValue("template")
	var t restv1.Template
	if err := p.api.get(r.Context(), r, sess, pathf("/catalog/templates/%s", id), &t); err != nil {
		if hasStatus(err, http.StatusNotFound) {
			p.errorPage(w, r, sess, http.StatusNotFound, "The catalog has no template "+id+". The catalog page lists the templates there are.")
			return
		}
		p.fail(w, r, sess, err)
		return
	}
	v := templateView{Template: t, RequestURL: "/request?template=" + url.QueryEscape(t.ID)}
	for _, name := range sortedKeys(t.QuotaAdditions) {
		label := name
		if l, ok := resourceLabels[name]; ok {
			label = l
		}
		v.QuotaAdditions = append(v.QuotaAdditions, quotaItem{Resource: name, Label: label, Value: t.QuotaAdditions[name]})
	}
	p.show(w, r, sess, nil, http.StatusOK, "template", t.DisplayName, "catalog", v)
}
