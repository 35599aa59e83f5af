// Package intern shares equal strings between the objects naas keeps in memory: label keys and values, names,
// condition reasons and messages repeat across thousands of objects, and decoding gives each a copy of its own.
package intern

import "sync"

// maxLen is the longest string shared; longer ones are rarely equal.
const maxLen = 1024

// Table shares equal strings. It holds at most a fixed number of them, so that strings unique to one object
// cannot grow it without bound; callers leave out the strings they know are unique.
type Table struct {
	mu   sync.Mutex
	strs map[string]string
	max  int
}

// New returns a table of at most maxStrings strings.
func New(maxStrings int) *Table {
	return &Table{strs: map[string]string{}, max: maxStrings}
}

// Get returns the table's copy of s, adding s while the table is not full.
func (t *Table) Get(s string) string {
	if s == "" || len(s) > maxLen {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if shared, ok := t.strs[s]; ok {
		return shared
	}
	if len(t.strs) < t.max {
		t.strs[s] = s
	}
	return s
}

// Len returns the number of strings held.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.strs)
}
