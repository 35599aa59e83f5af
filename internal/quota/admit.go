package quota

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Request is one admission of an object that tenant quota charges: a create, or an update that may grow it.
type Request struct {
	// Hard is the tenant's spec.quota.
	Hard corev1.ResourceList
	// Key (see Key) and UID identify the object.
	Key string
	UID types.UID
	// Usage is what the object charges after the request; OldUsage what it charged before an update (nil for a
	// create).
	Usage, OldUsage corev1.ResourceList
	// Arrived is when the request arrived: a refusal must rest on a count taken after it, so that objects
	// deleted before it are never held against it.
	Arrived time.Time
}

// Reservation is the charge the request reserves, for the resources Hard caps: its whole usage for a create,
// the growth for an update (with the usage after it as the target a count must see). A zero charge needs no
// ledger at all.
func (r Request) Reservation() Reservation {
	res := Reservation{Key: r.Key, UID: r.UID, Charge: Mask(r.Usage, r.Hard)}
	if r.OldUsage != nil {
		res.Charge, res.Target = Mask(Increase(r.OldUsage, r.Usage), r.Hard), Mask(r.Usage, r.Hard)
	}
	return res
}

// Count counts the tenant's usage afresh: its usage of the resources the quota caps, and what it saw of each
// object (for Ledger.Settle).
type Count func() (counted corev1.ResourceList, seen Seen, err error)

// Admit decides a request against the tenant's ledger at now, and reserves its charge when it fits. The ledger
// is counted (with count) first when it has never counted a resource the quota caps, and again before a refusal
// unless a count was taken since the request arrived: under a burst, the count taken for the first refusal
// serves every request that arrived before it. It returns what would be exceeded (nil: admitted and reserved)
// and whether the ledger changed (a reservation or a count) and must be stored.
func (l *Ledger) Admit(r Request, now time.Time, count Count) (exceeded *Exceeded, changed bool, err error) {
	settle := func() error {
		counted, seen, err := count()
		if err != nil {
			return err
		}
		l.Settle(r.Hard, counted, seen, now)
		changed = true
		return nil
	}
	res := r.Reservation()
	if IsZero(res.Charge) {
		return nil, false, nil
	}
	if l.NeedsCount(r.Hard) {
		if err := settle(); err != nil {
			return nil, false, err
		}
	}
	if exceeded = l.Reserve(r.Hard, res, now); exceeded == nil {
		return nil, true, nil
	}
	if l.CountedAt != nil && !l.CountedAt.Time.Before(r.Arrived) {
		return exceeded, changed, nil
	}
	// Objects may have gone since the last count: count again before refusing.
	if err := settle(); err != nil {
		return nil, false, err
	}
	if exceeded = l.Reserve(r.Hard, res, now); exceeded == nil {
		return nil, true, nil
	}
	return exceeded, changed, nil
}
