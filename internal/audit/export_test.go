package audit

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// QueryPragmaForTest reads PRAGMA name on a connection opened with the store's own settings.
func QueryPragmaForTest(t *testing.T, path, name string, dest any) error {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRow("PRAGMA " + name).Scan(dest)
}

// CrashForTest stops s the way a killed process stops: its replica lease is left to expire.
func CrashForTest(s *PostgresStore) { s.crash() }

// AllVersionsForTest are the versions of every embedded migration of dialect: what a migrated database records.
func AllVersionsForTest(t *testing.T, dialect string) []int {
	t.Helper()
	ms, err := loadMigrations(dialect)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.version)
	}
	return out
}

// Dialects for AllVersionsForTest.
const (
	DialectSQLiteForTest   = dialectSQLite
	DialectPostgresForTest = dialectPostgres
)
