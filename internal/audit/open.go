package audit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Schemes of the database DSNs Open takes.
const (
	SchemeSQLite   = "sqlite"
	SchemePostgres = "postgres"
)

// ErrUnsupportedDatabase is the error Open returns, wrapped, for a DSN it cannot open.
var ErrUnsupportedDatabase = errors.New("unsupported database")

// Open opens the store that dsn names: sqlite://PATH for an SQLite file (sqlite:///var/lib/naas/audit.db is an
// absolute path, sqlite://audit.db a relative one), or postgres://... (postgresql://... too) for a PostgreSQL
// database that several naas replicas may share. Errors never show the DSN's password.
func Open(ctx context.Context, dsn string, opts ...Option) (Store, error) {
	if err := CheckDSN(dsn); err != nil {
		return nil, err
	}
	if path, ok := strings.CutPrefix(dsn, SchemeSQLite+"://"); ok {
		return OpenSQLite(path, opts...)
	}
	return OpenPostgres(ctx, dsn, opts...)
}

// CheckDSN returns the error Open would return for a DSN it cannot take, without opening anything: a command
// checks its flags before it starts what takes time. A DSN of no supported scheme gives an error matching
// ErrUnsupportedDatabase. Errors never show the DSN's password.
func CheckDSN(dsn string) error {
	scheme, rest, ok := strings.Cut(dsn, "://")
	switch {
	case ok && scheme == SchemeSQLite:
		if rest == "" {
			return fmt.Errorf("%w: sqlite:// needs a path, e.g. sqlite:///var/lib/naas/audit.db", ErrUnsupportedDatabase)
		}
		return nil
	case ok && (scheme == SchemePostgres || scheme == "postgresql"):
		if _, err := pgxpool.ParseConfig(dsn); err != nil {
			// pgx's parse errors show the DSN with its password masked.
			return fmt.Errorf("audit database: %w", err)
		}
		return nil
	case dsn == "":
		return fmt.Errorf("%w: no database given: want postgres://USER@HOST:PORT/DATABASE or sqlite://PATH", ErrUnsupportedDatabase)
	case !ok:
		return fmt.Errorf("%w: the database must be a URL, postgres://USER@HOST:PORT/DATABASE or sqlite://PATH", ErrUnsupportedDatabase)
	default:
		return fmt.Errorf("%w %q: the supported schemes are postgres:// and sqlite://", ErrUnsupportedDatabase, scheme)
	}
}

// Redact returns dsn as it may be shown: the password of a URL masked, anything else that is not a URL reduced
// to its scheme.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		if u.Scheme == SchemeSQLite {
			return dsn
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		return scheme + "://..."
	}
	return "(a database DSN that is not a URL)"
}
