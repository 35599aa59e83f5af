package localcp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFileName is the file in a data directory that LockDataDir locks.
const LockFileName = "naas.lock"

// ErrDataDirLocked matches the error LockDataDir returns when another process holds the lock.
var ErrDataDirLocked = errors.New("data directory locked")

// DataDirLockedError is the error LockDataDir returns when another process holds the lock.
type DataDirLockedError struct {
	// Dir is the data directory; PID the process holding it, 0 if unknown.
	Dir string
	PID int
}

func (e *DataDirLockedError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = fmt.Sprintf("pid %d", e.PID)
	}
	return fmt.Sprintf("naas is already running in %s (%s): stop it first, or use another --data-dir", e.Dir, holder)
}

// Is makes the error match ErrDataDirLocked.
func (e *DataDirLockedError) Is(target error) bool { return target == ErrDataDirLocked }

// DataDirLock is the exclusive use of a data directory by one process.
type DataDirLock struct {
	f *os.File
}

// LockDataDir takes the data directory dir for this process, creating it if needed, or fails at once with an
// *DataDirLockedError (matching ErrDataDirLocked) that names the process holding it. The lock is the kernel's (flock) on
// dir/naas.lock: it is released when the process ends, however it ends, so a crash never leaves a stale lock.
// Two processes running a control plane on one data directory would overwrite each other's state and ports.
func LockDataDir(dir string) (*DataDirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	held, err := tryLock(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !held {
		b, _ := os.ReadFile(path)
		_ = f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return nil, &DataDirLockedError{Dir: dir, PID: pid}
	}
	// The pid is for the message above only: the lock, not the file's content, decides.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DataDirLock{f: f}, nil
}

// Unlock releases the data directory. It is safe to call twice.
func (l *DataDirLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	// Closing the file releases the lock; the stale pid in it is harmless.
	return f.Close()
}
