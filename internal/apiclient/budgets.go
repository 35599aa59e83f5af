package apiclient

import (
	"context"
	"net/http"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

// Budget is one budget and its state this month (restv1.Budget).
type Budget = restv1.Budget

// BudgetLift names the hard budget to lift (restv1.BudgetLift).
type BudgetLift = restv1.BudgetLift

// Budgets returns the budgets the caller may see, of one tenant when tenant is set.
func (c *Client) Budgets(ctx context.Context, tenant string) ([]Budget, error) {
	out := &restv1.BudgetList{}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/budgets", query: tenantQuery(tenant)}, out)
	return out.Items, err
}

// LiftBudget lifts a hard budget for the current month (platform admins).
func (c *Client) LiftBudget(ctx context.Context, lift BudgetLift) error {
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/budgets/lift", body: lift}, nil)
	return err
}
