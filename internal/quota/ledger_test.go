package quota

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

func pending(l *Ledger) []string {
	out := []string{}
	for _, r := range l.Pending {
		out = append(out, r.Key)
	}
	return out
}

func TestLedger_ReserveStopsAtTheCap(t *testing.T) {
	hard := list("requests.cpu", "1", "pods", "3")
	l := &Ledger{Counted: list("requests.cpu", "0", "pods", "0")}
	pod := list("requests.cpu", "300m", "limits.cpu", "300m", "pods", "1", "count/pods", "1")
	for i, key := range []string{"pods/a/1", "pods/a/2", "pods/b/3"} {
		if ex := l.Reserve(hard, Reservation{Key: key, Charge: pod}, now.Add(time.Duration(i)*time.Second)); ex != nil {
			t.Fatalf("reservation %d: %v", i, ex)
		}
	}
	if diff := cmp.Diff(map[string]string{"requests.cpu": "900m", "pods": "3"}, strs(l.Used(now))); diff != "" {
		t.Errorf("Used() mismatch (-want +got):\n%s", diff)
	}
	if got := strs(l.Pending[0].Charge); !cmp.Equal(got, map[string]string{"requests.cpu": "300m", "pods": "1"}) {
		t.Errorf("a reservation keeps only the capped resources, got %v", got)
	}

	ex := l.Reserve(hard, Reservation{Key: "pods/b/4", Charge: pod}, now)
	if ex == nil {
		t.Fatal("a fourth pod fits neither requests.cpu nor pods, but was reserved")
	}
	want := "requested pods=1, requests.cpu=300m; already used pods=3, requests.cpu=900m; limited to pods=3, requests.cpu=1"
	if ex.Error() != want {
		t.Errorf("Exceeded = %q, want %q", ex.Error(), want)
	}
	if len(l.Pending) != 3 {
		t.Errorf("a refused reservation changed the ledger: %v", pending(l))
	}
	if ex := l.Reserve(hard, Reservation{Key: "pods/b/5", Charge: list("limits.cpu", "5")}, now); ex != nil {
		t.Errorf("a charge of resources the quota does not cap was refused: %v", ex)
	}
}

func TestLedger_ExpiredReservationsAreReleased(t *testing.T) {
	hard := list("pods", "1")
	l := &Ledger{Counted: list("pods", "0")}
	if ex := l.Reserve(hard, Reservation{Key: "pods/a/rejected-later", Charge: list("pods", "1")}, now); ex != nil {
		t.Fatal(ex)
	}
	if ex := l.Reserve(hard, Reservation{Key: "pods/a/next", Charge: list("pods", "1")}, now.Add(ReservationTTL)); ex == nil {
		t.Fatal("the slot was free again before the reservation expired")
	}
	if ex := l.Reserve(hard, Reservation{Key: "pods/a/next", Charge: list("pods", "1")}, now.Add(ReservationTTL+time.Second)); ex != nil {
		t.Fatalf("an expired reservation still holds its slot: %v", ex)
	}
	if got := pending(l); !cmp.Equal(got, []string{"pods/a/next"}) {
		t.Errorf("pending = %v", got)
	}
}

func TestLedger_SettleKeepsWhatTheCountDidNotSee(t *testing.T) {
	hard := list("requests.cpu", "10", "pods", "10")
	l := &Ledger{}
	if !l.NeedsCount(hard) {
		t.Error("an empty ledger must be counted before it is trusted")
	}
	charge := list("requests.cpu", "1", "pods", "1")
	for _, r := range []Reservation{
		{Key: "pods/a/persisted", UID: "u1", Charge: charge},
		{Key: "pods/a/in-flight", UID: "u2", Charge: charge},
		{Key: "pods/a/recreated", UID: "u3", Charge: charge},
		{Key: "pods/a/resized", UID: "u4", Charge: list("requests.cpu", "1"), Target: list("requests.cpu", "2", "pods", "1")},
		{Key: "pods/a/resize-counted", UID: "u5", Charge: list("requests.cpu", "1"), Target: list("requests.cpu", "2", "pods", "1")},
	} {
		if ex := l.Reserve(hard, r, now); ex != nil {
			t.Fatal(ex)
		}
	}
	if ex := l.Reserve(hard, Reservation{Key: "pods/a/old", UID: "u6", Charge: charge}, now.Add(-2*ReservationTTL)); ex != nil {
		t.Fatal(ex)
	}
	if ex := l.Reserve(hard, Reservation{Key: "pods/a/deleted", UID: "u7", Charge: charge}, now); ex != nil {
		t.Fatal(ex)
	}
	if !l.MarkPersisted("pods/a/deleted", "u7") || l.MarkPersisted("pods/a/deleted", "u7") || l.MarkPersisted("pods/a/in-flight", "other") {
		t.Error("MarkPersisted must mark the charge of that object once, and only it")
	}

	objects := map[string]struct {
		uid   types.UID
		usage corev1.ResourceList
	}{
		"pods/a/persisted":      {"u1", charge},
		"pods/a/recreated":      {"other", charge}, // same name, another object: ours is not written yet
		"pods/a/resized":        {"u4", list("requests.cpu", "1", "pods", "1")},
		"pods/a/resize-counted": {"u5", list("requests.cpu", "2", "pods", "1")},
	}
	seen := func(key string, uid types.UID) (corev1.ResourceList, bool) {
		o, ok := objects[key]
		return o.usage, ok && o.uid == uid
	}
	l.Settle(hard, list("requests.cpu", "5", "pods", "4"), seen, now.Add(time.Second))

	// pods/a/deleted was written and is gone: released. pods/a/in-flight may not be written yet: kept.
	if diff := cmp.Diff([]string{"pods/a/in-flight", "pods/a/recreated", "pods/a/resized"}, pending(l)); diff != "" {
		t.Errorf("pending after settle mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"requests.cpu": "8", "pods": "6"}, strs(l.Used(now.Add(time.Second)))); diff != "" {
		t.Errorf("Used() after settle mismatch (-want +got):\n%s", diff)
	}
	if l.NeedsCount(hard) {
		t.Error("a counted ledger still needs a count")
	}
	if !l.NeedsCount(list("requests.cpu", "4", "requests.memory", "1Gi")) {
		t.Error("a resource added to the quota after the count must be counted")
	}
}

func TestLedger_CountClaims(t *testing.T) {
	l := &Ledger{}
	l.AddClaim("pay-a", "ua", now)
	l.AddClaim("pay-b", "ub", now)
	l.AddClaim("pay-old", "uo", now.Add(-2*ReservationTTL))

	existing := map[string]types.UID{"pay-a": "ua", "pay-x": "ux", "pay-y": "uy"}
	if got := l.CountClaims(existing, now); got != 4 {
		t.Errorf("CountClaims() = %d, want 4 (3 existing, pay-b admitted and not listed yet)", got)
	}
	var names []string
	for _, c := range l.Claims {
		names = append(names, c.Name)
	}
	if !cmp.Equal(names, []string{"pay-a", "pay-b"}) {
		t.Errorf("claims left in the ledger = %v, want pay-a and pay-b (pay-old expired)", names)
	}
	delete(existing, "pay-x")
	if got := l.CountClaims(existing, now); got != 3 {
		t.Errorf("after a deletion CountClaims() = %d, want 3", got)
	}
	// Another replica whose cache does not show pay-a yet still counts it: one replica seeing a claim must not
	// take it out of the count of another (an entry dropped on sight let 11 claims past a cap of 10).
	if got := l.CountClaims(map[string]types.UID{"pay-y": "uy"}, now); got != 3 {
		t.Errorf("a replica that sees only pay-y: CountClaims() = %d, want 3 (pay-y, and pay-a and pay-b from the ledger)", got)
	}
}

func TestExceeded_ListsOnlyExceededResources(t *testing.T) {
	l := &Ledger{Counted: list("requests.cpu", "1", "requests.memory", "1Gi")}
	ex := l.Reserve(list("requests.cpu", "2", "requests.memory", "2Gi"), Reservation{Key: "k", Charge: list("requests.cpu", "500m", "requests.memory", "2Gi")}, now)
	if ex == nil || strings.Contains(ex.Error(), "cpu") {
		t.Errorf("Exceeded = %v, want only requests.memory", ex)
	}
}
