package portal

import (
	"net/http"
	"net/url"
	"slices"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

// tenantsView lists the tenants the user belongs to; platform admins see every tenant.
type tenantsView struct {
	PlatformAdmin bool
	Tenants       []tenantRow
}

type tenantRow struct {
	restv1.Tenant
	Budgets []restv1.Money
	Admins  int
}

func (p *Portal) handleTenants(w http.ResponseWriter, r *http.Request, sess *Session) {
	ctx := r.Context()
	me, err := p.me(r, sess)
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	var list restv1.TenantList
	if err := p.api.get(ctx, r, sess, "/tenants", &list); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	var costs restv1.CostReport
	if err := p.api.get(ctx, r, sess, "/analytics/costs", &costs); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	budgets := map[string][]restv1.Money{}
	for _, c := range costs.Tenants {
		budgets[c.Tenant] = c.Budgets
	}
	v := tenantsView{PlatformAdmin: me.PlatformAdmin}
	for _, t := range list.Items {
		row := tenantRow{Tenant: t, Budgets: budgets[t.Name]}
		for _, m := range t.Members {
			if m.Role == "admin" {
				row.Admins++
			}
		}
		v.Tenants = append(v.Tenants, row)
	}
	title := "My tenants"
	if me.PlatformAdmin {
		title = "All tenants"
	}
	p.show(w, r, sess, me, http.StatusOK, "tenants", title, "tenants", v)
}

// tenantView is the tenant page.
type tenantView struct {
	Tenant      restv1.Tenant
	CanManage   bool
	Namespaces  []namespaceRow
	Usage       []UsageRow
	Budgets     []restv1.Money
	MemberForm  memberForm
	RemoveError string
}

// memberForm is the form to add a member or change a member's role.
type memberForm struct {
	Kind, Name, Namespace, Role string
	Errors                      map[string]string
	General                     []string
	Done                        string
}

var memberFields = []string{"kind", "name", "namespace", "role"}

func (p *Portal) loadTenant(w http.ResponseWriter, r *http.Request, sess *Session, me *restv1.Me, name string) (*tenantView, bool) {
	ctx := r.Context()
	v := &tenantView{MemberForm: memberForm{Kind: "User", Role: "developer", Errors: map[string]string{}}}
	t, ok := p.tenant(w, r, sess, name)
	if !ok {
		return nil, false
	}
	v.Tenant = *t
	v.CanManage = v.Tenant.YourRole == "admin" || me.PlatformAdmin
	q := url.Values{"tenant": {name}}.Encode()
	var list restv1.NamespaceList
	if err := p.api.get(ctx, r, sess, "/namespaces?"+q, &list); err != nil {
		p.fail(w, r, sess, err)
		return nil, false
	}
	var usage restv1.UsageReport
	if err := p.api.get(ctx, r, sess, "/analytics/usage?"+q, &usage); err != nil {
		p.fail(w, r, sess, err)
		return nil, false
	}
	byNS := map[string]restv1.Usage{}
	for _, u := range usage.Namespaces {
		byNS[u.Namespace] = u.Resources
	}
	for _, ns := range list.Items {
		v.Namespaces = append(v.Namespaces, namespaceRow{Namespace: ns, Usage: usageRows(byNS[ns.Name], summaryResources)})
	}
	for _, t := range usage.Tenants {
		if t.Tenant == name {
			v.Usage = usageRows(t.Resources, nil)
		}
	}
	var costs restv1.CostReport
	if err := p.api.get(ctx, r, sess, "/analytics/costs?"+q, &costs); err != nil {
		p.fail(w, r, sess, err)
		return nil, false
	}
	for _, c := range costs.Tenants {
		if c.Tenant == name {
			v.Budgets = c.Budgets
		}
	}
	return v, true
}

func (p *Portal) handleTenant(w http.ResponseWriter, r *http.Request, sess *Session) {
	me, err := p.me(r, sess)
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	v, ok := p.loadTenant(w, r, sess, me, r.PathValue("tenant"))
	if !ok {
		return
	}
	if d := r.URL.Query().Get("done"); d != "" {
		v.MemberForm.Done = d
	}
	p.show(w, r, sess, me, http.StatusOK, "tenant", tenantTitle(v.Tenant), "tenants", v)
}

func tenantTitle(t restv1.Tenant) string {
	if t.DisplayName != "" {
		return t.DisplayName
	}
	return t.Name
}

// handleAddMember adds a member or changes a member's role, through the API (which lets only tenant admins and
// platform admins do it, and keeps the last admin).
func (p *Portal) handleAddMember(w http.ResponseWriter, r *http.Request, sess *Session) {
	name := r.PathValue("tenant")
	m := restv1.Member{
		Kind: r.PostForm.Get("kind"), Name: r.PostForm.Get("name"), Role: r.PostForm.Get("role"),
	}
	if m.Kind == "ServiceAccount" {
		m.Namespace = r.PostForm.Get("namespace")
	}
	err := p.api.call(r.Context(), r, sess, http.MethodPost, pathf("/tenants/%s/members", name), m, nil)
	if err == nil {
		done := m.Name + " is now " + m.Role + " of this tenant."
		http.Redirect(w, r, pathf("/tenants/%s", name)+"?done="+url.QueryEscape(done)+"#members", http.StatusSeeOther)
		return
	}
	p.memberFormError(w, r, sess, name, err, func(v *tenantView, errs map[string]string, general []string) {
		v.MemberForm = memberForm{Kind: m.Kind, Name: m.Name, Namespace: m.Namespace, Role: m.Role, Errors: errs, General: general}
	})
}

// handleRemoveMember removes a member through the API.
func (p *Portal) handleRemoveMember(w http.ResponseWriter, r *http.Request, sess *Session) {
	name := r.PathValue("tenant")
	kind, subject := r.PostForm.Get("kind"), r.PostForm.Get("name")
	if kind == "ServiceAccount" {
		subject = r.PostForm.Get("namespace") + ":" + subject
	}
	err := p.api.call(r.Context(), r, sess, http.MethodDelete, pathf("/tenants/%s/members/%s/%s", name, kind, subject), nil, nil)
	if err == nil {
		done := r.PostForm.Get("name") + " is no longer a member of this tenant."
		http.Redirect(w, r, pathf("/tenants/%s", name)+"?done="+url.QueryEscape(done)+"#members", http.StatusSeeOther)
		return
	}
	p.memberFormError(w, r, sess, name, err, func(v *tenantView, _ map[string]string, general []string) {
		v.RemoveError = "Could not remove " + r.PostForm.Get("name") + ": "
		if len(general) > 0 {
			v.RemoveError += general[0]
		}
	})
}

// memberFormError shows the tenant page again with the API's refusal of a member change.
func (p *Portal) memberFormError(w http.ResponseWriter, r *http.Request, sess *Session, tenant string, err error,
	apply func(v *tenantView, errs map[string]string, general []string)) {
	ae, ok := asAPIError(err)
	if !ok || !slices.Contains([]int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusNotFound}, ae.Status) {
		p.fail(w, r, sess, err)
		return
	}
	me, err := p.me(r, sess)
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	v, ok := p.loadTenant(w, r, sess, me, tenant)
	if !ok {
		return
	}
	errs, general := formErrors(ae.Problem.Errors, memberFields)
	if len(ae.Problem.Errors) == 0 {
		general = append(general, ae.Problem.Detail)
	}
	apply(v, errs, general)
	p.show(w, r, sess, me, ae.Status, "tenant", tenantTitle(v.Tenant), "tenants", v)
}

// approvalsView is the approval queue.
type approvalsView struct {
	Items []restv1.Namespace
	// Errors are refusals of a decision, by namespace.
	Errors map[string]string
	Done   string
}

func (p *Portal) handleApprovals(w http.ResponseWriter, r *http.Request, sess *Session) {
	v, ok := p.loadApprovals(w, r, sess)
	if !ok {
		return
	}
	v.Done = r.URL.Query().Get("done")
	p.show(w, r, sess, nil, http.StatusOK, "approvals", "Approvals", "approvals", v)
}

func (p *Portal) loadApprovals(w http.ResponseWriter, r *http.Request, sess *Session) (*approvalsView, bool) {
	var list restv1.NamespaceList
	if err := p.api.get(r.Context(), r, sess, "/approvals", &list); err != nil {
		p.fail(w, r, sess, err)
		return nil, false
	}
	return &approvalsView{Items: list.Items, Errors: map[string]string{}}, true
}

// handleDecision approves or rejects a pending namespace through the API.
func (p *Portal) handleDecision(w http.ResponseWriter, r *http.Request, sess *Session) {
	name, decision := r.PathValue("namespace"), r.PathValue("decision")
	if decision != "approve" && decision != "reject" {
		p.errorPage(w, r, sess, http.StatusNotFound, "A namespace can be approved or rejected, nothing else.")
		return
	}
	body := restv1.ApprovalDecision{Reason: r.PostForm.Get("reason")}
	err := p.api.call(r.Context(), r, sess, http.MethodPost, pathf("/approvals/%s/%s", name, decision), body, nil)
	if err == nil {
		verb := "approved"
		if decision == "reject" {
			verb = "rejected"
		}
		http.Redirect(w, r, "/approvals?done="+url.QueryEscape("Namespace "+name+" was "+verb+"."), http.StatusSeeOther)
		return
	}
	ae, ok := asAPIError(err)
	if !ok || !slices.Contains([]int{http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusBadRequest, http.StatusNotFound}, ae.Status) {
		p.fail(w, r, sess, err)
		return
	}
	v, ok := p.loadApprovals(w, r, sess)
	if !ok {
		return
	}
	msg := ae.Problem.Detail
	for _, fe := range ae.Problem.Errors {
		msg = fe.Message
	}
	v.Errors[name] = msg
	p.show(w, r, sess, nil, ae.Status, "approvals", "Approvals", "approvals", v)
}
