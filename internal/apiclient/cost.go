package apiclient

import (
	"context"
	"net/http"
	"net/url"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

// CostReport is the body of GET /analytics/costs.
type CostReport = restv1.CostReport

// CostQuery selects a cost report; empty fields take the server's defaults (this month, per namespace).
type CostQuery struct {
	Window, Aggregate, Currency, Tenant, Step string
}

func (q CostQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"window": q.Window, "aggregate": q.Aggregate, "currency": q.Currency, "tenant": q.Tenant, "step": q.Step} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Costs returns the cost report q selects.
func (c *Client) Costs(ctx context.Context, q CostQuery) (*CostReport, error) {
	out := &CostReport{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/analytics/costs", query: q.values()}, out)
	return out, err
}

// CostsCSV returns the cost report q selects as the finance CSV.
func (c *Client) CostsCSV(ctx context.Context, q CostQuery) ([]byte, error) {
	raw, _, err := c.raw(ctx, request{method: http.MethodGet, path: "/analytics/costs", query: q.values(), accept: restv1.CSVContentType})
	return raw, err
}

// RecommendationList is the body of GET /namespaces/{namespace}/recommendations.
type RecommendationList = restv1.RecommendationList

// Recommendations returns the right-sizing of namespace's workloads over window (the server's 7d when empty),
// with savings in currency (the cost policy's when empty).
func (c *Client) Recommendations(ctx context.Context, namespace, window, currency string) (*RecommendationList, error) {
	v := url.Values{}
	if window != "" {
		v.Set("window", window)
	}
	if currency != "" {
		v.Set("currency", currency)
	}
	out := &RecommendationList{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf("namespaces", namespace, "recommendations"), query: v}, out)
	return out, err
}
