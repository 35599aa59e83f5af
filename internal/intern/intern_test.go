package intern

import (
	"strings"
	"testing"
	"unsafe"
)

func same(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

// fresh returns a copy of s in memory of its own, as decoding makes it.
func fresh(s string) string { return string([]byte(s)) }

func TestTable(t *testing.T) {
	tab := New(2)
	first := tab.Get(fresh("payments"))
	if again := tab.Get(fresh("payments")); !same(first, again) || again != "payments" {
		t.Error("equal strings are not shared")
	}
	tab.Get(fresh("checkout"))
	full1, full2 := tab.Get(fresh("search-team")), tab.Get(fresh("search-team"))
	if same(full1, full2) || tab.Len() != 2 {
		t.Errorf("a table full at 2 strings took another: %d strings", tab.Len())
	}
	long := strings.Repeat("x", maxLen+1)
	if l1, l2 := tab.Get(fresh(long)), tab.Get(fresh(long)); same(l1, l2) {
		t.Error("a string longer than maxLen was shared")
	}
	if tab.Get("") != "" {
		t.Error("empty string changed")
	}
}
