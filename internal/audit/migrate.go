package audit

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// migrationFiles are the schema migrations of each dialect, applied in order: migrations/<dialect>/NNNN_name.sql
// is version NNNN. Version N is the same step in every dialect, under the same file name (a test checks), so
// that a schema version means one thing whichever database holds it. A migration, once released, never
// changes; a schema change is a new file in every dialect.
//
//go:embed migrations/*/*.sql
var migrationFiles embed.FS

// Dialects of the migrations: the directories under migrations/.
const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// migration is one step of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations of dialect in order, checking that their versions run 1, 2,
// 3... with no gaps, so a misnamed file fails every test rather than a user's upgrade.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir) // Sorted by name.
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		prefix, _, _ := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(prefix)
		if err != nil || version != len(ms)+1 {
			return nil, fmt.Errorf("migration %s: want a name starting with %04d_", e.Name(), len(ms)+1)
		}
		data, err := migrationFiles.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: version, name: e.Name(), sql: string(data)})
	}
	return ms, nil
}

// migrateSQLite brings the schema of db up to date in one transaction: either every pending migration is applied
// and recorded in schema_migrations, or none is. Reopening an up-to-date database changes nothing. A database
// written by a newer naas is refused rather than used with a schema this version does not know.
func migrateSQLite(ctx context.Context, db *sql.DB, now time.Time) (err error) {
	ms, err := loadMigrations(dialectSQLite)
	if err != nil {
		return err
	}
	// The store opens transactions with BEGIN IMMEDIATE, so two processes that open the same file at once
	// take turns here instead of both applying the same migration.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback() // The error that made us roll back is the one to report.
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("the audit database has schema version %d, newer than the %d this naas knows: upgrade naas", current, len(ms))
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, now.UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}
