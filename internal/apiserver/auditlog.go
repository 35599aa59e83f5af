package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/tenancy"
)

// parseAuditQuery reads the query parameters of GET /api/v1/audit.
func parseAuditQuery(v url.Values) (audit.Query, field.ErrorList) {
	q := audit.Query{
		Tenant:    v.Get("tenant"),
		Namespace: v.Get("namespace"),
		User:      v.Get("user"),
		PageToken: v.Get("pageToken"),
	}
	var errs field.ErrorList
	parseTime := func(name string) time.Time {
		s := v.Get(name)
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			errs = append(errs, field.Invalid(field.NewPath(name), s,
				"must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z").WithOrigin("format=date-time"))
		}
		return t
	}
	q.Since = parseTime("since")
	q.Until = parseTime("until")
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		errs = append(errs, field.Invalid(field.NewPath("until"), v.Get("until"), "must be after since"))
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > audit.MaxLimit {
			errs = append(errs, field.Invalid(field.NewPath("limit"), s,
				fmt.Sprintf("must be an integer from 1 to %d", audit.MaxLimit)).WithOrigin("range"))
		}
		q.Limit = n
	}
	return q, errs
}

func (s *Server) queryAudit(w http.ResponseWriter, r *http.Request) {
	q, errs := parseAuditQuery(r.URL.Query())
	if len(errs) > 0 {
		e := invalid(errs)
		e.status, e.typ = http.StatusBadRequest, restv1.ProblemMalformed
		s.fail(w, r, e)
		return
	}
	if err := s.authorizeAuditQuery(r, q); err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.cfg.Audit.Query(r.Context(), q)
	if errors.Is(err, audit.ErrInvalidPageToken) {
		s.fail(w, r, malformed("pageToken", "invalid", "%v", err))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := restv1.AuditPage{Items: make([]restv1.AuditEvent, 0, len(page.Events)), NextPageToken: page.NextPageToken}
	for _, e := range page.Events {
		out.Items = append(out.Items, auditEventOf(e))
	}
	s.writeJSON(w, http.StatusOK, out)
}

// authorizeAuditQuery lets platform admins read every event, anyone read their own (user=<their name>), and the
// admins of a tenant read its events (tenant=<the tenant>): those who may manage its members. Events name
// people, so a tenant's developers and viewers do not see who else did what.
func (s *Server) authorizeAuditQuery(r *http.Request, q audit.Query) error {
	u := callerOf(r)
	if tenancy.IsPlatformAdmin(u) || (q.User != "" && q.User == u.Name) {
		return nil
	}
	if q.Tenant == "" {
		return forbidden("user %q may read only their own audit events or those of a tenant they administer: pass user=%s or tenant=<tenant>",
			u.Name, u.Name)
	}
	t, err := s.tenant(r.Context(), q.Tenant)
	if err != nil {
		return err
	}
	// A tenant the caller is not a member of is answered as one that does not exist, so that the answer does
	// not tell outsiders which tenants exist.
	if t == nil || !tenancy.Authorize(u, t, tenancy.ActionView, nil).Allowed {
		return forbidden("the audit events of tenant %q are for its admins and platform admins, and you are not an admin of a tenant of that name",
			q.Tenant)
	}
	if d := tenancy.Authorize(u, t, tenancy.ActionManageMembers, nil); !d.Allowed {
		return forbidden("the audit events of tenant %q are for its admins and platform admins: %s", q.Tenant, d.Reason)
	}
	return nil
}
