// Package hack_test tests the scripts in hack/ the way make runs them.
package hack_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSystem is a PATH of its own for hack/deps.sh: the real shell tools it needs, fakes of the commands whose
// packages are present, a fake dpkg-query that knows the packages present, a fake id that says who runs it, and
// fake apt-get and sudo that only log how they were called.
type fakeSystem struct {
	t        *testing.T
	dir, log string
}

func newFakeSystem(t *testing.T, uid string, present ...string) *fakeSystem {
	t.Helper()
	f := &fakeSystem{t: t, dir: t.TempDir()}
	f.log = filepath.Join(f.dir, "calls.log")
	for _, tool := range []string{"bash", "grep"} {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(real, filepath.Join(f.dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	f.script("id", `[ "$1" = -u ] && echo `+uid)
	f.script("apt-get", `echo "apt-get $*" >> `+f.log)
	f.script("env", `shift; "$@"`) // env VAR=value command...: run the command
	var installed []string
	for _, p := range present {
		switch p {
		case "fonts-dejavu-core", "postgresql":
			installed = append(installed, p)
		case "prometheus":
			f.script("promtool", "true")
			f.script("prometheus", "true")
		default:
			f.script(p, "true")
		}
	}
	f.script("dpkg-query", `for p in `+strings.Join(installed, " ")+`; do [ "$p" = "${@: -1}" ] && echo "install ok installed" && exit 0; done; exit 1`)
	return f
}

func (f *fakeSystem) script(name, body string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte("#!"+filepath.Join(f.dir, "bash")+"\n"+body+"\n"), 0o755); err != nil {
		f.t.Fatal(err)
	}
}

// run runs hack/deps.sh with only the fake system on PATH and returns its output and the logged calls.
func (f *fakeSystem) run() (out, calls string, err error) {
	f.t.Helper()
	cmd := exec.Command(filepath.Join(f.dir, "bash"), "deps.sh")
	cmd.Env = []string{"PATH=" + f.dir}
	b, err := cmd.CombinedOutput()
	logged, _ := os.ReadFile(f.log)
	return string(b), string(logged), err
}

// withSudo adds a sudo that needs no password and logs what it runs.
func (f *fakeSystem) withSudo() *fakeSystem {
	f.script("sudo", `[ "$1" = -n ] && [ "$2" = true ] && exit 0; echo -n "sudo " >> `+f.log+`; "$@"`)
	return f
}

var all = []string{"prometheus", "chromium", "fonts-dejavu-core", "postgresql", "make", "git"}

func TestDeps_SilentAndTouchesNothingWhenEverythingIsPresent(t *testing.T) {
	out, calls, err := newFakeSystem(t, "0", all...).run()
	if err != nil || out != "" || calls != "" {
		t.Fatalf("deps.sh with every package present: err %v, output %q, calls %q; want none", err, out, calls)
	}
}

func TestDeps_AsRootInstallsOnlyWhatIsMissing(t *testing.T) {
	out, calls, err := newFakeSystem(t, "0", "prometheus", "fonts-dejavu-core", "make", "git").run()
	if err != nil {
		t.Fatalf("deps.sh: %v\n%s", err, out)
	}
	want := "apt-get update -qq\napt-get install -y -qq --no-install-recommends chromium postgresql\n"
	if calls != want {
		t.Errorf("deps.sh called\n%s\nwant\n%s", calls, want)
	}
}

func TestDeps_WithoutRootOrSudoPrintsTheCommandAndFails(t *testing.T) {
	out, calls, err := newFakeSystem(t, "1000", "prometheus", "fonts-dejavu-core", "postgresql", "make", "git").run()
	if err == nil {
		t.Fatal("deps.sh succeeded though chromium is missing and it cannot install it")
	}
	if calls != "" {
		t.Errorf("deps.sh called %q without root", calls)
	}
	if want := "apt-get update && apt-get install -y --no-install-recommends chromium"; !strings.Contains(out, want) {
		t.Errorf("deps.sh said %q, want the command %q", out, want)
	}
}

func TestDeps_WithPasswordlessSudoInstallsThroughIt(t *testing.T) {
	out, calls, err := newFakeSystem(t, "1000", "prometheus", "chromium", "postgresql", "make", "git").withSudo().run()
	if err != nil {
		t.Fatalf("deps.sh: %v\n%s", err, out)
	}
	want := "sudo apt-get update -qq\nsudo apt-get install -y -qq --no-install-recommends fonts-dejavu-core\n"
	if calls != want {
		t.Errorf("deps.sh called\n%s\nwant\n%s", calls, want)
	}
}
