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
