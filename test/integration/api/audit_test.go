package api

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// auditEvent is the part of the API's AuditEvent the tests read.
type auditEvent struct {
	ID        int64
	Time      time.Time
	RequestID string
	User      string
	Action    string
	Tenant    string
	Namespace string
	Result    string
	Reason    string
	Details   map[string]string
}

// auditOf returns every event the query selects, following the pages.
func (p *platform) auditOf(t *testing.T, token string, query url.Values) []auditEvent {
	t.Helper()
	var all []auditEvent
	query = maps.Clone(query)
	query.Set("limit", "2") // Small pages, so that paging is exercised.
	for {
		r := p.call(t, token, http.MethodGet, "/api/v1/audit?"+query.Encode(), nil)
		expect(t, r, http.StatusOK, "audit query "+query.Encode())
		var page struct {
			Items         []auditEvent
			NextPageToken string
		}
		r.decode(t, &page)
		all = append(all, page.Items...)
		if page.NextPageToken == "" {
			return all
		}
		query.Set("pageToken", page.NextPageToken)
	}
}

// step is what the tests expect of one audit event.
type step struct{ Action, User, Result, RequestID string }

func steps(events []auditEvent) []step {
	var out []step
	for i := len(events) - 1; i >= 0; i-- { // Oldest first, in the order things happened.
		e := events[i]
		out = append(out, step{e.Action, e.User, e.Result, e.RequestID})
	}
	return out
}

func TestAPI_AuditRecordsEveryStepAndSurvivesARestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "audit.db")
	p := startPlatform(t, platformConfig{auditDB: db})
	createTenant(t, "aud", func(s *naasv1alpha1.TenantSpec) { s.AllowedTiers = []string{"dev", "staging"} },
		user("alice", naasv1alpha1.RoleAdmin), user("bob", naasv1alpha1.RoleDeveloper), user("carol", naasv1alpha1.RoleViewer))
	start := time.Now()

	// The flow, noting each request id.
	ids := map[string]string{}
	do := func(label, token, method, path string, body any, want int) {
		t.Helper()
		r := p.call(t, token, method, path, body)
		expect(t, r, want, label)
		ids[label] = r.header.Get("X-Request-Id")
	}
	do("request", as("bob"), http.MethodPost, "/api/v1/namespaces/request", map[string]any{"name": "aud-web", "tenant": "aud", "template": "standard"}, http.StatusAccepted)
	p.waitPhase(t, as("bob"), "aud-web", naasv1alpha1.PhaseReady)
	// The controller audits the outcome just after it writes the status the API shows: wait for it, so that
	// the order of the events below is the order of the steps.
	poll(t, 10*time.Second, "provisioning outcome audited", func() error {
		for _, e := range p.auditOf(t, as("platform-admin"), url.Values{"namespace": {"aud-web"}}) {
			if e.Action == "provision.ready" {
				return nil
			}
		}
		return fmt.Errorf("no provision.ready event yet")
	})
	do("resize", as("bob"), http.MethodPut, "/api/v1/namespaces/aud-web/quotas", map[string]string{"tier": "staging"}, http.StatusAccepted)
	do("denied delete", as("carol"), http.MethodDelete, "/api/v1/namespaces/aud-web", nil, http.StatusForbidden)
	do("delete", as("bob"), http.MethodDelete, "/api/v1/namespaces/aud-web", nil, http.StatusAccepted)

	want := []step{
		{"namespace.request", "bob", "allowed", ids["request"]},
		{"provision.ready", p.identity, "success", ""},
		{"quota.update", "bob", "allowed", ids["resize"]},
		{"namespace.delete", "carol", "denied", ids["denied delete"]},
		{"namespace.delete", "bob", "allowed", ids["delete"]},
	}
	byNamespace := url.Values{"namespace": {"aud-web"}}
	var events []auditEvent
	poll(t, 10*time.Second, "the flow in the audit log", func() error {
		events = p.auditOf(t, as("platform-admin"), byNamespace)
		if diff := cmp.Diff(want, steps(events)); diff != "" {
			return fmt.Errorf("audit steps (-want +got):\n%s", diff)
		}
		return nil
	})
	for _, e := range events {
		if e.Tenant != "aud" || e.Time.Before(start.Add(-time.Second)) || e.Time.After(time.Now()) {
			t.Errorf("event %+v: want tenant aud and a time during the test", e)
		}
	}
	if denied := events[1]; denied.Reason == "" {
		t.Errorf("the denied delete has no reason: %+v", denied)
	}
	if resize := events[2]; resize.Details["tier"] != "staging" || resize.Details["previousTier"] != "dev" {
		t.Errorf("the resize's details = %v, want tier staging and previousTier dev", resize.Details)
	}

	// Filters: by user and time window, and who may ask.
	if got := p.auditOf(t, as("bob"), url.Values{"user": {"bob"}, "since": {start.UTC().Format(time.RFC3339Nano)}}); len(got) != 3 {
		t.Errorf("bob's own events since the start: %d, want 3 (request, resize, delete)", len(got))
	}
	if got := p.auditOf(t, as("alice"), url.Values{"tenant": {"aud"}}); len(got) < len(want) {
		t.Errorf("alice (tenant admin) sees %d events of her tenant, want at least %d", len(got), len(want))
	}
	if got := p.auditOf(t, as("platform-admin"), url.Values{"namespace": {"aud-web"}, "until": {start.UTC().Format(time.RFC3339Nano)}}); len(got) != 0 {
		t.Errorf("events before the start: %v, want none", got)
	}
	r := p.call(t, as("bob"), http.MethodGet, "/api/v1/audit?tenant=aud", nil)
	expect(t, r, http.StatusForbidden, "bob (developer) reads his tenant's audit log")
	r = p.call(t, as("bob"), http.MethodGet, "/api/v1/audit?since=yesterday", nil)
	expect(t, r, http.StatusBadRequest, "a bad time")
	if prob := r.problem(t); len(prob.Errors) != 1 || prob.Errors[0].Field != "since" {
		t.Errorf("errors = %+v, want field since", prob.Errors)
	}

	// An unauthenticated write is audited too.
	r = p.call(t, "", http.MethodDelete, "/api/v1/namespaces/aud-web", nil)
	expect(t, r, http.StatusUnauthorized, "anonymous delete")
	anonymous := r.header.Get("X-Request-Id")

	// After a restart on the same database, everything is still there.
	p.stop()
	p = startPlatform(t, platformConfig{auditDB: db})
	after := p.auditOf(t, as("platform-admin"), byNamespace)
	if len(after) < len(events) {
		t.Fatalf("after the restart, %d events of aud-web, want at least %d: %+v", len(after), len(events), after)
	}
	// Events recorded since the restart, if any, come first: newest first.
	if diff := cmp.Diff(events, after[len(after)-len(events):]); diff != "" {
		t.Errorf("audit events after the restart (-before +after):\n%s", diff)
	}
	all := p.auditOf(t, as("platform-admin"), url.Values{})
	if !slices.ContainsFunc(all, func(e auditEvent) bool {
		return e.RequestID == anonymous && e.Result == "denied" && e.User == "" && e.Action == "namespace.delete"
	}) {
		t.Errorf("the anonymous delete (request %s) is not in the audit log after the restart", anonymous)
	}
}
