package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv is the variable a developer sets to "skip" to skip the tests that need PostgreSQL on a machine
// without it. Unset, a missing server fails those tests: CI installs it (hack/deps.sh).
const PostgresEnv = "NAAS_TEST_POSTGRES"

// PostgresUser and PostgresPassword are the superuser of the servers StartPostgres starts. Connections over
// TCP authenticate with the password (SCRAM), as a real deployment's do.
const (
	PostgresUser     = "naas"
	PostgresPassword = "test-password-not-secret"
)

// ErrNoPostgres is returned, wrapped, by StartPostgres when the PostgreSQL server binaries are not installed.
var ErrNoPostgres = errors.New("PostgreSQL server binaries not found")

// Postgres is a PostgreSQL server that a test package started: its own data directory in a temporary directory,
// listening on a free loopback port, with fsync off (the tests check what naas does, not the disk).
type Postgres struct {
	// Addr is host:port of the server.
	Addr string
	dir  string
	cmd  *exec.Cmd
	done chan error

	mu        sync.Mutex
	databases int
}

// postgresBinDir returns the newest /usr/lib/postgresql/<version>/bin holding initdb and postgres (Debian keeps
// them off PATH), or the directory of a postgres on PATH.
func postgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorVersion(dirs[i]) > majorVersion(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		d := filepath.Dir(p)
		if isFile(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w in /usr/lib/postgresql/*/bin or on PATH: run `make deps` (hack/deps.sh installs Debian's postgresql package), or set %s=skip to skip these tests", ErrNoPostgres, PostgresEnv)
}

func majorVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// serverCredential returns the user the server runs as: PostgreSQL refuses to run as root, so a test running as
// root runs it as the postgres user (Debian's package creates it) or nobody. Nil when not root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as (it refuses root)")
}

// StartPostgres initialises a new cluster in a temporary directory and starts a server on a free loopback port.
// Stop it with Stop. A machine without the server binaries gives an error matching ErrNoPostgres.
func StartPostgres() (*Postgres, error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "naas-postgres-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{dir: dir}
	fail := func(err error) (*Postgres, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(PostgresPassword+"\n"), 0o600); err != nil {
		return fail(err)
	}
	if cred != nil {
		for _, path := range []string{dir, pwfile} {
			if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
				return fail(fmt.Errorf("hand the PostgreSQL directory to uid %d: %w", cred.Uid, err))
			}
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "--pgdata", data, "--username", PostgresUser,
		"--pwfile", pwfile, "--auth-host", "scram-sha-256", "--auth-local", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}

	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var log bytes.Buffer
	p.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(port),
		"-c", "unix_socket_directories="+dir, "-c", "fsync=off", "-c", "max_connections=200")
	p.cmd.Stdout, p.cmd.Stderr = &log, &log
	// The server stops when the test binary dies, whatever kills it: SIGQUIT is its immediate shutdown.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := p.cmd.Start(); err != nil {
		return fail(fmt.Errorf("start postgres: %w", err))
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait() }()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, p.DSN("postgres"))
		if err == nil {
			_ = conn.Close(ctx)
			return p, nil
		}
		select {
		case werr := <-p.done:
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("postgres exited before accepting connections: %w\n%s", werr, log.String())
		case <-ctx.Done():
			_ = p.Stop()
			return nil, fmt.Errorf("postgres did not accept connections within a minute: %w\n%s", err, log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// DSN returns the postgres:// URL of database on the server, with the superuser's password.
func (p *Postgres) DSN(database string) string {
	u := url.URL{
		Scheme: "postgres", User: url.UserPassword(PostgresUser, PostgresPassword), Host: p.Addr, Path: "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// NewDatabase creates an empty database on the server for one test and returns its DSN.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	p.mu.Lock()
	p.databases++
	name := fmt.Sprintf("test_%d", p.databases)
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN("postgres"))
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return p.DSN(name)
}

// Stop shuts the server down (fast shutdown: connections are ended) and removes its directory.
func (p *Postgres) Stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		err = <-p.done
	}
	if err != nil {
		err = fmt.Errorf("postgres: %w", err)
	}
	return errors.Join(err, os.RemoveAll(p.dir))
}

// sharedPostgres is the one server of a test package, started by the first test that needs it.
var sharedPostgres struct {
	once sync.Once
	p    *Postgres
	err  error
}

// PostgresForTest returns the test package's PostgreSQL server, starting it on first use; StopPostgres (from
// TestMain) stops it. Without the server binaries the test fails, saying how to install them, unless
// NAAS_TEST_POSTGRES=skip is set: then it is skipped.
func PostgresForTest(t testing.TB) *Postgres {
	t.Helper()
	sharedPostgres.once.Do(func() { sharedPostgres.p, sharedPostgres.err = StartPostgres() })
	if err := sharedPostgres.err; err != nil {
		if errors.Is(err, ErrNoPostgres) && os.Getenv(PostgresEnv) == "skip" {
			t.Skipf("skipped (%s=skip): %v", PostgresEnv, err)
		}
		t.Fatalf("start the test PostgreSQL: %v", err)
	}
	return sharedPostgres.p
}

// StopPostgres stops the server PostgresForTest started, if any. Call it from TestMain after m.Run.
func StopPostgres() {
	if sharedPostgres.p != nil {
		if err := sharedPostgres.p.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop the test PostgreSQL: %v\n", err)
		}
	}
}
