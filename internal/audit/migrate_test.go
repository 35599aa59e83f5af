package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMigrations_SameVersionsInEveryDialect(t *testing.T) {
	names := func(dialect string) []string {
		ms, err := loadMigrations(dialect)
		if err != nil {
			t.Fatalf("%s migrations: %v", dialect, err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.name)
		}
		return out
	}
	sqlite, postgres := names(dialectSQLite), names(dialectPostgres)
	if len(sqlite) == 0 {
		t.Fatal("no SQLite migrations")
	}
	if diff := cmp.Diff(sqlite, postgres); diff != "" {
		t.Errorf("migrations of SQLite and PostgreSQL differ (-sqlite +postgres): a schema change is one file of the same name in each:\n%s", diff)
	}
}
