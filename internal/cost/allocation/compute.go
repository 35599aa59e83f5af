package allocation

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/cost/pricing"
)

const (
	secondsPerHour = 3600
	millisPerCore  = 1000
	bytesPerGiB    = 1 << 30
)

// PolicyFrom is the allocation part of a CostPolicy's spec (empty splits are None).
func PolicyFrom(spec naasv1alpha1.CostPolicySpec) Policy {
	p := Policy{Idle: Split(spec.Idle), Shared: Split(spec.Shared), SharedNamespaces: spec.SharedNamespaces}
	if p.Idle == "" {
		p.Idle = SplitNone
	}
	if p.Shared == "" {
		p.Shared = SplitNone
	}
	return p
}

// cost is quantity × price × seconds / (unit × 3600 × hours): the cost of quantity (in units of unit, e.g.
// millicores of a core) at price per unit and hours hours, for seconds, rounded once to nano-units.
func cost(quantity int64, unit int64, price money.Amount, seconds int64, hours int64) money.Amount {
	if quantity <= 0 || price == 0 || seconds <= 0 {
		return 0
	}
	return money.Amount(money.MulDiv(quantity, int64(price), seconds, unit*secondsPerHour*hours))
}

// Compute allocates the hour in to namespaces with the prices of catalog and the splits of policy. It is
// deterministic: the same input gives the same rows, in the same order, to the nano-unit.
func Compute(in Input, catalog *pricing.Catalog, policy Policy) (Result, error) {
	end := in.End
	if end.IsZero() {
		end = in.Start.Add(time.Hour)
	}
	span := int64(end.Sub(in.Start) / time.Second)
	if err := validate(in, span, policy); err != nil {
		return Result{}, err
	}
	basis := in.UsageSource
	if basis == "" {
		basis = UsageRequests
	}
	res := Result{Currency: catalog.Currency()}
	rates := map[string]money.Rate{}
	price := func(pool string) (*pricing.Prices, error) {
		p, err := catalog.For(in.Cluster, pool)
		if err != nil {
			return nil, err
		}
		if p.Rate.From != p.Rate.To {
			rates[p.Book] = p.Rate
		}
		return p, nil
	}
	clusterPrices, err := price("")
	if err != nil {
		return Result{}, err
	}

	rows := map[string]*Row{}
	shared := map[string]bool{}
	for _, ns := range policy.SharedNamespaces {
		shared[ns] = true
	}
	row := func(ns string) *Row {
		if r, ok := rows[ns]; ok {
			return r
		}
		kind := KindNamespace
		if shared[ns] {
			kind = KindShared
		}
		r := &Row{Hour: in.Start, Cluster: in.Cluster, Namespace: ns, Kind: kind, Basis: basis, Seconds: span, Currency: res.Currency}
		rows[ns] = r
		return r
	}
	for _, ns := range in.Namespaces {
		r := row(ns.Name)
		r.Tenant, r.CostCenter, r.Template, r.Tier, r.Labels = ns.Tenant, ns.CostCenter, ns.Template, ns.Tier, ns.Labels
	}

	// Capacity: what the nodes cost, by resource.
	nodePrices := map[string]*pricing.Prices{}
	for _, n := range in.Nodes {
		p, err := price(n.Pool)
		if err != nil {
			return Result{}, fmt.Errorf("node %s: %w", n.Name, err)
		}
		nodePrices[n.Name] = p
		res.Capacity.CPU = res.Capacity.CPU.Add(cost(n.CPUMillicores, millisPerCore, p.CPUCoreHour, n.Seconds, 1))
		res.Capacity.Memory = res.Capacity.Memory.Add(cost(n.MemoryBytes, bytesPerGiB, p.MemoryGiBHour, n.Seconds, 1))
		res.Capacity.GPU = res.Capacity.GPU.Add(cost(n.GPUs, 1, p.GPUHour, n.Seconds, 1))
	}

	// Workloads: per container, max(request, usage) for CPU and memory, the request for GPUs.
	var allocated Components
	for _, pod := range in.Pods {
		p, ok := nodePrices[pod.Node]
		if !ok {
			p = clusterPrices
		}
		r := row(pod.Namespace)
		for _, c := range pod.Containers {
			cpu, mem := c.CPURequestMillicores, c.MemoryRequestBytes
			q := Quantities{CPURequest: c.CPURequestMillicores * pod.Seconds, MemoryRequest: c.MemoryRequestBytes * pod.Seconds, GPU: c.GPURequest * pod.Seconds}
			if basis == UsagePrometheus {
				if c.CPUUsageMillicores != nil {
					cpu = max(cpu, *c.CPUUsageMillicores)
					q.CPUUsage = *c.CPUUsageMillicores * pod.Seconds
				}
				if c.MemoryUsageBytes != nil {
					mem = max(mem, *c.MemoryUsageBytes)
					q.MemoryUsage = *c.MemoryUsageBytes * pod.Seconds
				}
			}
			q.CPUAllocated, q.MemoryAllocated = cpu*pod.Seconds, mem*pod.Seconds
			comp := Components{
				CPU:    cost(cpu, millisPerCore, p.CPUCoreHour, pod.Seconds, 1),
				Memory: cost(mem, bytesPerGiB, p.MemoryGiBHour, pod.Seconds, 1),
				GPU:    cost(c.GPURequest, 1, p.GPUHour, pod.Seconds, 1),
			}
			r.Cost = r.Cost.Plus(comp)
			r.Quantities = r.Quantities.Plus(q)
			if ok {
				allocated = allocated.Plus(comp)
			}
		}
	}
	// Storage: the claims' capacity by storage class; load balancers by the hour.
	for _, v := range in.Volumes {
		c := cost(v.CapacityBytes, bytesPerGiB, clusterPrices.StorageGiBMonthOf(v.StorageClass), v.Seconds, pricing.HoursPerMonth)
		r := row(v.Namespace)
		r.Cost.Storage = r.Cost.Storage.Add(c)
		r.Quantities.Storage += v.CapacityBytes * v.Seconds
		res.Capacity.Storage = res.Capacity.Storage.Add(c)
	}
	for _, lb := range in.LoadBalancers {
		c := cost(1, 1, clusterPrices.LoadBalancerHour, lb.Seconds, 1)
		r := row(lb.Namespace)
		r.Cost.LoadBalancer = r.Cost.LoadBalancer.Add(c)
		r.Quantities.LoadBalancers += lb.Seconds
		res.Capacity.LoadBalancer = res.Capacity.LoadBalancer.Add(c)
	}

	// Idle: capacity nobody was allocated, resource by resource (never below zero: a node whose pods use more
	// than it has has no idle capacity of that resource).
	idle := max(0, res.Capacity.CPU-allocated.CPU) + max(0, res.Capacity.Memory-allocated.Memory) + max(0, res.Capacity.GPU-allocated.GPU)

	out := make([]*Row, 0, len(rows)+1)
	for _, r := range rows {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })

	// Share idle out to every namespace with a cost (shared ones included: their share travels on with them).
	if idle > 0 {
		var receivers []*Row
		for _, r := range out {
			if r.Cost.Direct() > 0 {
				receivers = append(receivers, r)
			}
		}
		if policy.Idle == SplitNone || len(receivers) == 0 {
			out = append(out, &Row{Hour: in.Start, Cluster: in.Cluster, Namespace: IdleNamespace, Kind: KindIdle, Basis: basis, Seconds: span, Currency: res.Currency, Cost: Components{Idle: idle}})
		} else {
			for i, part := range money.Split(idle, weights(receivers, policy.Idle, Components.Direct)) {
				receivers[i].Cost.Idle = part
			}
		}
	}
	// Share the shared namespaces' cost out to the others.
	if policy.Shared != SplitNone {
		var from, to []*Row
		for _, r := range out {
			switch {
			case r.Kind == KindShared:
				from = append(from, r)
			case r.Kind == KindNamespace && r.Cost.Total() > 0:
				to = append(to, r)
			}
		}
		var total money.Amount
		for _, r := range from {
			total = total.Add(r.Cost.Total())
		}
		if total > 0 && len(to) > 0 {
			for _, r := range from {
				r.Cost.Shared = -r.Cost.Total()
			}
			for i, part := range money.Split(total, weights(to, policy.Shared, Components.Total)) {
				to[i].Cost.Shared = part
			}
		}
	}

	res.Rows = make([]Row, len(out))
	for i, r := range out {
		res.Rows[i] = *r
	}
	books := slices.Sorted(maps.Keys(rates))
	for _, b := range books {
		if r := rates[b]; !slices.Contains(res.Rates, r) {
			res.Rates = append(res.Rates, r)
		}
	}
	return res, nil
}

// weights are the rows' weights for split: all 1 for Even, the cost by of for Weighted.
func weights(rows []*Row, split Split, by func(Components) money.Amount) []int64 {
	w := make([]int64, len(rows))
	for i, r := range rows {
		w[i] = 1
		if split == SplitWeighted {
			w[i] = max(0, int64(by(r.Cost)))
		}
	}
	return w
}

func validate(in Input, span int64, policy Policy) error {
	var errs []error
	if in.Start.IsZero() || !in.Start.Equal(in.Start.Truncate(time.Hour)) {
		errs = append(errs, fmt.Errorf("start %s is not on the hour", in.Start))
	}
	if span <= 0 || span > secondsPerHour {
		errs = append(errs, fmt.Errorf("end %s is not within the hour after start %s", in.End, in.Start))
	}
	switch in.UsageSource {
	case "", UsagePrometheus, UsageRequests:
	default:
		errs = append(errs, fmt.Errorf("usage source %q is neither %q nor %q", in.UsageSource, UsagePrometheus, UsageRequests))
	}
	for _, s := range []Split{policy.Idle, policy.Shared} {
		switch s {
		case SplitNone, SplitEven, SplitWeighted:
		default:
			errs = append(errs, fmt.Errorf("split %q is not None, Even or Weighted", s))
		}
	}
	seconds := func(what string, s int64) {
		if s < 0 || s > span {
			errs = append(errs, fmt.Errorf("%s ran %d seconds, outside 0..%d", what, s, span))
		}
	}
	negative := func(what string, vs ...int64) {
		for _, v := range vs {
			if v < 0 {
				errs = append(errs, fmt.Errorf("%s has a negative quantity", what))
				return
			}
		}
	}
	for _, n := range in.Nodes {
		seconds("node "+n.Name, n.Seconds)
		negative("node "+n.Name, n.CPUMillicores, n.MemoryBytes, n.GPUs)
	}
	for _, p := range in.Pods {
		seconds("pod "+p.Namespace+"/"+p.Name, p.Seconds)
		for _, c := range p.Containers {
			negative("pod "+p.Namespace+"/"+p.Name+" container "+c.Name, c.CPURequestMillicores, c.MemoryRequestBytes, c.GPURequest, deref(c.CPUUsageMillicores), deref(c.MemoryUsageBytes))
		}
	}
	for _, v := range in.Volumes {
		seconds("volume "+v.Namespace+"/"+v.Name, v.Seconds)
		negative("volume "+v.Namespace+"/"+v.Name, v.CapacityBytes)
	}
	for _, lb := range in.LoadBalancers {
		seconds("load balancer "+lb.Namespace+"/"+lb.Name, lb.Seconds)
	}
	return errors.Join(errs...)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
