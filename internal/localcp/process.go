package localcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// process is one control plane component running as a child process.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startProcess starts binary as a child that dies with naas (see dieWithParent). Start and Wait run on one
// goroutine locked to its OS thread: on Linux the parent-death signal is tied to the thread that started the
// child, not to the process, and a thread the Go runtime ended (one whose goroutine exited while locked) would
// kill the child early; a thread that lives as long as the child kills it exactly when naas dies. env, if any, is
// added to naas's environment.
func startProcess(name, binary string, args []string, logPath string, env ...string) (*process, error) {
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("%s binary not found at %s: build it with `make controlplane`: %w", name, binary, err)
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	cmd := exec.Command(binary, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Its own process group, so a terminal's Ctrl-C reaches only naas, which then stops the components in
	// order.
	cmd.SysProcAttr = dieWithParent(&syscall.SysProcAttr{Setpgid: true})
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer logf.Close()
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("start %s: %w", name, err)
			return
		}
		started <- nil
		p.err = cmd.Wait()
		if p.err == nil {
			p.err = errors.New("exit status 0")
		}
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop asks the process to terminate and kills its process group after the grace period.
func (p *process) stop(grace time.Duration) {
	if done, _ := p.exited(); done {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		killGroup(p.cmd.Process)
		<-p.done
	}
}

func (p *process) Pid() int { return p.cmd.Process.Pid }

// FreePort asks the kernel for a free TCP port on loopback.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PortFree reports whether a TCP port on loopback can be bound now.
func PortFree(port int) bool { return port > 0 && CheckPortFree(port) == nil }

// CheckPortFree returns why a TCP port on loopback cannot be bound now, or nil if it can.
func CheckPortFree(port int) error {
	if port <= 0 || port > 65535 {
		return fmt.Errorf("port %d is not a TCP port (1 to 65535)", port)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("port %d on 127.0.0.1 is in use by another process: stop it, or choose another port: %w", port, err)
		}
		return fmt.Errorf("cannot listen on port %d on 127.0.0.1: %w", port, err)
	}
	_ = l.Close()
	return nil
}

// logTailLines is how many lines of a component's log an error quotes.
const logTailLines = 10

// waitFor polls check until it succeeds, the process dies or the context ends. Its errors name the log to read
// and quote its last lines, which usually say what went wrong (a port in use, a bad flag).
func waitFor(ctx context.Context, p *process, logPath string, check func(context.Context) error) error {
	var last error
	for {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited before it was ready (%w); see %s%s", p.name, err, logPath, logTail(logPath))
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = check(cctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready (%w); see %s%s", p.name, errors.Join(ctx.Err(), last), logPath, logTail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// logTail returns the last lines of the log at path, indented on lines of their own, or "" if it cannot be
// read.
func logTail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const maxBytes = 8 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		if _, err := f.Seek(-maxBytes, 0); err != nil {
			return ""
		}
	}
	b := make([]byte, maxBytes)
	n, _ := f.Read(b)
	lines := strings.Split(strings.TrimRight(string(bytes.ToValidUTF8(b[:n], nil)), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	if len(lines) == 0 || (len(lines) == 1 && lines[0] == "") {
		return ""
	}
	return ":\n    " + strings.Join(lines, "\n    ")
}

// writeFileAtomic writes data to path through a temporary file and a rename, so that a crash never leaves it
// half-written.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // Gone after the rename; removes the leftover on error.
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func binPath(dir, name string) string { return filepath.Join(dir, name) }

var errNotReady = errors.New("not ready")
