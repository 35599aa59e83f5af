package kubeaudit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const lines = `{"kind":"Event","verb":"create","user":{"username":"naas"},"objectRef":{"resource":"tiers","apiGroup":"naas.dev","name":"dev"},"responseStatus":{"code":409}}
{"kind":"Event","verb":"create","user":{"username":"naas"},"objectRef":{"resource":"selfsubjectreviews","apiGroup":"authentication.k8s.io"},"responseStatus":{"code":201}}
{"kind":"Event","verb":"patch","user":{"username":"naas"},"objectRef":{"resource":"namespaceclaims","subresource":"status","name":"web"},"responseStatus":{"code":200}}
{"kind":"Event","verb":"get","user":{"username":"naas"},"objectRef":{"resource":"configmaps","namespace":"web","name":"dash"},"responseStatus":{"code":404}}
{"kind":"Event","verb":"update","user":{"username":"someone-else"},"objectRef":{"resource":"namespaces","name":"web"},"responseStatus":{"code":200}}
{"kind":"Event","verb":"delete","user":{"username":"naas"`

func TestParse_EventsTheirWritesAndRefusals(t *testing.T) {
	events, err := Parse(strings.NewReader(lines))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		write, refused bool
		text           string
	}{
		{write: true, refused: true, text: "create tiers dev (409)"},
		{write: false, refused: false, text: "create selfsubjectreviews  (201)"},
		{write: true, refused: false, text: "patch namespaceclaims/status web (200)"},
		{write: false, refused: true, text: "get configmaps web/dash (404)"},
		{write: true, refused: false, text: "update namespaces web (200)"},
	}
	if len(events) != len(tests) {
		t.Fatalf("parsed %d events, want %d (the partial last line left for later)", len(events), len(tests))
	}
	for i, tt := range tests {
		e := events[i]
		if e.IsWrite() != tt.write || e.Refused() != tt.refused || e.String() != tt.text {
			t.Errorf("event %d: write %v refused %v %q, want %v %v %q", i, e.IsWrite(), e.Refused(), e.String(), tt.write, tt.refused, tt.text)
		}
	}
	if w := Writes(events, "naas"); len(w) != 2 {
		t.Errorf("naas's writes: %v, want the refused create and the status patch", w)
	}
}

func TestLog_ReadsInWindows(t *testing.T) {
	l := &Log{Path: filepath.Join(t.TempDir(), "audit.log")}
	if off, err := l.Mark(); err != nil || off != 0 {
		t.Fatalf("mark of a log not yet written: %d, %v", off, err)
	}
	all := strings.Split(lines, "\n")
	if err := os.WriteFile(l.Path, []byte(all[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mark, err := l.Mark()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(l.Path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(all[2] + "\n")
	_ = f.Close()
	events, err := l.Since(mark)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Verb != "patch" {
		t.Errorf("window after the mark: %v, want the status patch alone", events)
	}
	if _, err := (&Log{Path: l.Path + ".missing"}).Since(0); err != nil {
		t.Errorf("a log not yet written: %v, want no events and no error", err)
	}
}
