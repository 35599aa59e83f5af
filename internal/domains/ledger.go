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

// Ledger holds the reservations of the hostnames of one Key (a wildcard and the names directly under it). It lives in one
// small object per key, written with compare-and-swap, so that two admissions racing for the same key cannot both
// win; overlaps across keys (a wildcard and the names further below it) are found by reading the ledgers of the ancestor
// keys and of the keys below a wildcard after writing one's own (see Standing.Overlapping).
//
// A reservation covers the time between an admission and the moment naas's view of the claims (HeldBy) shows the
// claim: once expired, a reservation its claim is known to hold is dropped, as the claim itself now stands for
// it (Collect). A ledger therefore lives about one minute after its last admission.
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

// Reserve reserves hosts (hostnames of this ledger's key) for the claim of namespace with uid, at now. If a
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

// ByKey groups hostnames by Key, each group sorted.
func ByKey(hosts []string) map[string][]string {
	out := map[string][]string{}
	for _, h := range hosts {
		k := Key(h)
		out[k] = append(out[k], h)
	}
	for k := range out {
		slices.Sort(out[k])
		out[k] = slices.Compact(out[k])
	}
	return out
}

// Release drops the reservations of hosts that namespace made at at (undoing a Reserve whose admission was refused
// after all), and reports whether it dropped any. Times compare to the second, as the ledger stores them.
func (l *Ledger) Release(namespace string, hosts []string, at time.Time) bool {
	n := len(l.Reservations)
	at = at.Truncate(time.Second)
	l.Reservations = slices.DeleteFunc(l.Reservations, func(r Reservation) bool {
		return r.Namespace == namespace && r.At.Truncate(time.Second).Equal(at) && slices.Contains(hosts, r.Hostname)
	})
	return len(l.Reservations) != n
}

// Overlapping returns the reservations of other namespaces than namespace that overlap hosts and stand: younger
// than ReservationTTL, or, once expired, held by their claim (standing.Holds). It changes nothing: it is how an
// admission checks the ledgers of other keys after reserving in its own.
func (l *Ledger) Overlapping(namespace string, hosts []string, now time.Time, standing Standing) ([]Conflict, error) {
	var out []Conflict
	for _, r := range l.Reservations {
		if r.Namespace == namespace {
			continue
		}
		for _, h := range hosts {
			if !Overlap(h, r.Hostname) {
				continue
			}
			stands := !r.expired(now)
			if !stands {
				var err error
				if stands, err = standing.Holds(r); err != nil {
					return nil, err
				}
			}
			if stands {
				out = append(out, Conflict{Hostname: h, Held: r.Hostname, Namespace: r.Namespace})
			}
			break
		}
	}
	return out, nil
}

// Collect drops the expired reservations that no longer need to stand: those standing.Known accounts for (the claim
// stands for its hostname itself) and those whose claim does not hold them (standing.Holds). It reports whether it
// dropped any; a ledger left empty is deleted.
func (l *Ledger) Collect(now time.Time, standing Standing) (bool, error) {
	kept := l.Reservations[:0:0]
	for _, r := range l.Reservations {
		if !r.expired(now) {
			kept = append(kept, r)
			continue
		}
		if standing.Known(r) {
			continue
		}
		holds, err := standing.Holds(r)
		if err != nil {
			return false, err
		}
		if holds {
			kept = append(kept, r)
		}
	}
	changed := len(kept) != len(l.Reservations)
	l.Reservations = kept
	return changed, nil
}

// Expired reports whether every reservation of the ledger is older than ReservationTTL at now.
func (l *Ledger) Expired(now time.Time) bool {
	for _, r := range l.Reservations {
		if !r.expired(now) {
			return false
		}
	}
	return true
}

// Adopt adds the reservations of rs that the ledger does not hold yet (same hostname and namespace), for the
// migration of older ledgers, and reports whether it added any.
func (l *Ledger) Adopt(rs []Reservation) bool {
	changed := false
	for _, r := range rs {
		if !slices.ContainsFunc(l.Reservations, func(o Reservation) bool { return o.Hostname == r.Hostname && o.Namespace == r.Namespace }) {
			l.Reservations = append(l.Reservations, r)
			changed = true
		}
	}
	return changed
}
