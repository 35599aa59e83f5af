package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var _ CostStore = (*PostgresStore)(nil)

func postgresPlaceholder(n int) string { return fmt.Sprintf("$%d", n) }

// ReplaceCostHour implements CostStore, in one transaction. Replicas writing the same hour at once (only the
// leader collects, but leadership moves) take turns on the hour's row in cost_hours.
func (s *PostgresStore) ReplaceCostHour(ctx context.Context, h CostHour) error {
	if err := validateCostHour(h); err != nil {
		return err
	}
	if err := s.checkOpen(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Lock the hour first: two writers of one hour would otherwise both subtract the old rows from the
		// daily sums.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1), $2::int)`, h.Cluster, int32(h.Hour.Unix()/3600)); err != nil {
			return fmt.Errorf("lock the hour: %w", err)
		}
		exec := func(ctx context.Context, stmt string, args ...any) error {
			_, err := tx.Exec(ctx, stmt, args...)
			return err
		}
		return writeCostHour(ctx, exec, postgresPlaceholder, h, s.now())
	})
	if err != nil {
		return fmt.Errorf("store the cost of %s at %s: %w", h.Cluster, h.Hour.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// CostHours implements CostStore.
func (s *PostgresStore) CostHours(ctx context.Context, cluster string, since, until time.Time) ([]time.Time, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf(costHoursStmt, "$1", "$2", "$3"), cluster, since.Unix(), until.Unix())
	if err != nil {
		return nil, fmt.Errorf("query cost hours: %w", err)
	}
	defer rows.Close()
	return readCostHours(rows)
}

// SumCosts implements CostStore. Its statements run in one repeatable-read transaction, so a query never sees
// an hour half-replaced nor a day's sums without its hours.
func (s *PostgresStore) SumCosts(ctx context.Context, q CostQuery) ([]CostSum, error) {
	if err := validateCostQuery(q); err != nil {
		return nil, err
	}
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	var sums costSums
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		stmts, args := costStatements(q, postgresPlaceholder)
		for i, stmt := range stmts {
			if err := func() error {
				rows, err := tx.Query(ctx, stmt, args[i]...)
				if err != nil {
					return fmt.Errorf("query costs: %w", err)
				}
				defer rows.Close()
				return sums.read(rows)
			}(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sums.out, nil
}
