package intern

import (
	"runtime"
	"strings"
	"testing"
	"unique"
	"unsafe"
)

func same(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

// fresh returns a copy of s in memory of its own, as decoding makes it.
func fresh(s string) string { return string([]byte(s)) }

func TestString_SharesEqualStrings(t *testing.T) {
	// A handle keeps the canonical copy across collections, so that a collection during the test cannot make
	// the two calls return different copies.
	h := unique.Make("payments")
	defer runtime.KeepAlive(h)
	first, again := String(fresh("payments")), String(fresh("payments"))
	if !same(first, again) || again != "payments" {
		t.Error("equal strings are not shared")
	}
	if !same(first, h.Value()) {
		t.Error("the shared copy is not the canonical one")
	}
	if other := String(fresh("checkout")); other != "checkout" || same(other, first) {
		t.Errorf("String(checkout) = %q", other)
	}
}

func TestString_LeavesLongAndEmptyStringsAlone(t *testing.T) {
	long := fresh(strings.Repeat("x", maxLen+1))
	if got := String(long); !same(got, long) {
		t.Error("a string longer than maxLen was copied")
	}
	if String("") != "" {
		t.Error("empty string changed")
	}
}
