// Package restart tests what naas does when it starts against a cluster that already has everything it
// installs: it reads, finds it all in place, and writes nothing. kube-apiserver's audit log, which records
// every request of naas's own user, is the witness.
package restart

import (
	"testing"

	"github.com/naas-dev/naas/internal/kubeaudit"
	"github.com/naas-dev/naas/internal/testenv"
)

// naasUser is the user naas acts as in these tests, so that the audit log tells its requests apart from the
// test's own (the admin's).
const naasUser = "naas-controller"

var (
	env   *testenv.Environment
	audit = &auditLog{}
)

func TestMain(m *testing.M) { testenv.MainAuditing(m, &env, &audit.Log, naasUser, testenv.Options{}) }

// auditLog is the environment's audit log, read in windows by the tests.
type auditLog struct{ *kubeaudit.Log }

// mark returns the current end of the log.
func (a *auditLog) mark(t *testing.T) int64 {
	t.Helper()
	offset, err := a.Mark()
	if err != nil {
		t.Fatal(err)
	}
	return offset
}

// since returns the events written after offset.
func (a *auditLog) since(t *testing.T, offset int64) []kubeaudit.Event {
	t.Helper()
	events, err := a.Since(offset)
	if err != nil {
		t.Fatal(err)
	}
	return events
}
