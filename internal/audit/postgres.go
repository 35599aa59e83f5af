package audit

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLockKey is the PostgreSQL advisory lock that replicas take to migrate the schema: "naas" and 1.
const migrationLockKey int64 = 0x6e616173_00000001

// PostgresStore is a Store in a PostgreSQL database that several naas replicas share. Each write is its own
// transaction, committed (with the server's synchronous_commit, on by default) before Record, Intend or Finish
// returns; the server already flushes concurrent commits together, so the store does not batch writes itself.
//
// Intents of a replica that stopped become of unknown outcome, as with SQLite; but a replica that starts must
// not mark the intents of replicas that are alive and carrying them out. So every store holds a lease, a row in
// the replicas table that it renews every third of the lease (WithLease, DefaultLease) by the server's clock,
// and tags its intents with its id. At open and at every renewal, a store drops the leases that expired and
// marks the intents still pending whose replica holds no lease: a replica that stops cleanly gives its lease up
// at Close, one that crashes loses it a lease later. A replica cut off from the database for longer than a lease
// may find its intents marked; its outcomes still land (Finish accepts an intent marked unknown).
type PostgresStore struct {
	pool    *pgxpool.Pool
	now     func() time.Time
	lease   time.Duration
	replica string

	closed    atomic.Bool
	stop      chan struct{}
	renewDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*PostgresStore)(nil)

// OpenPostgres connects to the PostgreSQL database of dsn (a postgres:// URL or key=value string; PGPASSWORD,
// PGPASSFILE and the other libpq variables fill in what it leaves out), migrates its schema to the current
// version under an advisory lock, so that replicas starting together migrate once, and takes a replica lease.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*PostgresStore, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors show the DSN with its password masked.
		return nil, fmt.Errorf("audit database: %w", err)
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("audit database at %s: %w", where, err)
	}
	o := applyOptions(opts)
	s := &PostgresStore{
		pool: pool, now: o.now, lease: o.lease, replica: newReplicaID(),
		stop: make(chan struct{}), renewDone: make(chan struct{}),
	}
	if err := s.start(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("audit database at %s: %w", where, err)
	}
	go s.renewLoop()
	return s, nil
}

func newReplicaID() string {
	return rand.Text() // 26 random base32 characters: no two replicas draw the same.
}

func (s *PostgresStore) start(ctx context.Context) error {
	if err := migratePostgres(ctx, s.pool, s.now()); err != nil {
		return err
	}
	if err := s.renew(ctx); err != nil {
		return err
	}
	return nil
}

// migratePostgres brings the schema up to date in one transaction that holds the migration advisory lock: a
// replica that starts beside another waits for it, then finds the schema current and changes nothing.
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, now time.Time) error {
	ms, err := loadMigrations(dialectPostgres)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if current > len(ms) {
			return fmt.Errorf("the audit database has schema version %d, newer than the %d this naas knows: upgrade naas", current, len(ms))
		}
		for _, m := range ms[current:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, now.UTC()); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// renew renews the store's lease (taking it again if another replica dropped it as expired), drops the leases
// that expired and marks the intents that no live replica will finish.
func (s *PostgresStore) renew(ctx context.Context) error {
	secs := s.lease.Seconds()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO replicas (id) VALUES ($1)
			ON CONFLICT (id) DO UPDATE SET renewed_at = now()`, s.replica); err != nil {
			return fmt.Errorf("renew the replica lease: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM replicas WHERE renewed_at < now() - make_interval(secs => $1)`, secs); err != nil {
			return fmt.Errorf("drop expired replica leases: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET result = $1, reason = $2
			WHERE result = $3 AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.id = events.replica)`,
			ResultUnknown, ReasonOutcomeUnknown, ResultPending); err != nil {
			return fmt.Errorf("mark intents without an outcome: %w", err)
		}
		return nil
	})
}

// renewLoop renews the lease every third of it until Close. A failed renewal is tried again at the next tick:
// the lease outlasts two failures.
func (s *PostgresStore) renewLoop() {
	defer close(s.renewDone)
	t := time.NewTicker(s.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), s.lease/3)
			_ = s.renew(ctx) // Retried at the next tick; writes report the database's errors themselves.
			cancel()
		}
	}
}

// Close stops renewing the lease, gives it up, so that other replicas mark at once the intents this store did
// not finish, and closes the connections. Writes after Close fail with ErrClosed. It is safe to call twice.
func (s *PostgresStore) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
		<-s.renewDone
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.pool.Exec(ctx, `DELETE FROM replicas WHERE id = $1`, s.replica); err != nil {
			s.closeErr = fmt.Errorf("give up the replica lease: %w", err)
		}
		s.pool.Close()
	})
	return s.closeErr
}

// crash stops the store as a killed process stops: its lease is left to expire.
func (s *PostgresStore) crash() {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
		<-s.renewDone
		s.pool.Close()
	})
}

func (s *PostgresStore) checkOpen() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Record implements Store.
func (s *PostgresStore) Record(ctx context.Context, e Event) error {
	if err := validate(e, false); err != nil {
		return err
	}
	if _, err := s.insert(ctx, e); err != nil {
		return fmt.Errorf("record audit event %s on %s: %w", e.Action, describeTarget(e), err)
	}
	return nil
}

// Intend implements Store.
func (s *PostgresStore) Intend(ctx context.Context, e Event) (int64, error) {
	e.Result = ResultPending
	if err := validate(e, true); err != nil {
		return 0, err
	}
	id, err := s.insert(ctx, e)
	if err != nil {
		return 0, fmt.Errorf("record intent %s on %s: %w", e.Action, describeTarget(e), err)
	}
	return id, nil
}

func (s *PostgresStore) insert(ctx context.Context, e Event) (int64, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	groups, details, err := encodeLists(e)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.pool.QueryRow(ctx, `INSERT INTO events
		(time_ns, request_id, user_name, groups, action, tenant, namespace, target, result, reason, details, replica)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		e.Time.UnixNano(), e.RequestID, e.User, groups, e.Action, e.Tenant, e.Namespace, e.Target,
		e.Result, e.Reason, details, s.replica).Scan(&id)
	return id, err
}

// Finish implements Store.
func (s *PostgresStore) Finish(ctx context.Context, id int64, e Event) error {
	if err := validate(e, false); err != nil {
		return err
	}
	if err := s.checkOpen(); err != nil {
		return err
	}
	groups, details, err := encodeLists(e)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE events SET request_id = $1, user_name = $2, groups = $3, action = $4,
		tenant = $5, namespace = $6, target = $7, result = $8, reason = $9, details = $10
		WHERE id = $11 AND result IN ($12, $13)`,
		e.RequestID, e.User, groups, e.Action, e.Tenant, e.Namespace, e.Target, e.Result, e.Reason, details,
		id, ResultPending, ResultUnknown)
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("%w: event %d", ErrNoIntent, id)
	}
	if err != nil {
		return fmt.Errorf("record the outcome of %s on %s: %w", e.Action, describeTarget(e), err)
	}
	return nil
}

// Query implements Store. Events come newest first, by id. Replicas draw ids from one sequence but commit
// independently, so an event may become visible just after a newer one: a page read in that instant misses it,
// a later query finds it.
func (s *PostgresStore) Query(ctx context.Context, q Query) (Page, error) {
	stmt, args, limit, err := buildQuery(q, "groups::text, details::text", func(n int) string { return fmt.Sprintf("$%d", n) })
	if err != nil {
		return Page{}, err
	}
	if err := s.checkOpen(); err != nil {
		return Page{}, err
	}
	rows, err := s.pool.Query(ctx, stmt, args...)
	if err != nil {
		return Page{}, fmt.Errorf("query audit events: %w", err)
	}
	defer rows.Close()
	return readPage(rows, limit)
}
