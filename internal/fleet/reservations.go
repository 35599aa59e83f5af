package fleet

import "github.com/naas-dev/naas/internal/placement"

// Reservations are the placements decided but not yet seen by the cache that the next decision reads: by claim
// name, the cluster and what the claim's namespace reserves there. Placement decides inside a compare-and-swap
// of this document (see fleetledger), counting each cluster's allocated capacity as the claims the cache shows
// placed there plus the reservations: two claims placed at once cannot both take a cluster's last room, and a
// claim whose status write failed gets the same cluster on its next pass.
type Reservations struct {
	Claims map[string]Reservation `json:"claims,omitempty"`
}

// Reservation is one claim's placement in flight.
type Reservation struct {
	Cluster string `json:"cluster"`
	// UID of the claim, so that a claim deleted and made again under the same name is placed afresh.
	UID         string `json:"uid"`
	MilliCPU    int64  `json:"cpu,omitempty"`
	MemoryBytes int64  `json:"memory,omitempty"`
	// Message is the decision's, for the claim's Placed condition.
	Message string `json:"message,omitempty"`
}

// Copy returns a copy that shares nothing with r.
func (r *Reservations) Copy() *Reservations {
	out := &Reservations{}
	if len(r.Claims) > 0 {
		out.Claims = make(map[string]Reservation, len(r.Claims))
		for k, v := range r.Claims {
			out.Claims[k] = v
		}
	}
	return out
}

// Placed says where the cache shows a claim: its status.cluster ("" while unplaced) and whether the cache holds
// the claim (with this UID) at all.
type Placed func(claim, uid string) (cluster string, exists bool)

// Prune drops the reservations the cache now accounts for (the claim shows its cluster) or that no longer
// matter (the claim is gone). It reports whether it dropped any.
func (r *Reservations) Prune(placed Placed) bool {
	pruned := false
	for name, res := range r.Claims {
		if cluster, ok := placed(name, res.UID); !ok || cluster != "" {
			delete(r.Claims, name)
			pruned = true
		}
	}
	return pruned
}

// Add reserves quota on cluster for a claim.
func (r *Reservations) Add(claim, uid, cluster string, quota placement.Resources, message string) {
	if r.Claims == nil {
		r.Claims = map[string]Reservation{}
	}
	r.Claims[claim] = Reservation{Cluster: cluster, UID: uid, MilliCPU: quota.MilliCPU, MemoryBytes: quota.MemoryBytes, Message: message}
}

// Of returns the cluster reserved for a claim, "" when none is.
func (r *Reservations) Of(claim, uid string) string {
	if res, ok := r.Claims[claim]; ok && res.UID == uid {
		return res.Cluster
	}
	return ""
}

// AddTo adds the reservations of each cluster to allocated (by cluster name).
func (r *Reservations) AddTo(allocated map[string]placement.Resources) {
	for _, res := range r.Claims {
		a := allocated[res.Cluster]
		a.MilliCPU += res.MilliCPU
		a.MemoryBytes += res.MemoryBytes
		allocated[res.Cluster] = a
	}
}
