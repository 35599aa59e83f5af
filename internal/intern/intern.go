// Package intern shares equal strings between the objects naas keeps in memory: label keys and values, names,
// condition reasons and messages repeat across thousands of objects, and decoding gives each a copy of its own.
//
// It is Go's unique package, used without keeping its handles: equal strings interned close together in time
// (a list, a burst of watch events) share one copy, and the runtime forgets a canonical copy at the next
// collection once no handle holds it, so nothing grows without bound and no table has to be sized. A string
// interned after that gets a new canonical copy; the live-heap benchmark of internal/inventory measured that
// this costs less than the bounded table it replaced, whose map held every string it had seen (see
// docs/benchmarks.md).
package intern

import "unique"

// maxLen is the longest string shared; longer ones are rarely equal.
const maxLen = 1024

// String returns a shared copy of s.
func String(s string) string {
	if s == "" || len(s) > maxLen {
		return s
	}
	return unique.Make(s).Value()
}
