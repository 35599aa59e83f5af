package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// BudgetKey names one threshold of one budget in one period: a threshold fires at most once per key.
type BudgetKey struct {
	// Scope is the budget's scope, "<kind>/<name>": "tenant/payments", "namespace/payments-api",
	// "costcenter/cc-42".
	Scope string
	// Period is the month, YYYY-MM (UTC).
	Period string
	// Threshold is the percent of the budget.
	Threshold int32
	// Kind is Actual or Forecast.
	Kind string
}

// String is the key as one string, e.g. "tenant/payments/2026-12/80/Actual": the idempotency key of the
// notification.
func (k BudgetKey) String() string {
	return fmt.Sprintf("%s/%s/%d/%s", k.Scope, k.Period, k.Threshold, k.Kind)
}

// BudgetNotification is a threshold that fired.
type BudgetNotification struct {
	BudgetKey
	// FiredAt is when it fired.
	FiredAt time.Time
	// Payload is the notification as it is sent (JSON), stored so that a resend carries the same figures.
	Payload string
	// DeliveredAt is when the notification went out; zero until then.
	DeliveredAt time.Time
}

// BudgetLedger records which budget thresholds fired, durably, so that each fires once per period however many
// evaluators run or restart. Both stores implement it.
//
// The protocol is at-least-once: Fire before notifying, MarkDelivered after. A crash between the two leaves the
// notification undelivered, and Undelivered hands it to the next evaluator, which sends it again with the same
// payload and idempotency key (BudgetKey.String); a receiver that keeps the keys it saw drops the repeat.
// (Notifying first and recording after would be at-most-once: a crash in between would lose the notification,
// and a budget alert lost is worse than one received twice.)
type BudgetLedger interface {
	// FireBudgetThreshold records n unless its key is recorded already. It returns the notification as stored
	// (the earlier one, with its FiredAt and Payload, when the key was there) and whether this call recorded it:
	// only the caller that recorded it notifies.
	FireBudgetThreshold(ctx context.Context, n BudgetNotification) (BudgetNotification, bool, error)
	// FiredBudgetThresholds returns the thresholds of scope that fired in period.
	FiredBudgetThresholds(ctx context.Context, scope, period string) ([]BudgetNotification, error)
	// UndeliveredBudgetNotifications returns the notifications not yet delivered, oldest first, at most limit.
	UndeliveredBudgetNotifications(ctx context.Context, limit int) ([]BudgetNotification, error)
	// MarkBudgetNotificationDelivered records that the notification of k went out at at.
	MarkBudgetNotificationDelivered(ctx context.Context, k BudgetKey, at time.Time) error
}

var (
	_ BudgetLedger = (*SQLiteStore)(nil)
	_ BudgetLedger = (*PostgresStore)(nil)
)

// ErrInvalidBudgetKey is the error the ledger returns, wrapped, for a key lacking a field.
var ErrInvalidBudgetKey = errors.New("invalid budget key")

func (k BudgetKey) validate() error {
	if k.Scope == "" || k.Period == "" || k.Threshold <= 0 || k.Kind == "" {
		return fmt.Errorf("%w: %+v: scope, period, a positive threshold and kind are required", ErrInvalidBudgetKey, k)
	}
	return nil
}

const budgetColumns = `scope, period, threshold, kind, fired_ns, payload, delivered_ns`

// budgetRow scans one row of budget_notifications.
type budgetRow interface{ Scan(dest ...any) error }

func scanBudget(r budgetRow) (BudgetNotification, error) {
	var n BudgetNotification
	var fired, delivered int64
	if err := r.Scan(&n.Scope, &n.Period, &n.Threshold, &n.Kind, &fired, &n.Payload, &delivered); err != nil {
		return n, err
	}
	n.FiredAt = time.Unix(0, fired).UTC()
	if delivered != 0 {
		n.DeliveredAt = time.Unix(0, delivered).UTC()
	}
	return n, nil
}

// FireBudgetThreshold implements BudgetLedger.
func (s *SQLiteStore) FireBudgetThreshold(ctx context.Context, n BudgetNotification) (BudgetNotification, bool, error) {
	if err := n.validate(); err != nil {
		return n, false, err
	}
	if n.FiredAt.IsZero() {
		n.FiredAt = s.now()
	}
	var stored BudgetNotification
	var inserted bool
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO budget_notifications (`+budgetColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, 0)`, n.Scope, n.Period, n.Threshold, n.Kind, n.FiredAt.UnixNano(), n.Payload)
		if err != nil {
			return err
		}
		rows, err := res.RowsAffected()
		if err != nil {
			return err
		}
		inserted = rows == 1
		stored, err = scanBudget(tx.QueryRowContext(ctx, `SELECT `+budgetColumns+` FROM budget_notifications
			WHERE scope = ? AND period = ? AND threshold = ? AND kind = ?`, n.Scope, n.Period, n.Threshold, n.Kind))
		return err
	})
	if err != nil {
		return n, false, fmt.Errorf("record budget threshold %s: %w", n.BudgetKey, err)
	}
	return stored, inserted, nil
}

// FiredBudgetThresholds implements BudgetLedger.
func (s *SQLiteStore) FiredBudgetThresholds(ctx context.Context, scope, period string) ([]BudgetNotification, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+budgetColumns+` FROM budget_notifications
		WHERE scope = ? AND period = ? ORDER BY fired_ns, threshold, kind`, scope, period)
	if err != nil {
		return nil, fmt.Errorf("read the fired thresholds of %s in %s: %w", scope, period, err)
	}
	return collectBudgets(rows)
}

// UndeliveredBudgetNotifications implements BudgetLedger.
func (s *SQLiteStore) UndeliveredBudgetNotifications(ctx context.Context, limit int) ([]BudgetNotification, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+budgetColumns+` FROM budget_notifications
		WHERE delivered_ns = 0 ORDER BY fired_ns LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read undelivered budget notifications: %w", err)
	}
	return collectBudgets(rows)
}

// MarkBudgetNotificationDelivered implements BudgetLedger.
func (s *SQLiteStore) MarkBudgetNotificationDelivered(ctx context.Context, k BudgetKey, at time.Time) error {
	if err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE budget_notifications SET delivered_ns = ?
			WHERE scope = ? AND period = ? AND threshold = ? AND kind = ? AND delivered_ns = 0`,
			at.UnixNano(), k.Scope, k.Period, k.Threshold, k.Kind)
		return err
	}); err != nil {
		return fmt.Errorf("mark budget notification %s delivered: %w", k, err)
	}
	return nil
}

// budgetRows are the rows of either driver (database/sql's, pgx's).
type budgetRows interface {
	budgetRow
	Next() bool
	Err() error
}

func collectBudgets(rows *sql.Rows) ([]BudgetNotification, error) {
	defer rows.Close()
	return readBudgets(rows)
}

func collectPgBudgets(rows pgx.Rows) ([]BudgetNotification, error) {
	defer rows.Close()
	return readBudgets(rows)
}

func readBudgets(rows budgetRows) ([]BudgetNotification, error) {
	var out []BudgetNotification
	for rows.Next() {
		n, err := scanBudget(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// FireBudgetThreshold implements BudgetLedger.
func (s *PostgresStore) FireBudgetThreshold(ctx context.Context, n BudgetNotification) (BudgetNotification, bool, error) {
	if err := n.validate(); err != nil {
		return n, false, err
	}
	if err := s.checkOpen(); err != nil {
		return n, false, err
	}
	if n.FiredAt.IsZero() {
		n.FiredAt = s.now()
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO budget_notifications (`+budgetColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT DO NOTHING`,
		n.Scope, n.Period, n.Threshold, n.Kind, n.FiredAt.UnixNano(), n.Payload)
	if err != nil {
		return n, false, fmt.Errorf("record budget threshold %s: %w", n.BudgetKey, err)
	}
	stored, err := scanBudget(s.pool.QueryRow(ctx, `SELECT `+budgetColumns+` FROM budget_notifications
		WHERE scope = $1 AND period = $2 AND threshold = $3 AND kind = $4`, n.Scope, n.Period, n.Threshold, n.Kind))
	if err != nil {
		return n, false, fmt.Errorf("read budget threshold %s: %w", n.BudgetKey, err)
	}
	return stored, tag.RowsAffected() == 1, nil
}

// FiredBudgetThresholds implements BudgetLedger.
func (s *PostgresStore) FiredBudgetThresholds(ctx context.Context, scope, period string) ([]BudgetNotification, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+budgetColumns+` FROM budget_notifications
		WHERE scope = $1 AND period = $2 ORDER BY fired_ns, threshold, kind`, scope, period)
	if err != nil {
		return nil, fmt.Errorf("read the fired thresholds of %s in %s: %w", scope, period, err)
	}
	return collectPgBudgets(rows)
}

// UndeliveredBudgetNotifications implements BudgetLedger.
func (s *PostgresStore) UndeliveredBudgetNotifications(ctx context.Context, limit int) ([]BudgetNotification, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+budgetColumns+` FROM budget_notifications
		WHERE delivered_ns = 0 ORDER BY fired_ns LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read undelivered budget notifications: %w", err)
	}
	return collectPgBudgets(rows)
}

// MarkBudgetNotificationDelivered implements BudgetLedger.
func (s *PostgresStore) MarkBudgetNotificationDelivered(ctx context.Context, k BudgetKey, at time.Time) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE budget_notifications SET delivered_ns = $1
		WHERE scope = $2 AND period = $3 AND threshold = $4 AND kind = $5 AND delivered_ns = 0`,
		at.UnixNano(), k.Scope, k.Period, k.Threshold, k.Kind); err != nil {
		return fmt.Errorf("mark budget notification %s delivered: %w", k, err)
	}
	return nil
}
