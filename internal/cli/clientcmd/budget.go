package clientcmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naas-dev/naas/internal/apiclient"
)

func newBudgetCommand() *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:   "budget [--tenant T]",
		Short: "Show budgets: limit, spend and forecast this month, thresholds fired, hard stops",
		Long: `Show the budgets you may see: each namespace's (its tier's monthly budget), each tenant's and, for
platform admins, each cost center's, with what was spent and is forecast this month (UTC), which thresholds
fired, and whether a hard budget stops growth. Lift a hard budget with naas budget lift.`,
		Example: `  naas budget
  naas budget --tenant payments -o json`,
		Args: exactArgs(),
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant's budgets")
	registerCompletion(cmd, "tenant", completeTenants)
	addOutputFlag(cmd)
	cmd.AddCommand(newBudgetLiftCommand())
	return newClientCommand(cmd, func(s *session, _ []string) error {
		budgets, err := s.client.Budgets(s.ctx(), tenant)
		if err != nil {
			return err
		}
		return s.render(map[string]any{"items": budgets}, func(w io.Writer) error {
			if len(budgets) == 0 {
				_, err := fmt.Fprintln(w, "No budgets")
				return err
			}
			t := newTable(w)
			row(t, "SCOPE", "NAME", "TENANT", "LIMIT", "SPENT", "FORECAST", "PERIOD", "FIRED", "HARD", "STATUS")
			for _, b := range budgets {
				row(t, b.ScopeKind, b.Scope, b.Tenant, b.Limit+" "+b.Currency, dash(b.Spent), dash(b.Forecast), dash(b.Period),
					firedSummary(b), strconv.FormatBool(b.Hard), budgetState(b))
			}
			return t.Flush()
		})
	})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// firedSummary lists the thresholds fired, forecast ones marked: "50%,80%,100%f".
func firedSummary(b apiclient.Budget) string {
	var parts []string
	for _, f := range b.Fired {
		s := strconv.Itoa(int(f.Threshold)) + "%"
		if f.Kind == "Forecast" {
			s += "f"
		}
		parts = append(parts, s)
	}
	return dash(strings.Join(parts, ","))
}

func budgetState(b apiclient.Budget) string {
	switch {
	case b.Blocked:
		return "Blocked: " + b.Message
	case b.Hard && b.LiftedPeriod != "" && b.LiftedPeriod == b.Period:
		return "Lifted"
	}
	return "OK"
}

func newBudgetLiftCommand() *cobra.Command {
	var costCenter, tier string
	cmd := &cobra.Command{
		Use:   "lift [TENANT | --cost-center CC | --tier TIER]",
		Short: "Lift a hard budget for the current month (platform admins)",
		Long: `Lift a hard budget for the current month (UTC): the tenant (or the tenants of the cost center, or the
namespaces of the tier) may create namespaces and grow quota again until the month ends. A namespace's budget is
its tier's: lift the tier. Only platform admins may lift budgets.`,
		Example: `  naas budget lift payments
  naas budget lift --cost-center cc-42
  naas budget lift --tier dev`,
		Args: cobra.MaximumNArgs(1),
	}
	cmd.Flags().StringVar(&costCenter, "cost-center", "", "lift the budget of this cost center")
	cmd.Flags().StringVar(&tier, "tier", "", "lift the budget of this tier (every namespace of the tier)")
	registerCompletion(cmd, "tier", completeTiers)
	return newClientCommand(cmd, func(s *session, args []string) error {
		var lift apiclient.BudgetLift
		n := 0
		if len(args) == 1 {
			lift, n = apiclient.BudgetLift{ScopeKind: "tenant", Scope: args[0]}, n+1
		}
		if costCenter != "" {
			lift, n = apiclient.BudgetLift{ScopeKind: "costcenter", Scope: costCenter}, n+1
		}
		if tier != "" {
			lift, n = apiclient.BudgetLift{ScopeKind: "tier", Scope: tier}, n+1
		}
		if n != 1 {
			return usageErrorf(cmd, "name one budget: a TENANT, --cost-center or --tier")
		}
		if err := s.client.LiftBudget(s.ctx(), lift); err != nil {
			return err
		}
		_, err := fmt.Fprintf(s.out, "Lifted the hard budget of %s %s for this month\n", lift.ScopeKind, lift.Scope)
		return err
	})
}
