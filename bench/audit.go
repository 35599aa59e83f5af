package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// AuditLog reads kube-apiserver's audit log (JSON lines) in windows: Mark the offset before a
// window, read the events after it.
type AuditLog struct {
	Path string
}

// AuditEvent is the part of an audit.k8s.io/v1 Event the benchmarks read.
type AuditEvent struct {
	Verb string `json:"verb"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		APIGroup    string `json:"apiGroup"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// Mark returns the current end of the log, the start of a window.
func (a *AuditLog) Mark() (int64, error) {
	st, err := os.Stat(a.Path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit log: %w", err)
	}
	return st.Size(), nil
}

// Since returns the events written after offset, up to the last complete line.
func (a *AuditLog) Since(offset int64) ([]AuditEvent, error) {
	f, err := os.Open(a.Path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return parseAudit(f)
}

func parseAudit(r io.Reader) ([]AuditEvent, error) {
	var out []AuditEvent
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return out, nil // a partial last line is still being written
		}
		if err != nil {
			return out, fmt.Errorf("read audit log: %w", err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var ev AuditEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return out, fmt.Errorf("audit log line %q: %w", truncate(string(line), 200), err)
		}
		out = append(out, ev)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// mutatingVerbs are the verbs that change stored state.
var mutatingVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// reviewResources are created to ask a question, never stored: naas asking who it is is not a write.
var reviewResources = map[string]bool{
	"selfsubjectreviews": true, "tokenreviews": true, "subjectaccessreviews": true,
	"selfsubjectaccessreviews": true, "selfsubjectrulesreviews": true, "localsubjectaccessreviews": true,
}

// IsWrite reports whether the event is a mutating call that changes stored state.
func (e AuditEvent) IsWrite() bool {
	if !mutatingVerbs[e.Verb] {
		return false
	}
	return e.ObjectRef == nil || !reviewResources[e.ObjectRef.Resource]
}

// Resource names the event's resource as resource[/subresource].
func (e AuditEvent) Resource() string {
	if e.ObjectRef == nil {
		return "(none)"
	}
	if e.ObjectRef.Subresource != "" {
		return e.ObjectRef.Resource + "/" + e.ObjectRef.Subresource
	}
	return e.ObjectRef.Resource
}

// Tally counts requests of one user.
type Tally struct {
	// Writes are the mutating calls kube-apiserver accepted (2xx): those that changed, or could have
	// changed, stored state.
	Writes int
	// Refused are the mutating calls it refused, such as a create of an object that exists (409).
	Refused int
	Reads   int
	// ByKind counts requests by "verb resource[/subresource]".
	ByKind map[string]int
	// WriteKinds counts the mutating calls among them, accepted or refused.
	WriteKinds map[string]int
}

// Count tallies the events of user.
func Count(events []AuditEvent, user string) Tally {
	t := Tally{ByKind: map[string]int{}, WriteKinds: map[string]int{}}
	for _, e := range events {
		if e.User.Username != user {
			continue
		}
		kind := e.Verb + " " + e.Resource()
		if e.ResponseStatus != nil && e.ResponseStatus.Code >= 400 {
			kind += fmt.Sprintf(" (%d)", e.ResponseStatus.Code)
		}
		switch {
		case e.IsWrite() && e.ResponseStatus != nil && e.ResponseStatus.Code >= 300:
			t.Refused++
			t.WriteKinds[kind]++
		case e.IsWrite():
			t.Writes++
			t.WriteKinds[kind]++
		default:
			t.Reads++
		}
		t.ByKind[kind]++
	}
	return t
}

// String lists the tally's requests by kind, most frequent first.
func (t Tally) String() string { return formatKinds(t.ByKind) }

// WritesString lists only the tally's mutating calls by kind.
func (t Tally) WritesString() string { return formatKinds(t.WriteKinds) }

func formatKinds(byKind map[string]int) string {
	if len(byKind) == 0 {
		return "none"
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if byKind[kinds[i]] != byKind[kinds[j]] {
			return byKind[kinds[i]] > byKind[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, byKind[k]))
	}
	return strings.Join(parts, ", ")
}
