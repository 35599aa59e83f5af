package clientcmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naas-dev/naas/internal/apiclient"
	"github.com/naas-dev/naas/internal/cost/money"
)

func newCostCommand() *cobra.Command {
	var q apiclient.CostQuery
	cmd := &cobra.Command{
		Use:   "cost [--window month] [--aggregate namespace|tenant|costcenter|label:KEY] [--currency GBP]",
		Short: "Show what namespaces, tenants or cost centers cost, and what they are charged",
		Long: `Show allocated cost (the OpenCost model: max(request, usage) per container, storage, load balancers,
idle and shared cost as the cost policy splits them) and the chargeback of each line, over a window that
includes the hour in progress. Platform admins see everything; others see the tenants they belong to.
-o csv writes the finance CSV.`,
		Example: `  naas cost
  naas cost --window lastmonth --aggregate tenant -o csv > costs.csv
  naas cost --window 7d --aggregate label:team --currency GBP`,
		Args: exactArgs(),
	}
	f := cmd.Flags()
	f.StringVar(&q.Window, "window", "month", "today, yesterday, week, lastweek, month, lastmonth, a duration (24h, 7d) or start,end")
	f.StringVar(&q.Aggregate, "aggregate", "namespace", "namespace, tenant, costcenter, cluster, tier, template or label:KEY")
	f.StringVar(&q.Currency, "currency", "", "ISO 4217 currency to report in (default: the cost policy's)")
	f.StringVar(&q.Tenant, "tenant", "", "only this tenant")
	registerCompletion(cmd, "tenant", completeTenants)
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, _ []string) error {
		if s.output == "csv" {
			raw, err := s.client.CostsCSV(s.ctx(), q)
			if err != nil {
				return err
			}
			_, err = s.out.Write(raw)
			return err
		}
		rep, err := s.client.Costs(s.ctx(), q)
		if err != nil {
			return err
		}
		c := rep.Currency
		return s.render(rep, func(w io.Writer) error {
			fmt.Fprintf(w, "%s to %s, per %s, in %s (usage: %s)\n", rep.Window.Start.Format("2006-01-02 15:04"),
				rep.Window.End.Format("2006-01-02 15:04 MST"), rep.Aggregate, rep.Currency, rep.UsageSource)
			if len(rep.Lines) == 0 {
				_, err := fmt.Fprintln(w, "No costs")
				return err
			}
			t := newTable(w)
			row(t, strings.ToUpper(rep.Aggregate), "NAMESPACES", "CPU", "MEMORY", "STORAGE", "OTHER", "LIST", "RULES", "CHARGED")
			for _, l := range rep.Lines {
				var rules []string
				for _, r := range l.Rules {
					rules = append(rules, r.Name)
				}
				other := sum(l.Cost.GPU, l.Cost.LoadBalancer, l.Cost.Idle, l.Cost.Shared)
				row(t, l.Key, strconv.Itoa(l.Namespaces), cents(l.Cost.CPU, c), cents(l.Cost.Memory, c), cents(l.Cost.Storage, c),
					cents(other, c), cents(l.Cost.Total, c), strings.Join(rules, ","), cents(l.Charged, c))
			}
			row(t, "TOTAL", "", cents(rep.Totals.Cost.CPU, c), cents(rep.Totals.Cost.Memory, c), cents(rep.Totals.Cost.Storage, c), "",
				cents(rep.Totals.Cost.Total, c), "", cents(rep.Totals.Charged, c))
			return t.Flush()
		})
	})
}

// cents shows an exact amount rounded once to the currency's minor unit, half away from zero.
func cents(s, currency string) string {
	a, err := money.ParseExact(s)
	if err != nil {
		return s
	}
	return a.Decimal(currency)
}

func sum(amounts ...string) string {
	var t money.Amount
	for _, s := range amounts {
		a, _ := money.ParseExact(s)
		t = t.Add(a)
	}
	return t.Exact()
}
