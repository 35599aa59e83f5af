package bench

import (
	"fmt"
	"sort"
	"strings"

	"github.com/naas-dev/naas/internal/kubeaudit"
)

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
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
func Count(events []kubeaudit.Event, user string) Tally {
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
		case e.IsWrite() && e.Refused():
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
