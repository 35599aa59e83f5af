package clientcmd

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naas-dev/naas/internal/apiclient"
)

func newCatalogCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "List the catalog of namespace templates",
		Long:  `List the templates namespaces are made from; "naas catalog describe TEMPLATE" shows one with its parameters.`,
		Args:  exactArgs(),
	}
	addOutputFlag(cmd)
	newClientCommand(cmd, func(s *session, _ []string) error {
		items, err := s.client.Templates(s.ctx())
		if err != nil {
			return err
		}
		return s.render(map[string]any{"items": items}, func(w io.Writer) error {
			if len(items) == 0 {
				_, err := fmt.Fprintln(w, "The catalog is empty: the platform team has not published templates yet")
				return err
			}
			t := newTable(w)
			row(t, "TEMPLATE", "NAME", "DEFAULT TIER", "APPROVAL", "DESCRIPTION")
			for _, tpl := range items {
				approval := "no"
				if tpl.RequiresApproval {
					approval = "required"
				}
				row(t, tpl.ID, tpl.DisplayName, tpl.DefaultTier, approval, truncate(oneLine(tpl.Description), 60))
			}
			return t.Flush()
		})
	})
	describe := &cobra.Command{
		Use:               "describe TEMPLATE",
		Short:             "Show a template: what it gives and its parameters",
		Args:              exactArgs("TEMPLATE"),
		ValidArgsFunction: firstArg(completeTemplates),
	}
	cmd.AddCommand(newClientCommand(describe, func(s *session, args []string) error {
		tpl, err := s.client.Template(s.ctx(), args[0])
		if err != nil {
			return err
		}
		return s.render(tpl, func(w io.Writer) error { return describeTemplate(w, tpl, s.prog) })
	}))
	return cmd
}

func describeTemplate(w io.Writer, tpl *apiclient.Template, prog string) error {
	t := newTable(w)
	row(t, "Template:", tpl.ID)
	row(t, "Name:", tpl.DisplayName)
	row(t, "Description:", oneLine(tpl.Description))
	row(t, "Default tier:", tpl.DefaultTier)
	approval := "not required"
	if tpl.RequiresApproval {
		approval = "required: a tenant admin approves each namespace"
	}
	row(t, "Approval:", approval)
	f := tpl.Features
	var features []string
	features = append(features, "network "+f.NetworkProfile)
	for name, on := range map[string]bool{"https egress": f.AllowHTTPSEgress, "mesh": f.Mesh, "monitoring": f.Monitoring, "gateway": f.Gateway} {
		if on {
			features = append(features, name)
		}
	}
	sort.Strings(features[1:])
	row(t, "Features:", strings.Join(features, ", "))
	if len(tpl.QuotaAdditions) > 0 {
		row(t, "Quota added to the tier's:", joinMap(tpl.QuotaAdditions))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	example := prog + " request NAME --template " + tpl.ID
	if len(tpl.Parameters) > 0 {
		fmt.Fprintln(w, "\nParameters:")
		t = newTable(w)
		row(t, "  NAME", "TYPE", "REQUIRED", "DEFAULT", "ALLOWED", "DESCRIPTION")
		for _, p := range tpl.Parameters {
			required, def := "no", ""
			if p.Required {
				required = "yes"
			}
			if p.Default != nil {
				def = *p.Default
			}
			allowed := strings.Join(p.Enum, "|")
			if allowed == "" && p.Pattern != "" {
				allowed = "/" + p.Pattern + "/"
			}
			row(t, "  "+p.Name, p.Type, required, def, allowed, oneLine(p.Description))
			if p.Required && p.Default == nil {
				example += " --set " + p.Name + "=..."
			}
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if tpl.Documentation != "" {
		fmt.Fprintf(w, "\nDocumentation:\n%s\n", strings.TrimRight(tpl.Documentation, "\n"))
	}
	_, err := fmt.Fprintf(w, "\nRequest one:\n  %s\n", example)
	return err
}

func newTiersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tiers",
		Short: "List the tiers: quota, Pod Security level and monthly budget of each",
		Args:  exactArgs(),
	}
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, _ []string) error {
		items, err := s.client.Tiers(s.ctx())
		if err != nil {
			return err
		}
		return s.render(map[string]any{"items": items}, func(w io.Writer) error {
			t := newTable(w)
			row(t, "TIER", "CPU", "MEMORY", "PODS", "POD SECURITY", "BUDGET/MONTH", "DESCRIPTION")
			for _, tier := range items {
				cpu, _ := tierResource(tier, "cpu")
				mem, _ := tierResource(tier, "memory")
				budget := ""
				if b := tier.MonthlyBudget; b != nil {
					budget = b.Amount + " " + b.Currency
				}
				row(t, tier.Name, quantityOrEmpty(cpu.String()), quantityOrEmpty(mem.String()), tier.Quota["pods"], tier.PodSecurity, budget,
					truncate(oneLine(tier.Description), 50))
			}
			return t.Flush()
		})
	})
}

func quantityOrEmpty(q string) string {
	if q == "0" {
		return ""
	}
	return q
}

func joinMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + m[k]
	}
	return strings.Join(keys, ", ")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
