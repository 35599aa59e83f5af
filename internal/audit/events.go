package audit

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What every store does alike: options, validation, the encoding of an event's lists, queries and page tokens.

// Option configures a store.
type Option func(*options)

type options struct {
	now   func() time.Time
	lease time.Duration
}

func applyOptions(opts []Option) options {
	o := options{now: time.Now, lease: DefaultLease}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithClock sets the clock that stamps events recorded without a time. Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// DefaultLease is how long a PostgreSQL store's replica lease lasts without renewal (see PostgresStore).
const DefaultLease = 30 * time.Second

// WithLease sets how long a PostgreSQL store's replica lease lasts without renewal; it is renewed every third
// of that. Default DefaultLease. SQLite stores ignore it.
func WithLease(d time.Duration) Option {
	return func(o *options) { o.lease = d }
}

// validResult reports whether r is a value Event.Result may take.
func validResult(r string) bool {
	switch r {
	case ResultAllowed, ResultDenied, ResultSuccess, ResultFailure:
		return true
	}
	return false
}

// validate checks e as Record and Finish take it, or as Intend does when intent is set.
func validate(e Event, intent bool) error {
	var problems []string
	if e.Action == "" {
		problems = append(problems, "action is required")
	}
	if !intent && !validResult(e.Result) {
		problems = append(problems, fmt.Sprintf("result %q must be one of allowed, denied, success, failure", e.Result))
	}
	if y := e.Time.Year(); !e.Time.IsZero() && (y < 1678 || y > 2261) {
		problems = append(problems, fmt.Sprintf("time %s is outside the years 1678 to 2261", e.Time))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidEvent, strings.Join(problems, "; "))
	}
	return nil
}

// encodeLists returns e's groups and details as stored: JSON.
func encodeLists(e Event) (groups, details string, err error) {
	g, err := json.Marshal(nonNil(e.Groups))
	if err != nil {
		return "", "", fmt.Errorf("encode groups of audit event: %w", err)
	}
	d, err := json.Marshal(nonNilMap(e.Details))
	if err != nil {
		return "", "", fmt.Errorf("encode details of audit event: %w", err)
	}
	return string(g), string(d), nil
}

func describeTarget(e Event) string {
	var parts []string
	for _, p := range []string{e.Tenant, e.Namespace, e.Target} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "(no target)"
	}
	return strings.Join(parts, "/")
}

// buildQuery returns the statement and arguments of q, and the page size. lists is how the statement reads
// the groups and details columns as JSON text; placeholder returns the dialect's n-th (from 1) parameter.
func buildQuery(q Query, lists string, placeholder func(n int) string) (stmt string, args []any, limit int, err error) {
	limit = q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)

	var where []string
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" "+placeholder(len(args)))
	}
	if q.PageToken != "" {
		before, err := decodePageToken(q.PageToken)
		if err != nil {
			return "", nil, 0, err
		}
		add("id <", before)
	}
	if q.Tenant != "" {
		add("tenant =", q.Tenant)
	}
	if q.Namespace != "" {
		add("namespace =", q.Namespace)
	}
	if q.User != "" {
		add("user_name =", q.User)
	}
	if !q.Since.IsZero() {
		add("time_ns >=", q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		add("time_ns <", q.Until.UnixNano())
	}
	stmt = `SELECT id, time_ns, request_id, user_name, action, tenant, namespace, target, result, reason, ` + lists + `
		FROM events`
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	// One more than a page tells whether there is a next page.
	args = append(args, limit+1)
	stmt += " ORDER BY id DESC LIMIT " + placeholder(len(args))
	return stmt, args, limit, nil
}

// makePage returns the page of events, read with one more than limit if there is a next page.
func makePage(events []Event, limit int) Page {
	page := Page{Events: events}
	if len(events) > limit {
		page.Events = events[:limit]
		page.NextPageToken = encodePageToken(page.Events[limit-1].ID)
	}
	return page
}

// scanner is a row of a query built by buildQuery.
type scanner interface {
	Scan(dest ...any) error
}

// eventRows are the rows of an event query, from database/sql or pgx alike.
type eventRows interface {
	scanner
	Next() bool
	Err() error
}

// readPage reads the events of a query's rows into the page of at most limit events.
func readPage(rows eventRows, limit int) (Page, error) {
	var events []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return Page{}, err
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("query audit events: %w", err)
	}
	return makePage(events, limit), nil
}

func scanEvent(rows scanner) (Event, error) {
	var (
		e               Event
		timeNS          int64
		groups, details string
	)
	if err := rows.Scan(&e.ID, &timeNS, &e.RequestID, &e.User, &e.Action, &e.Tenant, &e.Namespace,
		&e.Target, &e.Result, &e.Reason, &groups, &details); err != nil {
		return Event{}, fmt.Errorf("read audit event: %w", err)
	}
	e.Time = time.Unix(0, timeNS).UTC()
	if err := json.Unmarshal([]byte(groups), &e.Groups); err != nil {
		return Event{}, fmt.Errorf("read groups of audit event %d: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
		return Event{}, fmt.Errorf("read details of audit event %d: %w", e.ID, err)
	}
	// An event recorded with no groups or details reads back as it was written.
	if len(e.Groups) == 0 {
		e.Groups = nil
	}
	if len(e.Details) == 0 {
		e.Details = nil
	}
	return e, nil
}

// pageTokenPrefix versions the page token format, so it can change without old tokens being misread.
const pageTokenPrefix = "v1:"

// encodePageToken returns the token of the page after the event with id last: the events older than it.
func encodePageToken(last int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + strconv.FormatInt(last, 10)))
}

func decodePageToken(token string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, fmt.Errorf("%w %q: pass the nextPageToken of a previous page", ErrInvalidPageToken, token)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(string(raw), pageTokenPrefix), 10, 64)
	if err != nil || !strings.HasPrefix(string(raw), pageTokenPrefix) || id <= 0 {
		return 0, fmt.Errorf("%w %q: pass the nextPageToken of a previous page", ErrInvalidPageToken, token)
	}
	return id, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
