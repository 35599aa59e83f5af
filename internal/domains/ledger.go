package domains

import (
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ReservationTTL is how long a reservation stands by itself. It covers the rest of the admission chain and the
// write of the claim to etcd (the API server gives a request at most a minute); after it, a reservation stands
// only while its claim exists and holds the hostname.
const ReservationTTL = time.Minute

// collectPerChange bounds how many expired reservations that overlap nothing and that naas's view of the claims
// does not account for (a claim admitted and deleted before the view showed it) a change reads the claims of, so
// that they do not pile up, at a bounded cost per admission.
const collectPerChange = 4

// Reservation is one hostname held by one namespace.
type Reservation struct {
	Hostname  string `json:"hostname"`
	Namespace string `json:"namespace"`
	// UID is the UID of the namespace's claim.
	UID types.UID `json:"uid,omitempty"`
	// At is when the hostname was last reserved.
	At metav1.Time `json:"at"`
}

func (r Reservation) expired(now time.Time) bool { return now.Sub(r.At.Time) > ReservationTTL }

// Ledger holds the reservations of the hostnames of one Bucket. It lives in one object per bucket written with
// compare-and-swap, so that two admissions racing for overlapping hostnames cannot both win: every hostname that
// could overlap a name is in that name's bucket.
//
// A reservation covers the time between an admission and the moment naas's view of the claims (HeldBy) shows the
// claim: once expired, a reservation its claim is known to hold is dropped, as the claim itself now stands for
// it. The ledger therefore holds about one minute of admissions, however many hostnames the bucket has.
type Ledger struct {
	Reservations []Reservation `json:"reservations,omitempty"`
}

// Standing decides about expired reservations.
type Standing struct {
	// Known reports whether naas's view of the claims shows the reservation's claim asking for its hostname: the
	// claims are checked for conflicts themselves (HeldBy), so the reservation is no longer needed.
	Known func(r Reservation) bool
	// Holds reads the reservation's claim to tell whether it still exists, with the reservation's UID, and asks
	// for the hostname, for an expired reservation Known does not account for.
	Holds func(r Reservation) (bool, error)
}

// Conflict is a hostname asked for that overlaps one another namespace holds.
type Conflict struct {
	// Hostname is the one asked for; Held overlaps it and is held by Namespace.
	Hostname, Held, Namespace string
}

// Reserve reserves hosts (hostnames of this ledger's bucket) for the claim of namespace with uid, at now. If a
// standing reservation of another namespace overlaps one of them, it returns the conflicts and changes nothing.
// A reservation younger than ReservationTTL stands. An expired one is dropped when standing.Known accounts for it;
// otherwise, if it overlaps (or is among the oldest few, so that the reservations of deleted claims do not pile
// up) standing.Holds decides whether it stands or is dropped. The namespace's own reservations of hostnames it no
// longer asks for are dropped once they expire.
func (l *Ledger) Reserve(namespace string, uid types.UID, hosts []string, now time.Time, standing Standing) ([]Conflict, error) {
	drop := map[int]bool{}
	var conflicts []Conflict
	var unknown []int // expired, not known, not overlapping
	for i, r := range l.Reservations {
		if r.Namespace == namespace {
			if r.expired(now) || slices.Contains(hosts, r.Hostname) {
				drop[i] = true
			}
			continue
		}
		overlapping := ""
		for _, h := range hosts {
			if Overlap(h, r.Hostname) {
				overlapping = h
				break
			}
		}
		stands := !r.expired(now)
		switch {
		case stands:
		case standing.Known(r):
			drop[i] = true
			stands = true
		case overlapping == "":
			unknown = append(unknown, i)
			continue
		default:
			var err error
			if stands, err = standing.Holds(r); err != nil {
				return nil, err
			}
			drop[i] = !stands
		}
		if stands && overlapping != "" {
			conflicts = append(conflicts, Conflict{Hostname: overlapping, Held: r.Hostname, Namespace: r.Namespace})
		}
	}
	if len(conflicts) > 0 {
		slices.SortFunc(conflicts, func(a, b Conflict) int {
			return strings.Compare(a.Hostname+"\x00"+a.Held, b.Hostname+"\x00"+b.Held)
		})
		return conflicts, nil
	}
	slices.SortStableFunc(unknown, func(a, b int) int { return l.Reservations[a].At.Compare(l.Reservations[b].At.Time) })
	for _, i := range unknown[:min(len(unknown), collectPerChange)] {
		stands, err := standing.Holds(l.Reservations[i])
		if err != nil {
			return nil, err
		}
		drop[i] = !stands
	}
	kept := make([]Reservation, 0, len(l.Reservations)+len(hosts))
	for i, r := range l.Reservations {
		if !drop[i] {
			kept = append(kept, r)
		}
	}
	for _, h := range hosts {
		kept = append(kept, Reservation{Hostname: h, Namespace: namespace, UID: uid, At: metav1.NewTime(now)})
	}
	slices.SortStableFunc(kept, func(a, b Reservation) int {
		return strings.Compare(a.Hostname+"\x00"+a.Namespace, b.Hostname+"\x00"+b.Namespace)
	})
	l.Reservations = kept
	return nil, nil
}

// HeldBy returns the hostnames of claims (other than namespace's) that overlap hosts: the conflicts with what
// namespaces hold already, whether or not a ledger knows of them (claims admitted before naas kept ledgers, or
// while its webhook was bypassed). held maps namespaces to their hostnames.
func HeldBy(namespace string, hosts []string, held map[string][]string) []Conflict {
	var out []Conflict
	for ns, theirs := range held {
		if ns == namespace {
			continue
		}
		for _, h := range hosts {
			for _, t := range theirs {
				if Overlap(h, t) {
					out = append(out, Conflict{Hostname: h, Held: t, Namespace: ns})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Conflict) int {
		return strings.Compare(a.Hostname+"\x00"+a.Held+"\x00"+a.Namespace, b.Hostname+"\x00"+b.Held+"\x00"+b.Namespace)
	})
	return out
}

// ByBucket groups hostnames by Bucket, each group sorted.
func ByBucket(hosts []string) map[string][]string {
	out := map[string][]string{}
	for _, h := range hosts {
		b := Bucket(h)
		out[b] = append(out[b], h)
	}
	for b := range out {
		slices.Sort(out[b])
		out[b] = slices.Compact(out[b])
	}
	return out
}
