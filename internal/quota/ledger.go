package quota

import (
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ReservationTTL is how long an admitted charge stays reserved without a count seeing its object. It covers
// the rest of the admission chain and the write to etcd (the API server gives a request at most a minute);
// after it, a charge whose object never appeared (another admission step rejected it) is released.
const ReservationTTL = time.Minute

// Ledger is what admission reserves a tenant's quota and namespace count against. It lives in one object per
// tenant, written with compare-and-swap (the resourceVersion guards every write), as Kubernetes' ResourceQuota
// admission writes quota status: two admissions racing for the last unit of quota cannot both win, whichever
// replica of naas serves them.
//
// Usage is the last count of the tenant's objects plus the charges admitted since that the count did not see;
// a count settles the charges it saw and releases those that expired.
type Ledger struct {
	// Counted is the tenant's usage at the last count, for each resource counted.
	Counted corev1.ResourceList `json:"counted,omitempty"`
	// CountedAt is when the last count was taken.
	CountedAt *metav1.Time `json:"countedAt,omitempty"`
	// Pending are charges admitted that no count has seen yet.
	Pending []Reservation `json:"pending,omitempty"`
	// Claims are namespace claims admitted that the list of the tenant's claims did not show yet.
	Claims []ClaimReservation `json:"claims,omitempty"`
}

// Reservation is one admitted charge.
type Reservation struct {
	// Key identifies the object: <kind>/<namespace>/<name>.
	Key string `json:"key"`
	// UID of the object being created or updated.
	UID types.UID `json:"uid,omitempty"`
	// Charge is what was reserved, for the resources the quota caps.
	Charge corev1.ResourceList `json:"charge"`
	// Target is set for an update: the object's usage after it. A count that sees the object using at least
	// this much has counted the update.
	Target corev1.ResourceList `json:"target,omitempty"`
	// At is when the charge was admitted.
	At metav1.Time `json:"at"`
	// Persisted is set once the object is known to have been written (its deletion was requested): a count
	// that does not see it then knows it is gone, not still on its way.
	Persisted bool `json:"persisted,omitempty"`
}

// ClaimReservation is one admitted namespace claim.
type ClaimReservation struct {
	Name string    `json:"name"`
	UID  types.UID `json:"uid,omitempty"`
	// At is when the claim was admitted.
	At metav1.Time `json:"at"`
}

// Key returns the ledger key of an object of kind in namespace.
func Key(kind Kind, namespace, name string) string {
	return string(kind) + "/" + namespace + "/" + name
}

func expired(at metav1.Time, now time.Time) bool { return now.Sub(at.Time) > ReservationTTL }

// Used is the tenant's usage at now: the last count plus the charges pending and not expired.
func (l *Ledger) Used(now time.Time) corev1.ResourceList {
	used := l.Counted.DeepCopy()
	if used == nil {
		used = corev1.ResourceList{}
	}
	for _, r := range l.Pending {
		if !expired(r.At, now) {
			used = Add(used, r.Charge)
		}
	}
	return used
}

// NeedsCount reports whether a resource of hard was not part of the last count, so usage of it is unknown.
func (l *Ledger) NeedsCount(hard corev1.ResourceList) bool {
	for name := range hard {
		if _, ok := l.Counted[name]; !ok {
			return true
		}
	}
	return false
}

// Exceeded says which resources a charge would take over the quota.
type Exceeded struct {
	// Requested, Used and Hard hold the exceeded resources only.
	Requested, Used, Hard corev1.ResourceList
}

// Error says what was requested, used and limited, for the resources exceeded.
func (e *Exceeded) Error() string {
	return fmt.Sprintf("requested %s; already used %s; limited to %s",
		describe(e.Requested), describe(e.Used), describe(e.Hard))
}

// Reserve adds r to the pending charges if the tenant's usage plus r.Charge stays within hard for every
// resource; otherwise it changes nothing and says what would be exceeded. Only the resources hard caps are
// reserved. Expired charges are released first.
func (l *Ledger) Reserve(hard corev1.ResourceList, r Reservation, now time.Time) *Exceeded {
	l.Pending = slices.DeleteFunc(l.Pending, func(p Reservation) bool { return expired(p.At, now) })
	r.Charge = Mask(r.Charge, hard)
	if IsZero(r.Charge) {
		return nil
	}
	used := l.Used(now)
	var ex *Exceeded
	for name, q := range r.Charge {
		total := used[name].DeepCopy()
		total.Add(q)
		if total.Cmp(hard[name]) <= 0 {
			continue
		}
		if ex == nil {
			ex = &Exceeded{Requested: corev1.ResourceList{}, Used: corev1.ResourceList{}, Hard: corev1.ResourceList{}}
		}
		ex.Requested[name] = q
		ex.Used[name] = used[name]
		ex.Hard[name] = hard[name]
	}
	if ex != nil {
		return ex
	}
	r.At = metav1.NewTime(now)
	l.Pending = append(l.Pending, r)
	return nil
}

// Seen tells a count's view of one object: its usage, and whether the count saw an object of that key and UID.
type Seen func(key string, uid types.UID) (usage corev1.ResourceList, ok bool)

// Settle records a fresh count (the tenant's usage of the resources of hard, as counted at now) and drops the
// pending charges it accounts for: creates whose object it saw, updates whose object it saw using their target,
// charges of objects known to be written that it did not see (they were deleted), and charges that expired. Any
// other charge it did not see stays pending: its object may not be written yet.
func (l *Ledger) Settle(hard, counted corev1.ResourceList, seen Seen, now time.Time) {
	l.Counted = corev1.ResourceList{}
	for name := range hard {
		l.Counted[name] = counted[name].DeepCopy()
	}
	t := metav1.NewTime(now)
	l.CountedAt = &t
	l.Pending = slices.DeleteFunc(l.Pending, func(r Reservation) bool {
		if expired(r.At, now) {
			return true
		}
		usage, ok := seen(r.Key, r.UID)
		if !ok {
			return r.Persisted
		}
		return r.Target == nil || Covers(usage, Mask(r.Target, hard))
	})
}

// MarkPersisted records that the object of key and uid was written (its deletion is being requested), and
// reports whether a pending charge was marked.
func (l *Ledger) MarkPersisted(key string, uid types.UID) bool {
	changed := false
	for i := range l.Pending {
		if r := &l.Pending[i]; r.Key == key && r.UID == uid && !r.Persisted {
			r.Persisted = true
			changed = true
		}
	}
	return changed
}

// CountClaims returns how many namespaces the tenant holds: its existing claims (name to UID) together with the
// admitted claims not yet among them. Admitted claims are dropped from the ledger only once they expire, not when
// the caller's cache shows them: replicas' caches differ, and an entry dropped because one replica sees its claim
// would leave the claim counted nowhere by another replica that does not see it yet.
func (l *Ledger) CountClaims(existing map[string]types.UID, now time.Time) int {
	l.Claims = slices.DeleteFunc(l.Claims, func(c ClaimReservation) bool { return expired(c.At, now) })
	n := len(existing)
	for _, c := range l.Claims {
		if _, ok := existing[c.Name]; !ok {
			n++
		}
	}
	return n
}

// ReleaseClaim forgets an admitted claim, e.g. before it is counted again on a retried create.
func (l *Ledger) ReleaseClaim(name string) {
	l.Claims = slices.DeleteFunc(l.Claims, func(c ClaimReservation) bool { return c.Name == name })
}

// AddClaim records an admitted claim.
func (l *Ledger) AddClaim(name string, uid types.UID, now time.Time) {
	l.Claims = slices.DeleteFunc(l.Claims, func(c ClaimReservation) bool { return c.Name == name })
	l.Claims = append(l.Claims, ClaimReservation{Name: name, UID: uid, At: metav1.NewTime(now)})
}

// DeepCopy returns a copy of l that shares nothing with it.
func (l *Ledger) DeepCopy() *Ledger {
	out := &Ledger{Counted: l.Counted.DeepCopy(), Claims: slices.Clone(l.Claims)}
	if l.CountedAt != nil {
		t := *l.CountedAt
		out.CountedAt = &t
	}
	for _, r := range l.Pending {
		r.Charge = r.Charge.DeepCopy()
		r.Target = r.Target.DeepCopy()
		out.Pending = append(out.Pending, r)
	}
	return out
}
