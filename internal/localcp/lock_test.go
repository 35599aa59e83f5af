package localcp

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestLockDataDir_SecondLockFailsNamingTheHolderUntilUnlocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // Created by the lock.
	first, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	// flock locks belong to an open file, so a second open in this process conflicts as another process would.
	_, err = LockDataDir(dir)
	var locked *DataDirLockedError
	if !errors.As(err, &locked) || !errors.Is(err, ErrDataDirLocked) || locked.PID != os.Getpid() {
		t.Fatalf("second lock: %v, want a DataDirLockedError naming pid %d", err, os.Getpid())
	}
	if want := "naas is already running in " + dir + " (pid " + strconv.Itoa(os.Getpid()) + ")"; !strings.Contains(err.Error(), want) {
		t.Errorf("second lock: %q, want it to say %q", err, want)
	}
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := first.Unlock(); err != nil {
		t.Errorf("second Unlock: %v, want nil", err)
	}
	again, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	_ = again.Unlock()
}

func TestLogTail_QuotesTheLastLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	var lines []string
	for i := range 30 {
		lines = append(lines, "line "+strconv.Itoa(i))
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := logTail(path)
	if !strings.HasSuffix(got, "    line 29") || !strings.Contains(got, "line 20") || strings.Contains(got, "line 19") {
		t.Errorf("logTail = %q, want the last %d lines", got, logTailLines)
	}
	if got := logTail(filepath.Join(t.TempDir(), "missing.log")); got != "" {
		t.Errorf("logTail of a missing file = %q, want empty", got)
	}
}
