package audit

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // The pure-Go SQLite driver, registered as "sqlite".
)

// busyTimeout is how long a write waits for another connection's write to finish before failing.
const busyTimeout = 10 * time.Second

// maxOpenConns bounds the connections to the database. SQLite runs one write at a time anyway; a few
// connections let queries run beside the write.
const maxOpenConns = 8

// SQLiteStore is a Store in an SQLite database file. Every event is committed with synchronous=FULL in WAL mode,
// so Record returns only once the event is on disk. It is safe for concurrent use, including by several
// processes sharing the file.
type SQLiteStore struct {
	db  *sql.DB
	now func() time.Time
}

var _ Store = (*SQLiteStore)(nil)

// Option configures an SQLiteStore.
type Option func(*SQLiteStore)

// WithClock sets the clock that stamps events recorded without a time. Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *SQLiteStore) { s.now = now }
}

// OpenSQLite opens the audit database at path, creating it (and its directory) if needed, readable by the
// owner only, and migrates its schema to the current version.
func OpenSQLite(path string, opts ...Option) (*SQLiteStore, error) {
	if path == "" {
		return nil, errors.New("open audit database: no path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open audit database %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("create directory of audit database: %w", err)
	}
	// Create the file ourselves: SQLite would make it world-readable, and audit records name people.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit database: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open audit database: %w", err)
	}

	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("open audit database %s: %w", abs, err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	s := &SQLiteStore{db: db, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), busyTimeout+5*time.Second)
	defer cancel()
	if err := migrate(ctx, db, s.now()); err != nil {
		_ = db.Close() // Report the migration error, not a close error.
		return nil, fmt.Errorf("migrate audit database %s: %w", abs, err)
	}
	return s, nil
}

// dsn returns the data source name of the database file at the absolute path abs. Every connection the pool
// opens applies these settings:
//   - WAL, so queries do not block the writer nor it them;
//   - synchronous=FULL, so a commit is on disk before it returns (NORMAL, the usual WAL pairing, can lose the
//     last commits on power loss, and an audit record must not be lost once the response has gone out);
//   - a busy timeout, so concurrent writers wait their turn instead of failing;
//   - BEGIN IMMEDIATE for transactions, so one that writes takes the write lock up front and cannot fail
//     half-way when another writer got there first.
func dsn(abs string) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	// A file: URI, so that a path with '?' or '#' in it is not mistaken for parameters.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// Close closes the database.
func (s *SQLiteStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close audit database: %w", err)
	}
	return nil
}

// validResult reports whether r is a value Event.Result may take.
func validResult(r string) bool {
	switch r {
	case ResultAllowed, ResultDenied, ResultSuccess, ResultFailure:
		return true
	}
	return false
}

func validate(e Event) error {
	var problems []string
	if e.Action == "" {
		problems = append(problems, "action is required")
	}
	if !validResult(e.Result) {
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

// Record implements Store.
func (s *SQLiteStore) Record(ctx context.Context, e Event) error {
	if err := validate(e); err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	groups, err := json.Marshal(nonNil(e.Groups))
	if err != nil {
		return fmt.Errorf("record audit event: encode groups: %w", err)
	}
	details, err := json.Marshal(nonNilMap(e.Details))
	if err != nil {
		return fmt.Errorf("record audit event: encode details: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO events
		(time_ns, request_id, user_name, groups, action, tenant, namespace, target, result, reason, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time.UnixNano(), e.RequestID, e.User, string(groups), e.Action, e.Tenant, e.Namespace, e.Target,
		e.Result, e.Reason, string(details))
	if err != nil {
		return fmt.Errorf("record audit event %s on %s: %w", e.Action, describeTarget(e), err)
	}
	return nil
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

// Query implements Store. Events come newest first: in the order they were recorded, which is the order of
// their times unless a caller recorded an event with a time in the past.
func (s *SQLiteStore) Query(ctx context.Context, q Query) (Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)

	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if q.PageToken != "" {
		before, err := decodePageToken(q.PageToken)
		if err != nil {
			return Page{}, err
		}
		add("id < ?", before)
	}
	if q.Tenant != "" {
		add("tenant = ?", q.Tenant)
	}
	if q.Namespace != "" {
		add("namespace = ?", q.Namespace)
	}
	if q.User != "" {
		add("user_name = ?", q.User)
	}
	if !q.Since.IsZero() {
		add("time_ns >= ?", q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		add("time_ns < ?", q.Until.UnixNano())
	}
	stmt := `SELECT id, time_ns, request_id, user_name, groups, action, tenant, namespace, target, result, reason, details
		FROM events`
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	// One more than a page tells whether there is a next page.
	stmt += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit+1)

	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return Page{}, fmt.Errorf("query audit events: %w", err)
	}
	defer rows.Close()
	var page Page
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return Page{}, err
		}
		page.Events = append(page.Events, e)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("query audit events: %w", err)
	}
	if len(page.Events) > limit {
		page.Events = page.Events[:limit]
		page.NextPageToken = encodePageToken(page.Events[limit-1].ID)
	}
	return page, nil
}

func scanEvent(rows *sql.Rows) (Event, error) {
	var (
		e               Event
		timeNS          int64
		groups, details string
	)
	if err := rows.Scan(&e.ID, &timeNS, &e.RequestID, &e.User, &groups, &e.Action, &e.Tenant, &e.Namespace,
		&e.Target, &e.Result, &e.Reason, &details); err != nil {
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
