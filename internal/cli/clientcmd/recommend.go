package clientcmd

import (
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/naas-dev/naas/internal/apiclient"
)

func newRecommendCommand() *cobra.Command {
	var window, currency string
	cmd := &cobra.Command{
		Use:   "recommend [NAMESPACE]",
		Short: "Right-size a namespace's requests by their p95 usage, with the tier they fit and the monthly saving",
		Long: `For each container of a namespace's Deployments, StatefulSets and DaemonSets: its CPU and memory requests
against the 95th percentile of its usage over the window, the request naas recommends (p95 × 1.2, rounded up
to 50m and 64Mi), what the change saves a month at list prices, and the smallest tier that holds it. Without a
NAMESPACE, every namespace whose costs you may see. Needs naas to read usage from Prometheus.`,
		Example: `  naas recommend shop-dev
  naas recommend --window 24h -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf(cmd, "%s takes at most one argument, the NAMESPACE; got %q", cmd.CommandPath(), args)
			}
			return nil
		},
		ValidArgsFunction: firstArg(completeNamespaces),
	}
	cmd.Flags().StringVar(&window, "window", "7d", "how much usage to take the p95 of, up to now: 24h, 7d, ... (at most 31 days)")
	cmd.Flags().StringVar(&currency, "currency", "", "ISO 4217 currency of the savings (default: the cost policy's)")
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, args []string) error {
		names := args
		all := len(args) == 0
		if all {
			items, err := s.client.ListNamespaces(s.ctx(), "")
			if err != nil {
				return err
			}
			for _, n := range items {
				names = append(names, n.Name)
			}
		}
		lists := []apiclient.RecommendationList{}
		for _, name := range names {
			rec, err := s.client.Recommendations(s.ctx(), name, window, currency)
			if all && apiclient.IsStatus(err, http.StatusForbidden) {
				continue // A namespace seen as a collaborator: its costs are its tenant's.
			}
			if err != nil {
				return err
			}
			lists = append(lists, *rec)
		}
		var v any = lists
		if !all {
			v = lists[0]
		}
		return s.render(v, func(w io.Writer) error {
			if len(lists) == 0 {
				_, err := fmt.Fprintln(w, "No namespaces whose costs you may see")
				return err
			}
			for i := range lists {
				if i > 0 {
					fmt.Fprintln(w)
				}
				if err := writeRecommendations(w, &lists[i]); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// writeRecommendations writes one namespace's recommendations: a table, the totals and tier, then the lines
// that explain them.
func writeRecommendations(w io.Writer, l *apiclient.RecommendationList) error {
	c := l.Currency
	tier := l.Tier
	if l.RecommendedTier != "" {
		tier += " (recommended: " + l.RecommendedTier + ")"
	}
	fmt.Fprintf(w, "%s: tier %s; p95 usage %s to %s; prices %s (PriceBook %s)\n", l.Namespace, tier,
		l.Window.Start.Format("2006-01-02 15:04"), l.Window.End.Format("2006-01-02 15:04 MST"), c, l.PriceBook)
	if len(l.Items) == 0 {
		_, err := fmt.Fprintln(w, "No workloads with usage to size")
		return err
	}
	t := newTable(w)
	row(t, "WORKLOAD", "CONTAINER", "RESOURCE", "REQUEST", "P95", "RECOMMENDED", "SAVING/MONTH")
	for _, it := range l.Items {
		row(t, it.Workload, it.Container, it.Resource, it.Request, it.P95, it.Recommended, it.MonthlySaving)
	}
	row(t, "TOTAL", "", "cpu", l.Requests.CPU, "", l.Recommended.CPU, "")
	row(t, "", "", "memory", l.Requests.Memory, "", l.Recommended.Memory, l.MonthlySaving)
	if err := t.Flush(); err != nil {
		return err
	}
	for _, it := range l.Items {
		fmt.Fprintf(w, "  %s %s: %s\n", it.Workload, it.Container, it.Explanation)
	}
	return nil
}
