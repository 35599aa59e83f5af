package clientcmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/naas-dev/naas/internal/apiclient"
)

// maxAuditPage is the API's largest page.
const maxAuditPage = 500

// parseSince reads a point in time: a duration before now ("90m", "2h", "7d"), an RFC 3339 time, or a date.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, now.Location()); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: give a duration (30m, 2h, 7d), a date (2026-01-31) or an RFC 3339 time", s)
}

func newAuditCommand() *cobra.Command {
	var (
		q            apiclient.AuditQuery
		since, until string
		limit        int
	)
	cmd := &cobra.Command{
		Use:   "audit [--tenant T] [--namespace NS] [--user U] [--since 24h]",
		Short: "Show the audit log: who did what, when, with what result",
		Long: `Show the audit log, newest first. Platform admins see everything; tenant admins see their tenant's
events (--tenant); everyone sees their own. Without filters, you see your own events (platform admins see all).`,
		Example: `  naas audit --tenant payments --since 24h
  naas audit --namespace payments-api --since 2026-01-31 -o json`,
		Args: exactArgs(),
	}
	f := cmd.Flags()
	f.StringVar(&q.Tenant, "tenant", "", "only this tenant's events")
	f.StringVar(&q.Namespace, "namespace", "", "only this namespace's events")
	f.StringVar(&q.User, "user", "", "only this user's events")
	f.StringVar(&since, "since", "", "only events since: a duration (30m, 2h, 7d), a date or an RFC 3339 time")
	f.StringVar(&until, "until", "", "only events before: a duration ago, a date or an RFC 3339 time")
	f.IntVar(&limit, "limit", 50, "most events to show")
	registerCompletion(cmd, "tenant", completeTenants)
	registerCompletion(cmd, "namespace", completeNamespaces)
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, _ []string) error {
		now := time.Now()
		var err error
		if q.Since, err = parseSince(since, now); err != nil {
			return usageErrorf(cmd, "--since: %v", err)
		}
		if q.Until, err = parseSince(until, now); err != nil {
			return usageErrorf(cmd, "--until: %v", err)
		}
		if limit < 1 {
			return usageErrorf(cmd, "--limit must be at least 1")
		}
		if err := s.scopeAudit(&q); err != nil {
			return err
		}
		var events []apiclient.AuditEvent
		for len(events) < limit {
			q.Limit = min(limit-len(events), maxAuditPage)
			page, err := s.client.Audit(s.ctx(), q)
			if err != nil {
				return err
			}
			events = append(events, page.Items...)
			if page.NextPageToken == "" {
				break
			}
			q.PageToken = page.NextPageToken
		}
		return s.render(map[string]any{"items": events}, func(w io.Writer) error {
			if len(events) == 0 {
				_, err := fmt.Fprintln(w, "No events")
				return err
			}
			t := newTable(w)
			row(t, "TIME", "USER", "ACTION", "TENANT", "NAMESPACE", "RESULT", "REASON")
			for _, e := range events {
				row(t, e.Time.Local().Format(time.DateTime), e.User, e.Action, e.Tenant, e.Namespace, e.Result,
					truncate(oneLine(e.Reason), 80))
			}
			return t.Flush()
		})
	})
}

// scopeAudit narrows a query that names neither tenant nor user to what the caller may read: platform admins
// read everything; others read a namespace's tenant when they ask for a namespace, and their own events
// otherwise.
func (s *session) scopeAudit(q *apiclient.AuditQuery) error {
	if q.Tenant != "" || q.User != "" {
		return nil
	}
	me, err := s.client.Me(s.ctx())
	if err != nil {
		return err
	}
	if me.PlatformAdmin {
		return nil
	}
	if q.Namespace != "" {
		if ns, err := s.client.Namespace(s.ctx(), q.Namespace); err == nil {
			for _, m := range me.Tenants {
				if m.Tenant == ns.Tenant && m.Role == "admin" {
					q.Tenant = ns.Tenant
					return nil
				}
			}
		}
	}
	q.User = me.Username
	return nil
}
