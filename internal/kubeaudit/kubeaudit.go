package kubeaudit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Log is an audit log file.
type Log struct {
	Path string
}

// Event is the part of an audit.k8s.io/v1 Event that counting calls needs.
type Event struct {
	Verb string `json:"verb"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		APIGroup    string `json:"apiGroup"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// Mark returns the current end of the log, the start of a window (0 while there is no log yet).
func (l *Log) Mark() (int64, error) {
	st, err := os.Stat(l.Path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit log: %w", err)
	}
	return st.Size(), nil
}

// Since returns the events written after offset, up to the last complete line.
func (l *Log) Since(offset int64) ([]Event, error) {
	f, err := os.Open(l.Path)
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
	return Parse(f)
}

// Parse reads events, one JSON object a line, up to the last complete line (a partial last line is still being
// written).
func Parse(r io.Reader) ([]Event, error) {
	var out []Event
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read audit log: %w", err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil {
			if len(line) > 200 {
				line = append(line[:200:200], "..."...)
			}
			return out, fmt.Errorf("audit log line %q: %w", line, err)
		}
		out = append(out, ev)
	}
}

// mutatingVerbs are the audit verbs of POST, PUT, PATCH (server-side apply included) and DELETE.
var mutatingVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// reviewResources are created to ask the API server a question and never stored: a component asking who it is
// (SelfSubjectReview) changes nothing and is not a write.
var reviewResources = map[string]bool{
	"selfsubjectreviews": true, "tokenreviews": true, "subjectaccessreviews": true,
	"selfsubjectaccessreviews": true, "selfsubjectrulesreviews": true, "localsubjectaccessreviews": true,
}

// IsWrite reports whether the event is a mutating call, whether kube-apiserver accepted or refused it.
func (e Event) IsWrite() bool {
	return mutatingVerbs[e.Verb] && (e.ObjectRef == nil || !reviewResources[e.ObjectRef.Resource])
}

// Refused reports whether kube-apiserver refused the call (a status of 300 or more, such as 409 for a create of
// an object that exists).
func (e Event) Refused() bool { return e.ResponseStatus != nil && e.ResponseStatus.Code >= 300 }

// Resource names the event's resource as resource[/subresource].
func (e Event) Resource() string {
	if e.ObjectRef == nil {
		return "(none)"
	}
	if e.ObjectRef.Subresource != "" {
		return e.ObjectRef.Resource + "/" + e.ObjectRef.Subresource
	}
	return e.ObjectRef.Resource
}

// String is the event as "verb resource[/subresource] [namespace/]name (code)".
func (e Event) String() string {
	s := e.Verb
	if e.ObjectRef != nil {
		s += " " + e.Resource() + " "
		if e.ObjectRef.Namespace != "" {
			s += e.ObjectRef.Namespace + "/"
		}
		s += e.ObjectRef.Name
	}
	if e.ResponseStatus != nil {
		s += fmt.Sprintf(" (%d)", e.ResponseStatus.Code)
	}
	return s
}

// Writes returns the mutating calls of user among events.
func Writes(events []Event, user string) []Event {
	var out []Event
	for _, e := range events {
		if e.User.Username == user && e.IsWrite() {
			out = append(out, e)
		}
	}
	return out
}
