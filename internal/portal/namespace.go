package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/tenancy"
)

// namespaceView is the namespace page.
type namespaceView struct {
	NS            restv1.Namespace
	Progress      Progress
	TemplateName  string
	Usage         []UsageRow
	Budget        *restv1.Money
	Policies      []PolicySummary
	Endpoints     []Endpoint
	DashboardURL  string
	Members       []restv1.Member
	Role          string
	Events        []restv1.AuditEvent
	EventsAreMine bool
	CanDelete     bool
	DeleteError   string
	KubeconfigURL string
}

// notVisible is the detail of a namespace the user may not open. It does not say whether the namespace exists:
// the API keeps other tenants' namespace names to themselves, and so does the portal.
func notVisible(name string) string {
	return fmt.Sprintf("You cannot open namespace %q: it does not exist, or it belongs to a tenant you are not a member of. "+
		"Check the name against your namespaces.", name)
}

// status asks the API for the namespace; a namespace the user may not view is a 403.
func (p *Portal) status(w http.ResponseWriter, r *http.Request, sess *Session, name string) (*restv1.Namespace, bool) {
	var ns restv1.Namespace
	if err := p.api.get(r.Context(), r, sess, pathf("/namespaces/%s/status", name), &ns); err != nil {
		if hasStatus(err, http.StatusNotFound) {
			p.errorPage(w, r, sess, http.StatusForbidden, notVisible(name))
			return nil, false
		}
		p.fail(w, r, sess, err)
		return nil, false
	}
	return &ns, true
}

func (p *Portal) handleNamespace(w http.ResponseWriter, r *http.Request, sess *Session) {
	v, ok := p.loadNamespace(w, r, sess, r.PathValue("namespace"))
	if !ok {
		return
	}
	p.show(w, r, sess, nil, http.StatusOK, "namespace", v.NS.Name, "home", v)
}

// loadNamespace gathers the namespace page; it answers the request itself when that fails.
func (p *Portal) loadNamespace(w http.ResponseWriter, r *http.Request, sess *Session, name string) (*namespaceView, bool) {
	ctx := r.Context()
	ns, ok := p.status(w, r, sess, name)
	if !ok {
		return nil, false
	}
	v := &namespaceView{
		NS: *ns, TemplateName: ns.Template,
		KubeconfigURL: restv1.Prefix + pathf("/namespaces/%s/kubeconfig", ns.Name),
	}
	var tpl restv1.Template
	switch err := p.api.get(ctx, r, sess, pathf("/catalog/templates/%s", ns.Template), &tpl); {
	case err == nil:
		v.TemplateName = tpl.DisplayName
	case !hasStatus(err, http.StatusNotFound):
		p.fail(w, r, sess, err)
		return nil, false
	}
	v.Progress = progressOf(*ns, tpl.RequiresApproval)

	var tenant restv1.Tenant
	if err := p.api.get(ctx, r, sess, pathf("/tenants/%s", ns.Tenant), &tenant); err != nil {
		p.fail(w, r, sess, err)
		return nil, false
	}
	v.Members, v.Role = tenant.Members, tenant.YourRole

	q := url.Values{"tenant": {ns.Tenant}}.Encode()
	var usage restv1.UsageReport
	if err := p.api.get(ctx, r, sess, "/analytics/usage?"+q, &usage); err != nil {
		p.fail(w, r, sess, err)
		return nil, false
	}
	for _, u := range usage.Namespaces {
		if u.Namespace == ns.Name {
			v.Usage = usageRows(u.Resources, nil)
		}
	}
	var costs restv1.CostReport
	if err := p.api.get(ctx, r, sess, "/analytics/costs?"+q, &costs); err != nil {
		p.fail(w, r, sess, err)
		return nil, false
	}
	for _, c := range costs.Namespaces {
		if c.Namespace == ns.Name {
			v.Budget = c.Budget
		}
	}

	// Tenant admins and platform admins see everything that happened to the namespace; others their own doings.
	user := tenancy.User{Name: sess.User.Name, Groups: sess.User.Groups}
	aq := url.Values{"namespace": {ns.Name}, "limit": {"10"}}
	if v.Role == string(naasv1alpha1.RoleAdmin) || tenancy.IsPlatformAdmin(user) {
		aq.Set("tenant", ns.Tenant)
	} else {
		aq.Set("user", sess.User.Name)
		v.EventsAreMine = true
	}
	var events restv1.AuditPage
	switch err := p.api.get(ctx, r, sess, "/audit?"+aq.Encode(), &events); {
	case err == nil:
		v.Events = events.Items
	case hasStatus(err, http.StatusForbidden):
	default:
		p.fail(w, r, sess, err)
		return nil, false
	}

	// What the API does not serve, read from the cluster now that the API has let the user view the namespace.
	p.clusterDetails(ctx, v, user)
	return v, true
}

// clusterDetails fills in the namespace page's network policies, endpoints, dashboard and whether the user may
// delete it, from naas's cache and the cluster. Failures leave a section out: they are logged, not shown.
func (p *Portal) clusterDetails(ctx context.Context, v *namespaceView, user tenancy.User) {
	name := v.NS.Name
	v.CanDelete = true // The API decides; the button is hidden only when it is sure to refuse.
	claim := &naasv1alpha1.NamespaceClaim{}
	if err := p.cfg.Cache.Get(ctx, client.ObjectKey{Name: name}, claim); err == nil {
		v.DashboardURL = claim.Status.DashboardURL
		tn := &naasv1alpha1.Tenant{}
		if err := p.cfg.Cache.Get(ctx, client.ObjectKey{Name: claim.Spec.Tenant}, tn); err == nil {
			v.CanDelete = tenancy.Authorize(user, tn, tenancy.ActionDeleteNamespace, claim).Allowed
		}
	}
	if v.NS.Phase == naasv1alpha1.PhaseTerminating {
		v.CanDelete = false
	}
	policies := &networkingv1.NetworkPolicyList{}
	if err := p.cfg.Cache.List(ctx, policies, client.InNamespace(name),
		client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}); err != nil {
		p.log.V(1).Info("Cannot list the network policies of a namespace", "namespace", name, "error", err.Error())
	} else {
		v.Policies = summarizePolicies(policies.Items)
	}
	if p.cfg.Reader == nil {
		return
	}
	ingresses := &networkingv1.IngressList{}
	if err := p.cfg.Reader.List(ctx, ingresses, client.InNamespace(name)); err != nil {
		p.log.V(1).Info("Cannot list the ingresses of a namespace", "namespace", name, "error", err.Error())
	}
	gateways := p.listOptional(ctx, name, schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "GatewayList"})
	routes := p.listOptional(ctx, name, schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRouteList"})
	v.Endpoints = endpointsOf(ingresses.Items, gateways, routes)
}

// listOptional lists objects of a kind the cluster may not have (Gateway API); none when it does not.
func (p *Portal) listOptional(ctx context.Context, namespace string, gvk schema.GroupVersionKind) []unstructured.Unstructured {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk)
	err := p.cfg.Reader.List(ctx, list, client.InNamespace(namespace))
	switch {
	case err == nil:
		return list.Items
	case meta.IsNoMatchError(err), apierrors.IsNotFound(err):
	default:
		p.log.V(1).Info("Cannot list objects of a namespace", "namespace", namespace, "kind", gvk.Kind, "error", err.Error())
	}
	return nil
}

// handleDelete deletes the namespace once the user has typed its name.
func (p *Portal) handleDelete(w http.ResponseWriter, r *http.Request, sess *Session) {
	name := r.PathValue("namespace")
	confirm := strings.TrimSpace(r.PostForm.Get("confirm"))
	var refusal string
	if confirm != name {
		refusal = fmt.Sprintf("Type the namespace's name, %s, to confirm. Nothing was deleted.", name)
	} else {
		err := p.api.call(r.Context(), r, sess, http.MethodDelete, pathf("/namespaces/%s", name), nil, nil)
		switch {
		case err == nil:
			http.Redirect(w, r, "/?deleted="+url.QueryEscape(name), http.StatusSeeOther)
			return
		case hasStatus(err, http.StatusNotFound):
			p.errorPage(w, r, sess, http.StatusForbidden, notVisible(name))
			return
		case hasStatus(err, http.StatusForbidden), hasStatus(err, http.StatusConflict):
			ae, _ := asAPIError(err)
			refusal = "naas refused to delete the namespace: " + ae.Problem.Detail
		default:
			p.fail(w, r, sess, err)
			return
		}
	}
	v, ok := p.loadNamespace(w, r, sess, name)
	if !ok {
		return
	}
	v.DeleteError = refusal
	p.show(w, r, sess, nil, http.StatusUnprocessableEntity, "namespace", v.NS.Name, "home", v)
}

// handleProgress serves the progress page, or its stream of server-sent events to an EventSource.
func (p *Portal) handleProgress(w http.ResponseWriter, r *http.Request, sess *Session) {
	name := r.PathValue("namespace")
	ns, ok := p.status(w, r, sess, name)
	if !ok {
		return
	}
	var tpl restv1.Template
	if err := p.api.get(r.Context(), r, sess, pathf("/catalog/templates/%s", ns.Template), &tpl); err != nil && !hasStatus(err, http.StatusNotFound) {
		p.fail(w, r, sess, err)
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		p.streamProgress(w, r, sess, *ns, tpl.RequiresApproval)
		return
	}
	p.show(w, r, sess, nil, http.StatusOK, "progress", "Provisioning "+ns.Name, "home", progressOf(*ns, tpl.RequiresApproval))
}

// streamProgress sends the namespace's progress as server-sent events: a "progress" event whenever a step
// changes, then "done" once it is Ready or failed (or "gone" once it no longer exists). It watches the claim
// in naas's cache and, whenever it changes, asks the API for the namespace again, so that the user's right to
// view it is checked at every change.
func (p *Portal) streamProgress(w http.ResponseWriter, r *http.Request, sess *Session, ns restv1.Namespace, requiresApproval bool) {
	ctx := r.Context()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}

	var last string
	emit := func(ns restv1.Namespace) (done, ok bool) {
		prog := progressOf(ns, requiresApproval)
		b, _ := json.Marshal(prog)
		if string(b) != last {
			last = string(b)
			if !send("progress", prog) {
				return false, false
			}
		}
		if prog.Done {
			return true, send("done", map[string]string{"url": prog.URL})
		}
		return false, true
	}
	if done, ok := emit(ns); done || !ok {
		return
	}

	poll := time.NewTicker(p.cfg.PollInterval)
	defer poll.Stop()
	beat := time.NewTicker(p.cfg.Heartbeat)
	defer beat.Stop()
	lastRV := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.stopping:
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-poll.C:
			claim := &naasv1alpha1.NamespaceClaim{}
			err := p.cfg.Cache.Get(ctx, client.ObjectKey{Name: ns.Name}, claim)
			switch {
			case apierrors.IsNotFound(err):
				// Not cached yet, or deleted: ask the API.
			case err != nil:
				continue
			case claim.ResourceVersion == lastRV:
				continue
			default:
				lastRV = claim.ResourceVersion
			}
			var cur restv1.Namespace
			if err := p.api.get(ctx, r, sess, pathf("/namespaces/%s/status", ns.Name), &cur); err != nil {
				if hasStatus(err, http.StatusNotFound) {
					send("gone", map[string]string{"url": "/"})
				} else {
					send("problem", map[string]string{"message": err.Error()})
				}
				return
			}
			if done, ok := emit(cur); done || !ok {
				return
			}
		}
	}
}
