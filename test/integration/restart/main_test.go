// Package restart tests what naas does when it starts against a cluster that already has everything it
// installs: it reads, finds it all in place, and writes nothing. kube-apiserver's audit log, which records
// every request of naas's own user, is the witness.
package restart

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/naas-dev/naas/internal/testenv"
)

// naasUser is the user naas acts as in these tests, so that the audit log tells its requests apart from the
// test's own (the admin's).
const naasUser = "naas-controller"

var (
	env   *testenv.Environment
	audit *auditLog
)

// auditPolicy records every request of naas's user at the Metadata level (verb, resource, user, response
// code), and nothing else.
var auditPolicy = fmt.Sprintf(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
  users: [%q]
- level: None
`, naasUser)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "naas-restart-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	audit = &auditLog{path: filepath.Join(dir, "audit.log")}
	e, err := testenv.Start(testenv.Options{
		Users: []testenv.User{{Name: naasUser, Groups: []string{"system:masters"}}},
		APIServerArgs: []string{
			"--audit-policy-file=" + policy,
			"--audit-log-path=" + audit.path,
			"--audit-log-format=json",
			// Blocking: an event is in the log before kube-apiserver answers, so a window read after the
			// requests holds all of them.
			"--audit-log-mode=blocking",
			"--audit-log-maxsize=0",
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env = e
	defer env.Stop()
	return m.Run()
}

// auditLog reads kube-apiserver's audit log (JSON lines) in windows: mark the end before a window, read the
// events after it.
type auditLog struct{ path string }

type auditEvent struct {
	Verb string `json:"verb"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// mark returns the current end of the log.
func (a *auditLog) mark(t *testing.T) int64 {
	t.Helper()
	st, err := os.Stat(a.path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	return st.Size()
}

// since returns the events written after offset.
func (a *auditLog) since(t *testing.T, offset int64) []auditEvent {
	t.Helper()
	f, err := os.Open(a.path)
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		t.Fatalf("audit log: %v", err)
	}
	var out []auditEvent
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return out // a partial last line is still being written
		}
		if err != nil {
			t.Fatalf("read audit log: %v", err)
		}
		if line = bytes.TrimSpace(line); len(line) == 0 {
			continue
		}
		var ev auditEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatalf("audit log line %q: %v", line, err)
		}
		out = append(out, ev)
	}
}

// mutatingVerbs are the audit verbs of POST, PUT, PATCH (server-side apply included) and DELETE.
var mutatingVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// reviewResources are created to ask the API server a question and never stored: naas asking who it is
// (SelfSubjectReview) changes nothing and is not a write.
var reviewResources = map[string]bool{
	"selfsubjectreviews": true, "tokenreviews": true, "subjectaccessreviews": true,
	"selfsubjectaccessreviews": true, "selfsubjectrulesreviews": true, "localsubjectaccessreviews": true,
}

// isWrite reports whether e is a mutating call, whether kube-apiserver accepted or refused it.
func (e auditEvent) isWrite() bool {
	return mutatingVerbs[e.Verb] && (e.ObjectRef == nil || !reviewResources[e.ObjectRef.Resource])
}

func (e auditEvent) String() string {
	s := e.Verb
	if e.ObjectRef != nil {
		s += " " + e.ObjectRef.Resource
		if e.ObjectRef.Subresource != "" {
			s += "/" + e.ObjectRef.Subresource
		}
		if e.ObjectRef.Namespace != "" {
			s += " " + e.ObjectRef.Namespace + "/" + e.ObjectRef.Name
		} else {
			s += " " + e.ObjectRef.Name
		}
	}
	if e.ResponseStatus != nil {
		s += fmt.Sprintf(" (%d)", e.ResponseStatus.Code)
	}
	return s
}

// writesOf returns the mutating calls of user among events.
func writesOf(events []auditEvent, user string) []auditEvent {
	var out []auditEvent
	for _, e := range events {
		if e.User.Username == user && e.isWrite() {
			out = append(out, e)
		}
	}
	return out
}
