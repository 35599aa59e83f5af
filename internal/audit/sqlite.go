package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	_ "modernc.org/sqlite" // The pure-Go SQLite driver, registered as "sqlite".
)

// busyTimeout is how long a write waits for another connection's write to finish before failing.
const busyTimeout = 10 * time.Second

// maxOpenConns bounds the connections to the database. SQLite runs one write at a time anyway; a few
// connections let queries run beside the write.
const maxOpenConns = 8

// maxBatch bounds the writes committed in one transaction.
const maxBatch = 256

// SQLiteStore is a Store in an SQLite database file. Every event is committed with synchronous=FULL in WAL mode,
// so Record, Intend and Finish return only once the event is on disk. It is safe for concurrent use, including
// by several processes sharing the file.
//
// The writes of one store go through a single writer that commits whatever writes are waiting in one
// transaction (group commit): under a burst, a write waits for at most one commit before its own instead of
// for its turn at SQLite's write lock, and many writes share one fsync.
type SQLiteStore struct {
	db  *sql.DB
	now func() time.Time

	writes     chan *writeOp
	closing    chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
}

// writeOp is one write waiting for the writer.
type writeOp struct {
	run  func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

var _ Store = (*SQLiteStore)(nil)

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
	s := &SQLiteStore{
		db: db, now: time.Now,
		writes: make(chan *writeOp), closing: make(chan struct{}), writerDone: make(chan struct{}),
	}
	s.now = applyOptions(opts).now
	ctx, cancel := context.WithTimeout(context.Background(), busyTimeout+5*time.Second)
	defer cancel()
	if err := migrateSQLite(ctx, db, s.now()); err != nil {
		_ = db.Close() // Report the migration error, not a close error.
		return nil, fmt.Errorf("migrate audit database %s: %w", abs, err)
	}
	if err := markAbandonedIntents(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open audit database %s: %w", abs, err)
	}
	go s.writeLoop()
	return s, nil
}

// markAbandonedIntents marks the intents that are still pending as of unknown outcome: their process stopped
// before it recorded one. If another process sharing the file is still carrying one out, its Finish replaces
// the mark with the real outcome.
func markAbandonedIntents(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `UPDATE events SET result = ?, reason = ? WHERE result = ?`,
		ResultUnknown, ReasonOutcomeUnknown, ResultPending); err != nil {
		return fmt.Errorf("mark intents without an outcome: %w", err)
	}
	return nil
}

// write runs fn in the writer's next transaction and returns once that is committed, or fn's error (fn's
// writes are then undone, the other writes of the transaction are not). Once handed to the writer, a write is
// waited for even if ctx ends: the caller must know whether it is on disk.
func (s *SQLiteStore) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	op := &writeOp{run: fn, done: make(chan error, 1)}
	select {
	case s.writes <- op:
	case <-s.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-op.done
}

// writeLoop is the writer: it takes the first write waiting, then every other write already waiting, and
// commits them together.
func (s *SQLiteStore) writeLoop() {
	defer close(s.writerDone)
	for {
		var batch []*writeOp
		select {
		case op := <-s.writes:
			batch = append(batch, op)
		case <-s.closing:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case op := <-s.writes:
				batch = append(batch, op)
			default:
				break more
			}
		}
		s.commit(batch)
	}
}

// commit runs batch in one transaction and tells each write its result. Each write of a batch of several runs
// in a savepoint, so that one that fails is undone alone.
func (s *SQLiteStore) commit(batch []*writeOp) {
	ctx, cancel := context.WithTimeout(context.Background(), busyTimeout+5*time.Second)
	defer cancel()
	errs := make([]error, len(batch))
	finish := func(err error) {
		for i, op := range batch {
			op.done <- errors.Join(errs[i], err)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		finish(fmt.Errorf("begin: %w", err))
		return
	}
	single := len(batch) == 1
	for i, op := range batch {
		if single {
			errs[i] = op.run(ctx, tx)
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			errs[i] = fmt.Errorf("savepoint: %w", err)
			continue
		}
		if errs[i] = op.run(ctx, tx); errs[i] != nil {
			_, err = tx.ExecContext(ctx, "ROLLBACK TO op")
			errs[i] = errors.Join(errs[i], err)
		}
		if _, err := tx.ExecContext(ctx, "RELEASE op"); err != nil {
			errs[i] = errors.Join(errs[i], fmt.Errorf("release savepoint: %w", err))
		}
	}
	if single && errs[0] != nil {
		_ = tx.Rollback() // The write's own error is the one to report.
		finish(nil)
		return
	}
	if err := tx.Commit(); err != nil {
		// Nothing of the batch is on disk: every write fails.
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("commit: %w", err)
			}
		}
	}
	finish(nil)
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

// Close stops the writer, after the write it is committing, and closes the database. Writes after Close fail
// with ErrClosed. It is safe to call twice.
func (s *SQLiteStore) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	<-s.writerDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close audit database: %w", err)
	}
	return nil
}

// Record implements Store.
func (s *SQLiteStore) Record(ctx context.Context, e Event) error {
	if err := validate(e, false); err != nil {
		return err
	}
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.insert(ctx, tx, e)
		return err
	}); err != nil {
		return fmt.Errorf("record audit event %s on %s: %w", e.Action, describeTarget(e), err)
	}
	return nil
}

// Intend implements Store.
func (s *SQLiteStore) Intend(ctx context.Context, e Event) (int64, error) {
	e.Result = ResultPending
	if err := validate(e, true); err != nil {
		return 0, err
	}
	var id int64
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		id, err = s.insert(ctx, tx, e)
		return err
	}); err != nil {
		return 0, fmt.Errorf("record intent %s on %s: %w", e.Action, describeTarget(e), err)
	}
	return id, nil
}

// Finish implements Store.
func (s *SQLiteStore) Finish(ctx context.Context, id int64, e Event) error {
	if err := validate(e, false); err != nil {
		return err
	}
	groups, details, err := encodeLists(e)
	if err != nil {
		return err
	}
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE events SET request_id = ?, user_name = ?, groups = ?, action = ?,
			tenant = ?, namespace = ?, target = ?, result = ?, reason = ?, details = ?
			WHERE id = ? AND result IN (?, ?)`,
			e.RequestID, e.User, groups, e.Action, e.Tenant, e.Namespace, e.Target, e.Result, e.Reason, details,
			id, ResultPending, ResultUnknown)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(fmt.Errorf("%w: event %d", ErrNoIntent, id), err)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("record the outcome of %s on %s: %w", e.Action, describeTarget(e), err)
	}
	return nil
}

// insert adds e, valid, in tx and returns its id.
func (s *SQLiteStore) insert(ctx context.Context, tx *sql.Tx, e Event) (int64, error) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	groups, details, err := encodeLists(e)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO events
		(time_ns, request_id, user_name, groups, action, tenant, namespace, target, result, reason, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time.UnixNano(), e.RequestID, e.User, groups, e.Action, e.Tenant, e.Namespace, e.Target,
		e.Result, e.Reason, details)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Query implements Store. Events come newest first: in the order they were recorded, which is the order of
// their times unless a caller recorded an event with a time in the past.
func (s *SQLiteStore) Query(ctx context.Context, q Query) (Page, error) {
	stmt, args, limit, err := buildQuery(q, "groups, details", func(int) string { return "?" })
	if err != nil {
		return Page{}, err
	}
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return Page{}, fmt.Errorf("query audit events: %w", err)
	}
	defer rows.Close()
	return readPage(rows, limit)
}
