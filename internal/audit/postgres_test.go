package audit_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/audit/storetest"
	"github.com/naas-dev/naas/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopPostgres()
	os.Exit(code)
}

// testLease is the replica lease of the tests' PostgreSQL stores: short, so that a crashed replica's intents
// are marked soon, and long enough that a live one renews in time on a busy machine.
const testLease = 3 * time.Second

func openPostgres(t *testing.T, dsn string, opts ...audit.Option) *audit.PostgresStore {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := audit.OpenPostgres(ctx, dsn, append([]audit.Option{audit.WithLease(testLease)}, opts...)...)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestPostgresStore_Contract(t *testing.T) {
	pg := testenv.PostgresForTest(t)
	storetest.Run(t, storetest.Backend{
		NewDatabase: func(t *testing.T) storetest.Opener {
			dsn := pg.NewDatabase(t)
			return func(t *testing.T, opts ...audit.Option) audit.Store { return openPostgres(t, dsn, opts...) }
		},
		Crash: func(s audit.Store) { audit.CrashForTest(s.(*audit.PostgresStore)) },
	})
}

func migrationVersions(t *testing.T, dsn string) []int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

func TestOpenPostgres_ReplicasStartingTogetherMigrateOnce(t *testing.T) {
	dsn := testenv.PostgresForTest(t).NewDatabase(t)
	const replicas = 6
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, replicas)
	for range replicas {
		wg.Go(func() {
			<-start
			s, err := audit.OpenPostgres(context.Background(), dsn)
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Close()
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a replica starting beside others: %v", err)
		}
	}
	if diff := cmp.Diff(audit.AllVersionsForTest(t, audit.DialectPostgresForTest), migrationVersions(t, dsn)); diff != "" {
		t.Errorf("schema_migrations mismatch (-want +got):\n%s", diff)
	}
}

func TestOpenPostgres_RefusesNewerSchema(t *testing.T) {
	dsn := testenv.PostgresForTest(t).NewDatabase(t)
	if err := openPostgres(t, dsn).Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.OpenPostgres(ctx, dsn); err == nil || !strings.Contains(err.Error(), "upgrade naas") {
		t.Fatalf("OpenPostgres of a database from a newer naas: %v, want an error saying to upgrade naas", err)
	}
}

func resultOf(t *testing.T, s audit.Store, id int64) string {
	t.Helper()
	page, err := s.Query(context.Background(), audit.Query{Limit: audit.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Events {
		if e.ID == id {
			return e.Result
		}
	}
	t.Fatalf("event %d not found", id)
	return ""
}

func TestPostgresStore_ReplicaStartingLeavesALiveReplicasIntentsPending(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresForTest(t).NewDatabase(t)
	live := openPostgres(t, dsn)
	id, err := live.Intend(ctx, storetest.Event("alice", "pay", "pay-dev", 0))
	if err != nil {
		t.Fatal(err)
	}
	crashed := openPostgres(t, dsn)
	lost, err := crashed.Intend(ctx, storetest.Event("bob", "pay", "pay-dev", 1))
	if err != nil {
		t.Fatal(err)
	}
	audit.CrashForTest(crashed)

	started := openPostgres(t, dsn)
	if got := resultOf(t, started, id); got != audit.ResultPending {
		t.Fatalf("a live replica's intent after another replica started: %q, want pending", got)
	}
	// The crashed replica's lease runs out; the replicas alive mark its intent, and only its.
	testenv.Eventually(t, time.Minute, "the crashed replica's intent reads unknown", func() error {
		if got := resultOf(t, started, lost); got != audit.ResultUnknown {
			return testenv.Errorf("result %q", got)
		}
		return nil
	})
	if got := resultOf(t, started, id); got != audit.ResultPending {
		t.Fatalf("a live replica's intent after another's lease ran out: %q, want pending", got)
	}
	if err := live.Finish(ctx, id, storetest.Event("alice", "pay", "pay-dev", 0)); err != nil {
		t.Fatal(err)
	}
	if got := resultOf(t, started, id); got != audit.ResultAllowed {
		t.Errorf("after Finish: %q, want allowed", got)
	}
}

func TestPostgresStore_ReplicaClosingHandsItsUnfinishedIntentsOver(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresForTest(t).NewDatabase(t)
	other := openPostgres(t, dsn, audit.WithLease(time.Hour)) // Marks only at open: no renewal during the test.
	closing := openPostgres(t, dsn)
	id, err := closing.Intend(ctx, storetest.Event("alice", "pay", "pay-dev", 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := closing.Close(); err != nil {
		t.Fatal(err)
	}
	// The next store to open (or renew) marks it at once: the closed replica's lease is gone, not expiring.
	openPostgres(t, dsn, audit.WithLease(time.Hour))
	if got := resultOf(t, other, id); got != audit.ResultUnknown {
		t.Errorf("intent of a closed replica after another opened: %q, want unknown", got)
	}
}

func TestOpen_BadDSNsSayWhatIsSupportedAndHideThePassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tt := range []struct {
		dsn, want   string
		unsupported bool
	}{
		{"", "postgres://", true},
		{"/var/lib/naas/audit.db", "sqlite://", true},
		{"mysql://root:s3cret@127.0.0.1/naas", `"mysql": the supported schemes are postgres:// and sqlite://`, true},
		{"sqlite://", "needs a path", true},
		{"postgres://naas:s3cret@127.0.0.1:1/naas?sslmode=disable&connect_timeout=5", "127.0.0.1:1/naas", false},
		{"postgres://naas:s3cret@127.0.0.1:1/naas?sslmode=bogus", "sslmode", false},
	} {
		s, err := audit.Open(ctx, tt.dsn)
		if err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded, want an error", tt.dsn)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%q) = %v, want it to say %q", tt.dsn, err, tt.want)
		}
		if errors.Is(err, audit.ErrUnsupportedDatabase) != tt.unsupported {
			t.Errorf("Open(%q) = %v: matches ErrUnsupportedDatabase %v, want %v", tt.dsn, err, !tt.unsupported, tt.unsupported)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q) error shows the password: %v", tt.dsn, err)
		}
	}
}

func TestRedact_MasksPasswords(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://naas:s3cret@db:5432/naas":     "postgres://naas:xxxxx@db:5432/naas",
		"postgres://naas@db/naas?password=s3cret": "postgres://naas@db/naas?password=xxxxx",
		"sqlite:///var/lib/naas/audit.db":         "sqlite:///var/lib/naas/audit.db",
		"host=db password=s3cret":                 "(a database DSN that is not a URL)",
	} {
		if got := audit.Redact(dsn); got != want {
			t.Errorf("Redact(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestOpen_SQLiteDSN(t *testing.T) {
	path := t.TempDir() + "/audit.db"
	s, err := audit.Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*audit.SQLiteStore); !ok {
		t.Errorf("Open(sqlite://...) = %T, want *audit.SQLiteStore", s)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the SQLite file: %v", err)
	}
}
