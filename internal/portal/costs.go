package portal

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/portal/svgchart"
)

// The cost pages show what GET /api/v1/analytics/costs answers the signed-in user, so they see exactly what the
// API lets them see: a tenant member their tenants' namespaces, a platform admin everything. The chart asks the
// API for each of its bars (an hour or a day of the window), the chargeback table is the report's lines, and the
// CSV link is the API's own CSV. Budget bars are drawn from the budget status naas's budget controller writes,
// read from naas's cache only after the API has let the user see the namespace or tenant.

// costView is a cost page: a namespace's, a tenant's or a cost center's.
type costView struct {
	// Scope is "namespace", "tenant" or "costcenter"; Name is the namespace, tenant or cost center.
	Scope, Name string
	Crumbs      []link
	// Action is the page's own path, where the window form goes.
	Action string
	Form   windowForm
	// Report is nil when the window form has errors.
	Report *restv1.CostReport
	Window string
	Chart  template.HTML
	Table  svgchart.Table
	// LinesOf says what the chargeback table's lines are: "Namespace" or "Tenant".
	LinesOf string
	Lines   []chargebackRow
	Charged string
	// CSVURL downloads the API's CSV of the report (the API names the file).
	CSVURL          string
	CSVNote         string
	Budgets         []*budgetView
	Recommendations *recommendationsView
	// RecommendationsURL links a tenant's right-sizing page.
	RecommendationsURL string
	// Share explains that a cost center page shows the user's own tenants' share only.
	Share string
}

// costQuery is the query of an API cost report.
func costQuery(window, aggregate, tenant string) url.Values {
	q := url.Values{"window": {window}, "aggregate": {aggregate}}
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	return q
}

// costReport asks the API for a cost report.
func (p *Portal) costReport(ctx context.Context, r *http.Request, sess *Session, q url.Values) (*restv1.CostReport, error) {
	var rep restv1.CostReport
	if err := p.api.get(ctx, r, sess, "/analytics/costs?"+q.Encode(), &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// lineOf returns the line keyed key, or nil.
func lineOf(rep *restv1.CostReport, key string) *restv1.CostLine {
	for i := range rep.Lines {
		if rep.Lines[i].Key == key {
			return &rep.Lines[i]
		}
	}
	return nil
}

// fillReport asks the API for the page's report (aggregate and tenant as given), then for each bar of its chart
// the report of that bar's hour or day, and keeps the line keyed key (the namespace, tenant or cost center
// itself). keep filters the chargeback table's lines; nil keeps all.
func (p *Portal) fillReport(ctx context.Context, r *http.Request, sess *Session, v *costView, window, aggregate, tenant string,
	chartAggregate, key string, keep func(restv1.CostLine) bool) error {
	rep, err := p.costReport(ctx, r, sess, costQuery(window, aggregate, tenant))
	if err != nil {
		return err
	}
	if keep != nil {
		rep.Lines = slices.DeleteFunc(rep.Lines, func(l restv1.CostLine) bool { return !keep(l) })
	}
	v.Report, v.Window = rep, windowText(rep.Window)
	if v.Lines, err = chargebackRows(*rep, p.lineLink(v.Form, aggregate)); err != nil {
		return err
	}
	bs := buckets(rep.Window)
	costs := make([]restv1.CostBreakdown, len(bs))
	for i, b := range bs {
		br, err := p.costReport(ctx, r, sess, costQuery(b.apiWindow(), chartAggregate, tenant))
		if err != nil {
			return err
		}
		if l := lineOf(br, key); l != nil {
			costs[i] = l.Cost
		}
	}
	title := fmt.Sprintf("Cost of %s %s by component, %s", scopeWord(v.Scope), v.Name, v.Window)
	chart, err := costChart("cost-chart", title, rep.Currency, bs, costs)
	if err != nil {
		return err
	}
	v.Chart, v.Table = chart.SVG(), chart.Table()
	csv := costQuery(window, aggregate, tenant)
	csv.Set("format", "csv")
	v.CSVURL = restv1.Prefix + "/analytics/costs?" + csv.Encode()
	return nil
}

func scopeWord(scope string) string {
	if scope == "costcenter" {
		return "cost center"
	}
	return scope
}

// lineLink links a chargeback line to its own cost page, keeping the window.
func (p *Portal) lineLink(f windowForm, aggregate string) func(restv1.CostLine) string {
	q := "?" + f.Query()
	switch aggregate {
	case restv1.AggregateNamespace:
		return func(l restv1.CostLine) string { return pathf("/namespaces/%s/costs", l.Key) + q }
	case restv1.AggregateTenant:
		return func(l restv1.CostLine) string { return pathf("/tenants/%s/costs", l.Key) + q }
	}
	return nil
}

// showCosts renders a cost page; a window form with errors is a 400 with the errors at the inputs.
func (p *Portal) showCosts(w http.ResponseWriter, r *http.Request, sess *Session, me *restv1.Me, v *costView, title string) {
	status := http.StatusOK
	if len(v.Form.Errors) > 0 {
		status = http.StatusBadRequest
	}
	p.show(w, r, sess, me, status, "costs", title, "costs", v)
}

// handleNamespaceCosts is a namespace's cost page: its cost over time, its chargeback line, its tier's budget
// and its right-sizing.
func (p *Portal) handleNamespaceCosts(w http.ResponseWriter, r *http.Request, sess *Session) {
	ctx := r.Context()
	ns, ok := p.status(w, r, sess, r.PathValue("namespace"))
	if !ok {
		return
	}
	form, window := parseWindow(r.URL.Query())
	v := &costView{
		Scope: "namespace", Name: ns.Name, Form: form, Action: pathf("/namespaces/%s/costs", ns.Name), LinesOf: "Namespace",
		Crumbs:  []link{{"/", "My namespaces"}, {pathf("/tenants/%s/costs", ns.Tenant), ns.Tenant}, {pathf("/namespaces/%s", ns.Name), ns.Name}},
		CSVNote: "The CSV has every namespace of tenant " + ns.Tenant + " you may see.",
	}
	if window != "" {
		keep := func(l restv1.CostLine) bool { return l.Key == ns.Name }
		if err := p.fillReport(ctx, r, sess, v, window, restv1.AggregateNamespace, ns.Tenant, restv1.AggregateNamespace, ns.Name, keep); err != nil {
			p.fail(w, r, sess, err)
			return
		}
	}
	rv, _, err := p.recommendations(ctx, r, sess, ns.Name)
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	v.Recommendations = rv
	// The API has let the user view the namespace: its budget may be read from naas's cache.
	claim := &naasv1alpha1.NamespaceClaim{}
	if err := p.cfg.Cache.Get(ctx, client.ObjectKey{Name: ns.Name}, claim); err == nil && claim.Status.Tier != "" {
		tier := &naasv1alpha1.Tier{}
		if err := p.cfg.Cache.Get(ctx, client.ObjectKey{Name: claim.Status.Tier}, tier); err == nil {
			b, err := budgetOf("budget-namespace", "namespace "+ns.Name+" (tier "+tier.Name+")", tier.Spec.MonthlyBudget, claim.Status.Budget)
			if err != nil {
				p.fail(w, r, sess, err)
				return
			}
			if b != nil {
				v.Budgets = append(v.Budgets, b)
			}
		}
	}
	p.showCosts(w, r, sess, nil, v, "Cost of "+ns.Name)
}

// handleTenantCosts is a tenant's cost page: its cost over time, the chargeback lines of its namespaces and its
// budget.
func (p *Portal) handleTenantCosts(w http.ResponseWriter, r *http.Request, sess *Session) {
	ctx := r.Context()
	name := r.PathValue("tenant")
	tenant, ok := p.tenant(w, r, sess, name)
	if !ok {
		return
	}
	form, window := parseWindow(r.URL.Query())
	v := &costView{
		Scope: "tenant", Name: name, Form: form, Action: pathf("/tenants/%s/costs", name), LinesOf: "Namespace",
		Crumbs:             []link{{"/costs", "Costs"}, {pathf("/tenants/%s", name), tenantTitle(*tenant)}},
		RecommendationsURL: pathf("/tenants/%s/recommendations", name),
	}
	if window != "" {
		if err := p.fillReport(ctx, r, sess, v, window, restv1.AggregateNamespace, name, restv1.AggregateTenant, name, nil); err != nil {
			p.fail(w, r, sess, err)
			return
		}
		if l := p.tenantLine(ctx, r, sess, window, name); l != nil {
			v.Charged, _ = formatAmount(l.Charged, v.Report.Currency)
		}
	}
	tn := &naasv1alpha1.Tenant{}
	if err := p.cfg.Cache.Get(ctx, client.ObjectKey{Name: name}, tn); err == nil {
		b, err := budgetOf("budget-tenant", "tenant "+name, tn.Spec.MonthlyBudget, tn.Status.Budget)
		if err != nil {
			p.fail(w, r, sess, err)
			return
		}
		if b != nil {
			v.Budgets = append(v.Budgets, b)
		}
	}
	p.showCosts(w, r, sess, nil, v, "Cost of "+tenantTitle(*tenant))
}

// tenantLine is the tenant's own line of the window, for the page's total; nil when the API has none.
func (p *Portal) tenantLine(ctx context.Context, r *http.Request, sess *Session, window, tenant string) *restv1.CostLine {
	rep, err := p.costReport(ctx, r, sess, costQuery(window, restv1.AggregateTenant, tenant))
	if err != nil {
		return nil
	}
	return lineOf(rep, tenant)
}

// tenant asks the API for a tenant; one the user may not see is a 403 that does not say whether it exists.
func (p *Portal) tenant(w http.ResponseWriter, r *http.Request, sess *Session, name string) (*restv1.Tenant, bool) {
	var t restv1.Tenant
	if err := p.api.get(r.Context(), r, sess, pathf("/tenants/%s", name), &t); err != nil {
		if hasStatus(err, http.StatusNotFound) {
			p.errorPage(w, r, sess, http.StatusForbidden, "You cannot open tenant "+name+
				": it does not exist, or you are not one of its members.")
			return nil, false
		}
		p.fail(w, r, sess, err)
		return nil, false
	}
	return &t, true
}

// handleCostCenterCosts is a cost center's cost page. Platform admins see the whole cost center and its budget.
// Anyone else sees their own tenants' share of it (what the API shows them), without the cost center's budget,
// which would tell them what other tenants spend; a user with no tenant in the cost center gets a 403.
func (p *Portal) handleCostCenterCosts(w http.ResponseWriter, r *http.Request, sess *Session) {
	ctx := r.Context()
	cc := r.PathValue("costcenter")
	me, err := p.me(r, sess)
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	var tenants restv1.TenantList
	if err := p.api.get(ctx, r, sess, "/tenants", &tenants); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	var mine []string
	for _, t := range tenants.Items {
		if t.CostCenter == cc {
			mine = append(mine, t.Name)
		}
	}
	if !me.PlatformAdmin && len(mine) == 0 {
		p.errorPage(w, r, sess, http.StatusForbidden, "You cannot open cost center "+cc+
			": it does not exist, or none of your tenants belongs to it.")
		return
	}
	form, window := parseWindow(r.URL.Query())
	v := &costView{
		Scope: "costcenter", Name: cc, Form: form, Action: pathf("/costcenters/%s/costs", cc), LinesOf: "Tenant",
		Crumbs:  []link{{"/costs", "Costs"}},
		CSVNote: "The CSV has every tenant you may see, with its cost center.",
	}
	if !me.PlatformAdmin {
		v.Share = "You see the share of your own tenants (" + strings.Join(mine, ", ") + "); platform admins see the whole cost center and its budget."
	}
	if window != "" {
		keep := func(l restv1.CostLine) bool { return l.CostCenter == cc }
		if err := p.fillReport(ctx, r, sess, v, window, restv1.AggregateTenant, "", restv1.AggregateCostCenter, cc, keep); err != nil {
			p.fail(w, r, sess, err)
			return
		}
		rep, err := p.costReport(ctx, r, sess, costQuery(window, restv1.AggregateCostCenter, ""))
		if err != nil {
			p.fail(w, r, sess, err)
			return
		}
		if l := lineOf(rep, cc); l != nil {
			v.Charged, _ = formatAmount(l.Charged, rep.Currency)
		}
	}
	if me.PlatformAdmin {
		policy := &naasv1alpha1.CostPolicy{}
		if err := p.cfg.Cache.Get(ctx, client.ObjectKey{Name: naasv1alpha1.DefaultCostPolicyName}, policy); err == nil {
			for _, cb := range policy.Spec.CostCenterBudgets {
				if cb.CostCenter != cc {
					continue
				}
				var status *naasv1alpha1.BudgetStatus
				for i := range policy.Status.CostCenterBudgets {
					if s := &policy.Status.CostCenterBudgets[i]; s.Name == cc {
						status = &s.BudgetStatus
					}
				}
				b, err := budgetOf("budget-costcenter", "cost center "+cc, &cb.Budget, status)
				if err != nil {
					p.fail(w, r, sess, err)
					return
				}
				v.Budgets = append(v.Budgets, b)
			}
		}
	}
	p.showCosts(w, r, sess, me, v, "Cost of cost center "+cc)
}

// costsIndexView is the costs overview: this month's charge of each tenant the user may see, and their cost
// centers.
type costsIndexView struct {
	Report      *restv1.CostReport
	Window      string
	Tenants     []chargebackRow
	CostCenters []string
}

func (p *Portal) handleCosts(w http.ResponseWriter, r *http.Request, sess *Session) {
	ctx := r.Context()
	rep, err := p.costReport(ctx, r, sess, costQuery("month", restv1.AggregateTenant, ""))
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	v := &costsIndexView{Report: rep, Window: windowText(rep.Window)}
	if v.Tenants, err = chargebackRows(*rep, p.lineLink(windowForm{Window: windowMonth}, restv1.AggregateTenant)); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	for _, l := range rep.Lines {
		if l.CostCenter != "" && !slices.Contains(v.CostCenters, l.CostCenter) {
			v.CostCenters = append(v.CostCenters, l.CostCenter)
		}
	}
	slices.Sort(v.CostCenters)
	p.show(w, r, sess, nil, http.StatusOK, "costs-index", "Costs", "costs", v)
}

// recommendations asks the API for a namespace's right-sizing, and says its window. When the API has none to
// give (no Prometheus to read usage from, a Prometheus that did not answer, or an API server without
// right-sizing), the view says why instead of failing the page.
func (p *Portal) recommendations(ctx context.Context, r *http.Request, sess *Session, namespace string) (*recommendationsView, string, error) {
	var recs restv1.RecommendationList
	err := p.api.get(ctx, r, sess, pathf("/namespaces/%s/recommendations", namespace), &recs)
	if why, ok := rightSizingUnavailable(err); ok {
		return &recommendationsView{Namespace: namespace, Unavailable: why}, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	rv, err := recommendationsOf(recs)
	if err != nil {
		return nil, "", err
	}
	return &rv, windowText(recs.Window), nil
}

// rightSizingUnavailable says why the API had no right-sizing to give, when err is such an answer: 409
// usage-unavailable (no Prometheus), 503 (Prometheus did not answer), or 404 from an API server without the
// route (the portal has already been let see the namespace).
func rightSizingUnavailable(err error) (string, bool) {
	ae, ok := asAPIError(err)
	switch {
	case !ok:
		return "", false
	case ae.Status == http.StatusConflict && ae.Problem.Type == restv1.ProblemUsageUnavailable,
		ae.Status == http.StatusServiceUnavailable:
		return strings.TrimSuffix(ae.Error(), "."), true
	case ae.Status == http.StatusNotFound:
		return "this API server does not compute right-sizing", true
	}
	return "", false
}

// recommendationsPageView is a tenant's right-sizing: each namespace's recommendations.
type recommendationsPageView struct {
	Tenant     restv1.Tenant
	Namespaces []recommendationsView
	Window     string
	// Unavailable is why no namespace has right-sizing, when it is the same for all (no Prometheus): the page
	// says it once.
	Unavailable string
}

func (p *Portal) handleTenantRecommendations(w http.ResponseWriter, r *http.Request, sess *Session) {
	ctx := r.Context()
	name := r.PathValue("tenant")
	tenant, ok := p.tenant(w, r, sess, name)
	if !ok {
		return
	}
	var list restv1.NamespaceList
	if err := p.api.get(ctx, r, sess, "/namespaces?"+url.Values{"tenant": {name}}.Encode(), &list); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	v := &recommendationsPageView{Tenant: *tenant}
	for _, ns := range list.Items {
		rv, window, err := p.recommendations(ctx, r, sess, ns.Name)
		if err != nil {
			p.fail(w, r, sess, err)
			return
		}
		v.Namespaces = append(v.Namespaces, *rv)
		v.Window = cmp.Or(v.Window, window)
	}
	v.Unavailable = sameUnavailable(v.Namespaces)
	p.show(w, r, sess, nil, http.StatusOK, "recommendations", "Right-sizing of "+tenantTitle(*tenant), "costs", v)
}
