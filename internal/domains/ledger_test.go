package domains

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func reservation(host, ns string, at time.Time) Reservation {
	return Reservation{Hostname: host, Namespace: ns, UID: types.UID(ns + "-uid"), At: metav1.NewTime(at)}
}

// holding says which expired reservations their claims still hold, by namespace/hostname, as read from the API
// server; naas's view of the claims knows none of them.
func holding(held ...string) Standing {
	return Standing{
		Known: func(Reservation) bool { return false },
		Holds: func(r Reservation) (bool, error) {
			for _, h := range held {
				if h == r.Namespace+"/"+r.Hostname {
					return true, nil
				}
			}
			return false, nil
		},
	}
}

func TestLedger_Reserve(t *testing.T) {
	now := t0.Add(10 * time.Minute)
	fresh := now.Add(-10 * time.Second)
	old := now.Add(-2 * ReservationTTL)
	tests := []struct {
		name          string
		ledger        []Reservation
		hosts         []string
		holds         Standing
		wantConflicts []Conflict
		wantLedger    []Reservation
	}{
		{
			name:       "a free hostname is reserved",
			hosts:      []string{"api.pay.example.com"},
			holds:      holding(),
			wantLedger: []Reservation{reservation("api.pay.example.com", "api", now)},
		},
		{
			name:          "a fresh reservation of another namespace stands, whether or not its claim exists yet",
			ledger:        []Reservation{reservation("api.pay.example.com", "other", fresh)},
			hosts:         []string{"api.pay.example.com"},
			holds:         holding(),
			wantConflicts: []Conflict{{Hostname: "api.pay.example.com", Held: "api.pay.example.com", Namespace: "other"}},
			wantLedger:    []Reservation{reservation("api.pay.example.com", "other", fresh)},
		},
		{
			name:          "a wildcard conflicts with a name under it",
			ledger:        []Reservation{reservation("x.pay.example.com", "other", old)},
			hosts:         []string{"*.pay.example.com"},
			holds:         holding("other/x.pay.example.com"),
			wantConflicts: []Conflict{{Hostname: "*.pay.example.com", Held: "x.pay.example.com", Namespace: "other"}},
			wantLedger:    []Reservation{reservation("x.pay.example.com", "other", old)},
		},
		{
			name:       "an expired reservation its claim no longer holds is dropped",
			ledger:     []Reservation{reservation("api.pay.example.com", "gone", old)},
			hosts:      []string{"api.pay.example.com"},
			holds:      holding(),
			wantLedger: []Reservation{reservation("api.pay.example.com", "api", now)},
		},
		{
			name:       "the namespace's own reservations are renewed, and the expired ones it no longer asks for dropped",
			ledger:     []Reservation{reservation("api.pay.example.com", "api", old), reservation("old.pay.example.com", "api", old), reservation("new.pay.example.com", "api", fresh)},
			hosts:      []string{"api.pay.example.com"},
			holds:      holding(),
			wantLedger: []Reservation{reservation("api.pay.example.com", "api", now), reservation("new.pay.example.com", "api", fresh)},
		},
		{
			name:       "non-overlapping names of others are kept while their claims hold them",
			ledger:     []Reservation{reservation("web.pay.example.com", "web", old), reservation("db.pay.example.com", "deleted", old)},
			hosts:      []string{"api.pay.example.com"},
			holds:      holding("web/web.pay.example.com"),
			wantLedger: []Reservation{reservation("api.pay.example.com", "api", now), reservation("web.pay.example.com", "web", old)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &Ledger{Reservations: append([]Reservation(nil), tt.ledger...)}
			conflicts, err := l.Reserve("api", "api-uid", tt.hosts, now, tt.holds)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantConflicts, conflicts); diff != "" {
				t.Errorf("conflicts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLedger, l.Reservations); diff != "" {
				t.Errorf("ledger (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLedger_ReserveChecksOnlyABoundedNumberOfUnrelatedReservations(t *testing.T) {
	now := t0.Add(time.Hour)
	l := &Ledger{}
	for i := range 10 {
		l.Reservations = append(l.Reservations, reservation("h"+string(rune('a'+i))+".pay.example.com", "ns"+string(rune('a'+i)), t0.Add(time.Duration(i)*time.Second)))
	}
	asked := 0
	if _, err := l.Reserve("api", "api-uid", []string{"api.pay.example.com"}, now, Standing{
		Known: func(Reservation) bool { return false },
		Holds: func(Reservation) (bool, error) {
			asked++
			return false, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	if asked != collectPerChange {
		t.Errorf("asked about %d reservations, want %d", asked, collectPerChange)
	}
	if got, want := len(l.Reservations), 10-collectPerChange+1; got != want {
		t.Errorf("%d reservations left, want %d (the oldest collected)", got, want)
	}
}

func TestLedger_ReserveStopsOnAnErrorAndChangesNothing(t *testing.T) {
	l := &Ledger{Reservations: []Reservation{reservation("api.pay.example.com", "other", t0)}}
	_, err := l.Reserve("api", "api-uid", []string{"api.pay.example.com"}, t0.Add(time.Hour), Standing{
		Known: func(Reservation) bool { return false },
		Holds: func(Reservation) (bool, error) { return false, errors.New("boom") },
	})
	if err == nil {
		t.Fatal("want the error of holds")
	}
	if len(l.Reservations) != 1 || l.Reservations[0].Namespace != "other" {
		t.Errorf("ledger changed: %v", l.Reservations)
	}
}

func TestLedger_ReserveDropsExpiredReservationsTheClaimsAccountFor(t *testing.T) {
	now := t0.Add(time.Hour)
	l := &Ledger{Reservations: []Reservation{
		reservation("web.pay.example.com", "web", t0),
		reservation("db.pay.example.com", "db", now.Add(-time.Second)),
	}}
	read := 0
	conflicts, err := l.Reserve("api", "api-uid", []string{"api.pay.example.com"}, now, Standing{
		Known: func(r Reservation) bool { return r.Namespace == "web" },
		Holds: func(Reservation) (bool, error) { read++; return true, nil },
	})
	if err != nil || len(conflicts) != 0 {
		t.Fatalf("Reserve = %v, %v", conflicts, err)
	}
	want := []Reservation{reservation("api.pay.example.com", "api", now), reservation("db.pay.example.com", "db", now.Add(-time.Second))}
	if diff := cmp.Diff(want, l.Reservations); diff != "" {
		t.Errorf("ledger (-want +got): the known one dropped without reading its claim, the fresh one kept\n%s", diff)
	}
	if read != 0 {
		t.Errorf("read %d claims, want none", read)
	}
	// A known reservation that overlaps is still a conflict.
	l = &Ledger{Reservations: []Reservation{reservation("web.pay.example.com", "web", t0)}}
	conflicts, _ = l.Reserve("api", "api-uid", []string{"*.pay.example.com"}, now, Standing{
		Known: func(Reservation) bool { return true },
		Holds: func(Reservation) (bool, error) { return false, nil },
	})
	if len(conflicts) != 1 {
		t.Errorf("conflicts = %v, want the known holder of web.pay.example.com", conflicts)
	}
}

func TestHeldBy_ConflictsWithOtherNamespaces(t *testing.T) {
	held := map[string][]string{
		"api":   {"api.pay.example.com"},
		"web":   {"*.web.pay.example.com"},
		"other": {"x.other.example.com"},
	}
	got := HeldBy("api", []string{"api.pay.example.com", "a.web.pay.example.com"}, held)
	want := []Conflict{{Hostname: "a.web.pay.example.com", Held: "*.web.pay.example.com", Namespace: "web"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HeldBy (-want +got):\n%s", diff)
	}
}

func TestByKey_GroupsAWildcardWithTheNamesDirectlyUnderIt(t *testing.T) {
	got := ByKey([]string{"b.pay.example.com", "*.pay.example.com", "pay.example.com", "api.example.org", "b.pay.example.com", "x.b.pay.example.com"})
	want := map[string][]string{
		"pay.example.com":   {"*.pay.example.com", "b.pay.example.com"},
		"example.com":       {"pay.example.com"},
		"example.org":       {"api.example.org"},
		"b.pay.example.com": {"x.b.pay.example.com"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ByKey (-want +got):\n%s", diff)
	}
}

func TestLedger_Overlapping(t *testing.T) {
	now := t0.Add(10 * time.Minute)
	fresh, old := now.Add(-10*time.Second), now.Add(-2*ReservationTTL)
	l := &Ledger{Reservations: []Reservation{
		reservation("*.pay.example.com", "wild", fresh),
		reservation("*.pay.example.com", "gone", old),
		reservation("*.pay.example.com", "still", old),
		reservation("pay.example.com", "apex", fresh),
		reservation("*.pay.example.com", "mine", fresh),
	}}
	got, err := l.Overlapping("mine", []string{"api.pay.example.com"}, now, holding("still/*.pay.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Conflict{
		{Hostname: "api.pay.example.com", Held: "*.pay.example.com", Namespace: "wild"},
		{Hostname: "api.pay.example.com", Held: "*.pay.example.com", Namespace: "still"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Overlapping (-want +got):\n%s", diff)
	}
	if len(l.Reservations) != 5 {
		t.Error("Overlapping changed the ledger")
	}
}

func TestLedger_CollectAndRelease(t *testing.T) {
	now := t0.Add(10 * time.Minute)
	fresh, old := now.Add(-10*time.Second), now.Add(-2*ReservationTTL)
	l := &Ledger{Reservations: []Reservation{
		reservation("a.example.com", "fresh", fresh),
		reservation("b.example.com", "known", old),
		reservation("c.example.com", "held", old),
		reservation("d.example.com", "gone", old),
	}}
	if l.Expired(now) {
		t.Error("a ledger with a fresh reservation is not expired")
	}
	standing := holding("held/c.example.com")
	standing.Known = func(r Reservation) bool { return r.Namespace == "known" }
	changed, err := l.Collect(now, standing)
	if err != nil || !changed {
		t.Fatalf("Collect() = %v, %v", changed, err)
	}
	want := []Reservation{reservation("a.example.com", "fresh", fresh), reservation("c.example.com", "held", old)}
	if diff := cmp.Diff(want, l.Reservations); diff != "" {
		t.Errorf("after Collect (-want +got):\n%s", diff)
	}
	if l.Release("fresh", []string{"a.example.com"}, now) {
		t.Error("Release dropped a reservation made at another time")
	}
	if !l.Release("fresh", []string{"a.example.com"}, fresh) || len(l.Reservations) != 1 {
		t.Errorf("Release did not drop the reservation it was given: %v", l.Reservations)
	}
	if !l.Adopt([]Reservation{reservation("c.example.com", "held", now), reservation("e.example.com", "new", now)}) || len(l.Reservations) != 2 {
		t.Errorf("Adopt must add only what the ledger does not hold: %v", l.Reservations)
	}
}
