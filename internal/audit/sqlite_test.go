package audit_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/audit/storetest"
)

func open(t *testing.T, path string) *audit.SQLiteStore {
	t.Helper()
	s, err := audit.OpenSQLite(path)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSQLiteStore_Contract(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		NewDatabase: func(t *testing.T) storetest.Opener {
			path := filepath.Join(t.TempDir(), "data", "audit.db") // The directory does not exist yet.
			return func(t *testing.T, opts ...audit.Option) audit.Store {
				t.Helper()
				s, err := audit.OpenSQLite(path, opts...)
				if err != nil {
					t.Fatalf("OpenSQLite: %v", err)
				}
				t.Cleanup(func() { _ = s.Close() })
				return s
			}
		},
		// An SQLite store marks every intent left pending when it opens: there is nothing to leave undone.
		Crash: func(s audit.Store) { _ = s.Close() },
	})
}

// rawDB opens the database file directly, to look at what the store does not expose.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestOpenSQLite_MigrationsApplyOnceAndSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	for range 3 {
		s, err := audit.OpenSQLite(path)
		if err != nil {
			t.Fatalf("OpenSQLite: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var versions []int
	rows, err := rawDB(t, path).Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(audit.AllVersionsForTest(t, audit.DialectSQLiteForTest), versions); diff != "" {
		t.Errorf("schema_migrations mismatch (-want +got):\n%s", diff)
	}
}

func TestOpenSQLite_RefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := open(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', 'x')`); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.OpenSQLite(path); err == nil {
		t.Fatal("OpenSQLite of a database from a newer naas succeeded, want an error saying to upgrade")
	}
}

func TestOpenSQLite_UsesWALAndFullSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	open(t, path)
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal (it persists in the file)", mode)
	}
	// synchronous is per connection, so ask through the store's own settings: a connection opened the way the
	// store opens them.
	var sync int
	if err := audit.QueryPragmaForTest(t, path, "synchronous", &sync); err != nil {
		t.Fatal(err)
	}
	if sync != 2 {
		t.Errorf("synchronous = %d, want 2 (FULL)", sync)
	}
}

// BenchmarkSQLiteStore_RequestUnderBurst measures what a request that changes something costs the audit log
// (Intend, then Finish) with 60 requests at once, as in a burst: the commits of concurrent requests are shared.
func BenchmarkSQLiteStore_RequestUnderBurst(b *testing.B) {
	s, err := audit.OpenSQLite(filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.SetParallelism(30) // 60 goroutines on two cores.
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := storetest.Event("alice", "pay", "pay-dev", 0)
			id, err := s.Intend(ctx, e)
			if err != nil {
				b.Error(err)
				return
			}
			if err := s.Finish(ctx, id, e); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
