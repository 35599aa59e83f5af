package portal

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

// requestForm is the form to request a namespace, generated from the template's parameters.
type requestForm struct {
	Template restv1.Template
	Tenants  []tenantOption
	Tiers    []restv1.Tier
	// Clusters are the clusters the user may place namespaces on (GET /clusters); the form offers a choice when
	// there is more than one.
	Clusters []string
	// Name, Tenant, Tier and Cluster are the values entered.
	Name, Tenant, Tier, Cluster string
	Params                      []paramField
	// Errors are the API's field errors by form field; General are those of no field, and refusals.
	Errors  map[string]string
	General []string
}

type tenantOption struct {
	Name, Role, Prefix string
}

// paramField is one template parameter as a form input.
type paramField struct {
	restv1.Parameter
	// Field is the input's name: the API's field name, "parameters.<name>".
	Field string
	Value string
	// Options are the choices of a select (an enum or a boolean); empty for a text input.
	Options []string
	Numeric bool
}

func (f *requestForm) fieldNames() []string {
	names := []string{"name", "tenant", "template", "tier", "cluster"}
	for _, p := range f.Params {
		names = append(names, p.Field)
	}
	return names
}

// paramFields builds the inputs of t's parameters, filled with values (by parameter name).
func paramFields(t restv1.Template, values map[string]string) []paramField {
	out := make([]paramField, 0, len(t.Parameters))
	for _, p := range t.Parameters {
		f := paramField{Parameter: p, Field: "parameters." + p.Name, Value: values[p.Name]}
		switch {
		case len(p.Enum) > 0:
			f.Options = p.Enum
		case p.Type == "boolean":
			f.Options = []string{"true", "false"}
		case p.Type == "integer":
			f.Numeric = true
		}
		out = append(out, f)
	}
	return out
}

// loadRequestForm reads what the form offers: the template, the tenants the user may request namespaces in,
// and the tiers.
func (p *Portal) loadRequestForm(r *http.Request, sess *Session, templateID string) (*requestForm, error) {
	ctx := r.Context()
	f := &requestForm{Errors: map[string]string{}}
	if err := p.api.get(ctx, r, sess, pathf("/catalog/templates/%s", templateID), &f.Template); err != nil {
		return nil, err
	}
	var tenants restv1.TenantList
	if err := p.api.get(ctx, r, sess, "/tenants", &tenants); err != nil {
		return nil, err
	}
	for _, t := range tenants.Items {
		// Platform admins (YourRole empty) may request in every tenant; viewers may not request at all.
		if t.YourRole == "viewer" {
			continue
		}
		o := tenantOption{Name: t.Name, Role: t.YourRole}
		if t.Naming != nil {
			o.Prefix = t.Naming.Prefix
		}
		f.Tenants = append(f.Tenants, o)
	}
	var tiers restv1.TierList
	if err := p.api.get(ctx, r, sess, "/tiers", &tiers); err != nil {
		return nil, err
	}
	f.Tiers = tiers.Items
	// The clusters the user may use; a refusal leaves the choice to naas.
	var clusters restv1.ClusterList
	if err := p.api.get(ctx, r, sess, "/clusters", &clusters); err == nil {
		for _, c := range clusters.Items {
			f.Clusters = append(f.Clusters, c.Name)
		}
	}
	return f, nil
}

func (p *Portal) handleRequestForm(w http.ResponseWriter, r *http.Request, sess *Session) {
	id := r.URL.Query().Get("template")
	if id == "" {
		http.Redirect(w, r, "/catalog", http.StatusSeeOther)
		return
	}
	f, err := p.loadRequestForm(r, sess, id)
	if err != nil {
		if hasStatus(err, http.StatusNotFound) {
			p.errorPage(w, r, sess, http.StatusNotFound, "The catalog has no template "+id+". Pick one from the catalog.")
			return
		}
		p.fail(w, r, sess, err)
		return
	}
	f.Tenant = r.URL.Query().Get("tenant")
	if f.Tenant == "" && len(f.Tenants) == 1 {
		f.Tenant = f.Tenants[0].Name
	}
	defaults := map[string]string{}
	for _, prm := range f.Template.Parameters {
		if prm.Default != nil {
			defaults[prm.Name] = *prm.Default
		}
	}
	f.Params = paramFields(f.Template, defaults)
	p.show(w, r, sess, nil, http.StatusOK, "request", "Request a namespace", "catalog", f)
}

// handleRequest sends the form to the API: the API validates it exactly as it validates any request
// (tenancy.ValidateCreate) and its field errors are shown at their inputs.
func (p *Portal) handleRequest(w http.ResponseWriter, r *http.Request, sess *Session) {
	form := r.PostForm
	f, err := p.loadRequestForm(r, sess, form.Get("template"))
	if err != nil {
		if hasStatus(err, http.StatusNotFound) {
			p.errorPage(w, r, sess, http.StatusNotFound, "The catalog has no template "+form.Get("template")+". Pick one from the catalog.")
			return
		}
		p.fail(w, r, sess, err)
		return
	}
	req := restv1.NamespaceRequest{
		Name:     strings.TrimSpace(form.Get("name")),
		Tenant:   form.Get("tenant"),
		Template: f.Template.ID,
		Tier:     form.Get("tier"),
		Cluster:  form.Get("cluster"),
	}
	values := map[string]string{}
	for _, prm := range f.Template.Parameters {
		v := strings.TrimSpace(form.Get("parameters." + prm.Name))
		values[prm.Name] = v
		if v != "" { // An empty input leaves the parameter to its default.
			if req.Parameters == nil {
				req.Parameters = map[string]string{}
			}
			req.Parameters[prm.Name] = v
		}
	}
	f.Name, f.Tenant, f.Tier, f.Cluster = req.Name, req.Tenant, req.Tier, req.Cluster
	f.Params = paramFields(f.Template, values)

	err = p.api.call(r.Context(), r, sess, http.MethodPost, "/namespaces/request", req, nil)
	if err == nil {
		http.Redirect(w, r, "/namespaces/"+url.PathEscape(req.Name)+"/progress", http.StatusSeeOther)
		return
	}
	ae, ok := asAPIError(err)
	if !ok || !slices.Contains([]int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity}, ae.Status) {
		p.fail(w, r, sess, err)
		return
	}
	f.Errors, f.General = formErrors(ae.Problem.Errors, f.fieldNames())
	if len(ae.Problem.Errors) == 0 {
		f.General = append(f.General, ae.Problem.Detail)
	}
	p.show(w, r, sess, nil, ae.Status, "request", "Request a namespace", "catalog", f)
}
