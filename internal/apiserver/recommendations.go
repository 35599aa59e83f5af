package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/chargeback"
	"github.com/naas-dev/naas/internal/cost/collector"
	"github.com/naas-dev/naas/internal/cost/money"
	"github.com/naas-dev/naas/internal/cost/rightsizing"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Bounds of a recommendation's window: a Prometheus keeps 15 days by default, and a p95 over less than an hour
// says little.
const (
	defaultRecommendationWindow = "7d"
	maxRecommendationWindow     = 31 * 24 * time.Hour
)

// getRecommendations answers GET /namespaces/{namespace}/recommendations: the namespace's workloads' requests
// against their p95 usage, for the tenant's members and platform admins (what a namespace costs is theirs, as in
// the cost report; a collaborator who may view the namespace does not see it).
func (s *Server) getRecommendations(w http.ResponseWriter, r *http.Request) {
	c, t, ok := s.claimFor(w, r, tenancy.ActionView)
	if !ok {
		return
	}
	u := callerOf(r)
	if _, member := tenancy.RoleOf(u, t); !member && !tenancy.IsPlatformAdmin(u) {
		s.fail(w, r, forbidden("the costs of namespace %s are for the members of tenant %s and platform admins", c.Name, c.Spec.Tenant))
		return
	}
	v := r.URL.Query()
	name := v.Get("window")
	if name == "" {
		name = defaultRecommendationWindow
	}
	win, err := chargeback.ParseWindow(name, s.cfg.Now())
	if err != nil {
		s.fail(w, r, malformed("window", "format", "%s", err))
		return
	}
	// The window's length, up to now (the cost clock's) for a duration such as 7d; an explicit start,end ends at
	// its end.
	span := win.End.Sub(win.Start)
	var end time.Time
	if strings.Contains(name, ",") {
		end = win.End
	}
	if span < time.Hour || span > maxRecommendationWindow {
		s.fail(w, r, malformed("window", "range", "window %q: ask for an hour to 31 days of usage, such as 7d", name))
		return
	}
	currency := v.Get("currency")
	if currency != "" {
		if err := money.ValidCurrency(currency); err != nil {
			s.fail(w, r, malformed("currency", "format", "currency %q: %s", currency, err))
			return
		}
	}
	if s.cfg.Costs == nil {
		s.fail(w, r, errorf(http.StatusConflict, restv1.ProblemUsageUnavailable, "cost allocation is off on this naas (no audit store keeps cost rows): there is no usage to size requests by"))
		return
	}
	tiers, err := s.tiersOf(r, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.cfg.Costs.Recommend(r.Context(), collector.RecommendQuery{
		Namespace: c.Name, Window: span, End: end, CurrentTier: c.Status.Tier, Tiers: tiers, Currency: currency,
	})
	switch {
	case errors.Is(err, collector.ErrNoUsage):
		s.fail(w, r, errorf(http.StatusConflict, restv1.ProblemUsageUnavailable, "%s", err))
		return
	case errors.Is(err, collector.ErrUsageUnavailable):
		s.fail(w, r, unavailable("%s", err))
		return
	case errors.Is(err, collector.ErrBadReport):
		s.fail(w, r, malformed("currency", "exchange-rate", "%s", err))
		return
	case err != nil:
		s.fail(w, r, fmt.Errorf("recommendations for %s: %w", c.Name, err))
		return
	}
	out := recommendationList(rec, restv1.CostWindow{Name: name, Start: rec.End.Add(-span), End: rec.End})
	s.writeJSON(w, http.StatusOK, out)
}

// tiersOf is the tiers tenant t may use.
func (s *Server) tiersOf(r *http.Request, t *naasv1alpha1.Tenant) ([]naasv1alpha1.Tier, error) {
	list := &naasv1alpha1.TierList{}
	if err := s.cfg.Cache.List(r.Context(), list); err != nil {
		return nil, fmt.Errorf("list tiers: %w", err)
	}
	if t == nil || len(t.Spec.AllowedTiers) == 0 {
		return list.Items, nil
	}
	return slices.DeleteFunc(list.Items, func(tier naasv1alpha1.Tier) bool { return !slices.Contains(t.Spec.AllowedTiers, tier.Name) }), nil
}

// recommendationList is the wire form of a namespace's right-sizing.
func recommendationList(rec *collector.Recommendation, win restv1.CostWindow) restv1.RecommendationList {
	out := restv1.RecommendationList{
		Namespace: rec.Namespace, Window: win, Currency: rec.Currency, UsageSource: restv1.UsageSourcePrometheus,
		PriceBook: rec.Book, Tier: rec.CurrentTier, MonthlySaving: rec.MonthlySaving.Decimal(rec.Currency),
		Recommended: restv1.ResourceTotals{CPU: cpuQuantity(rec.CPUMillicores), Memory: memoryQuantity(rec.MemoryBytes)},
		Items:       []restv1.Recommendation{},
	}
	if rec.Tier != rec.CurrentTier {
		out.RecommendedTier = rec.Tier
	}
	var cpu, memory int64
	for _, w := range rec.Workloads {
		cpu += w.CPU.Request * w.Replicas
		memory += w.Memory.Request * w.Replicas
		for _, x := range []rightsizing.Recommendation{w.CPU, w.Memory} {
			q := cpuQuantity
			if x.Resource == rightsizing.Memory {
				q = memoryQuantity
			}
			out.Items = append(out.Items, restv1.Recommendation{
				Workload: w.Name, Container: w.Container, Resource: x.Resource, Request: q(x.Request), P95: q(x.P95),
				Recommended: q(x.Recommended), MonthlySaving: x.MonthlySaving.Decimal(rec.Currency), Explanation: x.Explanation,
			})
		}
	}
	out.Requests = restv1.ResourceTotals{CPU: cpuQuantity(cpu), Memory: memoryQuantity(memory)}
	return out
}

func cpuQuantity(millicores int64) string {
	return resource.NewMilliQuantity(millicores, resource.DecimalSI).String()
}

func memoryQuantity(b int64) string { return resource.NewQuantity(b, resource.BinarySI).String() }
