package audit

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

var _ CostStore = (*SQLiteStore)(nil)

func sqlitePlaceholder(int) string { return "?" }

// ReplaceCostHour implements CostStore. The hour is one write of the store's writer: it commits whole or not
// at all.
func (s *SQLiteStore) ReplaceCostHour(ctx context.Context, h CostHour) error {
	if err := validateCostHour(h); err != nil {
		return err
	}
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		exec := func(ctx context.Context, stmt string, args ...any) error {
			_, err := tx.ExecContext(ctx, stmt, args...)
			return err
		}
		return writeCostHour(ctx, exec, sqlitePlaceholder, h, s.now())
	}); err != nil {
		return fmt.Errorf("store the cost of %s at %s: %w", h.Cluster, h.Hour.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// CostHours implements CostStore.
func (s *SQLiteStore) CostHours(ctx context.Context, cluster string, since, until time.Time) ([]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(costHoursStmt, "?", "?", "?"), cluster, since.Unix(), until.Unix())
	if err != nil {
		return nil, fmt.Errorf("query cost hours: %w", err)
	}
	defer rows.Close()
	return readCostHours(rows)
}

// SumCosts implements CostStore. Its statements run in one read transaction, so a query never sees an hour
// half-replaced nor a day's sums without its hours.
func (s *SQLiteStore) SumCosts(ctx context.Context, q CostQuery) ([]CostSum, error) {
	if err := validateCostQuery(q); err != nil {
		return nil, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("query costs: %w", err)
	}
	defer conn.Close()
	// A deferred (read) transaction: the store's DSN makes BeginTx take the write lock, which a read must not.
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return nil, fmt.Errorf("query costs: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // A read transaction: nothing to undo.
	var sums costSums
	stmts, args := costStatements(q, sqlitePlaceholder)
	for i, stmt := range stmts {
		if err := func() error {
			rows, err := conn.QueryContext(ctx, stmt, args[i]...)
			if err != nil {
				return fmt.Errorf("query costs: %w", err)
			}
			defer rows.Close()
			return sums.read(rows)
		}(); err != nil {
			return nil, err
		}
	}
	return sums.out, nil
}
