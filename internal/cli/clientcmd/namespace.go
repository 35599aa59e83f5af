package clientcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apiclient"
)

// pollInterval is how often --wait reads a namespace's status: the API asks clients to poll at about a second.
const pollInterval = time.Second

// defaultWaitTimeout bounds --wait.
const defaultWaitTimeout = 10 * time.Minute

func newRequestCommand() *cobra.Command {
	var (
		req     apiclient.NamespaceRequest
		sets    []string
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "request NAME --template TEMPLATE [--tenant TENANT] [--tier TIER] [--cluster CLUSTER] [--set key=value]... [--wait]",
		Short: "Request a namespace from the catalog",
		Long: `Request a namespace NAME of tenant --tenant, made from the catalog template --template in tier --tier
(the template's default tier when omitted), with the template's parameters given by --set.

--cluster places the namespace on that member cluster, which must be one the tenant may use (naas clusters
lists them); without it naas chooses. A namespace never moves once placed, and a named cluster that cannot
take it (cordoned, full, unreachable) leaves it unplaced with the reason rather than placing it elsewhere.

--tenant may be left out when you are an admin or developer of exactly one tenant. naas provisions the
namespace in the background; --wait follows it step by step until it is ready (exit 0) or failed (exit 3).
Requesting the same namespace again is safe: it shows how far it got.`,
		Example: `  naas request payments-api --tenant payments --template microservice --set service_name=api --wait
  naas catalog describe microservice      # the template's parameters`,
		Args:              exactArgs("namespace NAME"),
		ValidArgsFunction: noMoreArgs,
	}
	f := cmd.Flags()
	f.StringVar(&req.Tenant, "tenant", "", "tenant that will own the namespace (default: your only tenant)")
	f.StringVar(&req.Template, "template", "", "catalog template (naas catalog lists them)")
	f.StringVar(&req.Tier, "tier", "", "tier of quota and policy (naas tiers lists them; default: the template's)")
	f.StringVar(&req.Cluster, "cluster", "", "member cluster to place the namespace on (default: naas chooses)")
	f.StringArrayVar(&sets, "set", nil, "a template parameter, key=value (repeatable)")
	f.BoolVar(&wait, "wait", false, "wait until the namespace is ready or failed, showing each step")
	f.DurationVar(&timeout, "timeout", defaultWaitTimeout, "how long --wait waits")
	addOutputFlag(cmd)
	registerCompletion(cmd, "tenant", completeTenants)
	registerCompletion(cmd, "template", completeTemplates)
	registerCompletion(cmd, "tier", completeTiers)
	return newClientCommand(cmd, func(s *session, args []string) error {
		req.Name = args[0]
		if req.Template == "" {
			return usageErrorf(cmd, "--template is required: %s catalog lists the templates", s.prog)
		}
		params, err := parseSets(sets)
		if err != nil {
			return usageErrorf(cmd, "%v", err)
		}
		req.Parameters = params
		if req.Tenant == "" {
			if req.Tenant, err = s.defaultTenant(); err != nil {
				return err
			}
		}
		ns, created, err := s.client.RequestNamespace(s.ctx(), req)
		if err != nil {
			return err
		}
		if created {
			tier := ns.Tier
			if tier == "" {
				tier = "the template's default"
			}
			where := ""
			if req.Cluster != "" {
				where = ", cluster " + req.Cluster
			}
			s.printf("namespace %s requested in tenant %s (template %s, tier %s%s)\n", ns.Name, ns.Tenant, ns.Template, tier, where)
		} else {
			s.printf("namespace %s was requested before with the same settings; it is %s\n", ns.Name, ns.Phase)
		}
		if wait {
			if ns, err = s.waitProvisioned(ns.Name, timeout); err != nil {
				return err
			}
		} else {
			s.printf("follow it with: %s describe %s (or request again with --wait)\n", s.prog, ns.Name)
		}
		if s.output == "table" {
			return nil
		}
		return s.render(ns, nil)
	})
}

// parseSets turns key=value pairs into parameters.
func parseSets(sets []string) (map[string]string, error) {
	if len(sets) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want key=value, e.g. --set service_name=api", kv)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("--set: parameter %q is given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

// defaultTenant is the caller's only tenant where they may request namespaces.
func (s *session) defaultTenant() (string, error) {
	me, err := s.client.Me(s.ctx())
	if err != nil {
		return "", err
	}
	var can, all []string
	for _, m := range me.Tenants {
		all = append(all, m.Tenant+" ("+m.Role+")")
		if m.Role == string(naasv1alpha1.RoleAdmin) || m.Role == string(naasv1alpha1.RoleDeveloper) {
			can = append(can, m.Tenant)
		}
	}
	switch len(can) {
	case 1:
		return can[0], nil
	case 0:
		if len(all) == 0 {
			return "", usageErrorf(s.cmd, "--tenant is required: you belong to no tenant (ask a tenant admin to add you)")
		}
		return "", usageErrorf(s.cmd, "--tenant is required: you are not an admin or developer of any tenant; yours: %s", strings.Join(all, ", "))
	default:
		return "", usageErrorf(s.cmd, "--tenant is required: you may request namespaces in %s", strings.Join(can, ", "))
	}
}

// errStop ends a wait successfully.
var errStop = errors.New("stop")

// waitFor polls the namespace until check returns errStop (done) or another error, or the timeout passes.
// Ctrl-C stops it.
func (s *session) waitFor(name string, timeout time.Duration, check func(ns *apiclient.Namespace, err error) error) error {
	ctx, cancel := signal.NotifyContext(s.ctx(), os.Interrupt)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	defer cancelTimeout()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		ns, err := s.client.Namespace(ctx, name)
		if ctx.Err() == nil {
			switch err := check(ns, err); {
			case errors.Is(err, errStop):
				return nil
			case err != nil:
				return err
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return &exitError{code: ExitTimeout, err: fmt.Errorf("namespace %s is not done after %s", name, timeout),
					fix: fmt.Sprintf("%s describe %s shows where it is; wait longer with --timeout", s.prog, name)}
			}
			return &exitError{code: ExitError, err: fmt.Errorf("stopped waiting for %s; naas goes on with it", name),
				fix: fmt.Sprintf("%s describe %s shows where it is", s.prog, name)}
		case <-tick.C:
		}
	}
}

// waitProvisioned follows the namespace until it is Ready or Failed, showing each step.
func (s *session) waitProvisioned(name string, timeout time.Duration) (*apiclient.Namespace, error) {
	w := s.out
	if s.output != "table" {
		w = s.errOut // Keep standard output for the document.
	}
	p := &waitProgress{w: w, tty: isTerminal(w), start: time.Now()}
	var last *apiclient.Namespace
	hinted := false
	err := s.waitFor(name, timeout, func(ns *apiclient.Namespace, err error) error {
		if err != nil {
			return err
		}
		last = ns
		p.update(ns, time.Now())
		switch ns.Phase {
		case naasv1alpha1.PhaseReady:
			return errStop
		case naasv1alpha1.PhaseFailed:
			return s.failed(ns)
		case naasv1alpha1.PhaseTerminating:
			return &exitError{code: ExitFailed, err: fmt.Errorf("namespace %s is being deleted", name)}
		}
		if ns.Approval != nil && ns.Approval.State == "Pending" && !hinted {
			hinted = true
			fmt.Fprintf(w, "%s needs an approval: a tenant admin runs %s approve %s\n", name, s.prog, name)
		}
		return nil
	})
	if err != nil {
		return last, err
	}
	fmt.Fprintf(w, "namespace %s is ready (%s); use it: %s kubeconfig %s\n", name, time.Since(p.start).Round(time.Second), s.prog, name)
	return last, nil
}

// failed is the error of a failed namespace: the failing step and what to do.
func (s *session) failed(ns *apiclient.Namespace) error {
	reason, msg := "", ""
	for _, c := range ns.Conditions {
		if c.Type == naasv1alpha1.ConditionReady {
			reason, msg = c.Reason, c.Message
		}
	}
	fix := fmt.Sprintf("%s describe %s shows every step; fix the cause, then delete it and request it again", s.prog, ns.Name)
	if reason == naasv1alpha1.ReasonRejected {
		fix = "a rejection is final: request a new namespace, addressing the reason"
	}
	return &exitError{code: ExitFailed, err: fmt.Errorf("namespace %s failed: %s: %s", ns.Name, reason, msg), fix: fix}
}

func newListCommand() *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the namespaces you can see",
		Args:    exactArgs(),
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant's namespaces")
	registerCompletion(cmd, "tenant", completeTenants)
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, _ []string) error {
		items, err := s.client.ListNamespaces(s.ctx(), tenant)
		if err != nil {
			return err
		}
		return s.render(apiclient.NamespaceList{Items: items}, func(w io.Writer) error {
			if len(items) == 0 {
				fmt.Fprintf(w, "No namespaces; request one with: %s request NAME --template TEMPLATE\n", s.prog)
				return nil
			}
			t := newTable(w)
			row(t, "NAME", "TENANT", "TEMPLATE", "TIER", "PHASE", "REQUESTER", "AGE")
			now := time.Now()
			for _, n := range items {
				row(t, n.Name, n.Tenant, n.Template, n.Tier, n.Phase, requesterOf(&n), age(n.CreatedAt, now))
			}
			return t.Flush()
		})
	})
}

func requesterOf(n *apiclient.Namespace) string {
	if n.Requester == nil {
		return ""
	}
	return n.Requester.Username
}

func newDescribeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:               "describe NAME",
		Short:             "Show a namespace: its settings and each provisioning step",
		Args:              exactArgs("namespace NAME"),
		ValidArgsFunction: firstArg(completeNamespaces),
	}
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, args []string) error {
		ns, err := s.client.Namespace(s.ctx(), args[0])
		if err != nil {
			return err
		}
		return s.render(ns, func(w io.Writer) error { return describeNamespace(w, ns, time.Now()) })
	})
}

// clusterOf says where a namespace is placed, or that it is not yet.
func clusterOf(ns *apiclient.Namespace) string {
	switch {
	case ns.Cluster != "":
		return ns.Cluster
	case ns.RequestedCluster != "":
		return ns.RequestedCluster + " (requested; not placed yet)"
	default:
		return "(not placed yet)"
	}
}

func describeNamespace(w io.Writer, ns *apiclient.Namespace, now time.Time) error {
	t := newTable(w)
	row(t, "Name:", ns.Name)
	row(t, "Tenant:", ns.Tenant)
	row(t, "Template:", ns.Template)
	tier := ns.Tier
	if ns.RequestedTier == "" {
		tier += " (the template's default)"
	}
	row(t, "Tier:", tier)
	row(t, "Cluster:", clusterOf(ns))
	row(t, "Phase:", ns.Phase)
	row(t, "Requester:", requesterOf(ns))
	row(t, "Created:", fmt.Sprintf("%s (%s ago)", ns.CreatedAt.Local().Format(time.RFC3339), age(ns.CreatedAt, now)))
	protection := "off"
	if ns.DeletionProtection {
		protection = "on"
	}
	row(t, "Deletion protection:", protection)
	if a := ns.Approval; a != nil {
		line := a.State
		if a.By != "" {
			line += " by " + a.By
		}
		if a.At != nil {
			line += " at " + a.At.Local().Format(time.RFC3339)
		}
		if a.Reason != "" {
			line += ": " + a.Reason
		}
		row(t, "Approval:", line)
	}
	if len(ns.Parameters) > 0 {
		keys := make([]string, 0, len(ns.Parameters))
		for k := range ns.Parameters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			keys[i] = k + "=" + ns.Parameters[k]
		}
		row(t, "Parameters:", strings.Join(keys, ", "))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	steps := stepsOf(ns)
	if len(steps) == 0 {
		_, err := fmt.Fprintln(w, "\nProvisioning has not started yet.")
		return err
	}
	fmt.Fprintln(w, "\nSteps:")
	t = newTable(w)
	for _, st := range steps {
		row(t, "  "+stepMarks[st.State]+" "+st.Label, string(st.State), oneLine(st.Message))
	}
	return t.Flush()
}

func newQuotaCommand() *cobra.Command {
	group := newGroupCommand(&cobra.Command{
		Use:   "quota",
		Short: "Change a namespace's quota",
	})
	var tier, cpu, memory string
	set := &cobra.Command{
		Use:   "set NAME --tier TIER",
		Short: "Change a namespace's quota by moving it to another tier",
		Long: `naas sets quotas per tier: a namespace's ResourceQuota, LimitRange and budget follow its tier. Move a
namespace to another tier the tenant allows with --tier; naas updates the quota in place.

--cpu and --memory say what you need; naas then names the tiers that give it, for you to pick with --tier.`,
		Example: `  naas quota set payments-api --tier staging
  naas tiers                                  # what each tier gives`,
		Args:              exactArgs("namespace NAME"),
		ValidArgsFunction: firstArg(completeNamespaces),
	}
	f := set.Flags()
	f.StringVar(&tier, "tier", "", "the tier to move the namespace to")
	f.StringVar(&cpu, "cpu", "", "CPU you need, e.g. 4 or 500m (naas names the tiers that give it)")
	f.StringVar(&memory, "memory", "", "memory you need, e.g. 8Gi (naas names the tiers that give it)")
	registerCompletion(set, "tier", completeTiers)
	addOutputFlag(set)
	group.AddCommand(newClientCommand(set, func(s *session, args []string) error {
		switch {
		case tier != "" && (cpu != "" || memory != ""):
			return usageErrorf(set, "give either --tier, or --cpu/--memory to find a tier; not both")
		case tier == "" && cpu == "" && memory == "":
			return usageErrorf(set, "--tier is required: naas sets quotas per tier (%s tiers lists them)", s.prog)
		case tier == "":
			return s.suggestTier(set, cpu, memory)
		}
		ns, changed, err := s.client.SetTier(s.ctx(), args[0], tier)
		if err != nil {
			return err
		}
		if changed {
			s.printf("namespace %s moves to tier %s; naas is updating its quota\n", ns.Name, tier)
		} else {
			s.printf("namespace %s already has tier %s; nothing changed\n", ns.Name, tier)
		}
		if s.output == "table" {
			return nil
		}
		return s.render(ns, nil)
	}))
	return group
}

// tierResource reads a tier's CPU or memory: the limit if the tier sets one, the request otherwise.
func tierResource(t apiclient.Tier, name string) (resource.Quantity, bool) {
	for _, key := range []string{"limits." + name, "requests." + name, name} {
		if v, ok := t.Quota[key]; ok {
			if q, err := resource.ParseQuantity(v); err == nil {
				return q, true
			}
		}
	}
	return resource.Quantity{}, false
}

// suggestTier explains that quotas come with tiers and names the tiers that give cpu and memory.
func (s *session) suggestTier(cmd *cobra.Command, cpu, memory string) error {
	want := map[string]resource.Quantity{}
	for name, v := range map[string]string{"cpu": cpu, "memory": memory} {
		if v == "" {
			continue
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return usageErrorf(cmd, "--%s %q is not a quantity (e.g. 4, 500m, 8Gi)", name, v)
		}
		want[name] = q
	}
	tiers, err := s.client.Tiers(s.ctx())
	if err != nil {
		return err
	}
	sort.SliceStable(tiers, func(i, j int) bool { return tierSmaller(tiers[i], tiers[j]) })
	allowed := s.allowedTiers(cmd.Flags().Arg(0))
	var all, fits []string
	for _, t := range tiers {
		c, _ := tierResource(t, "cpu")
		m, _ := tierResource(t, "memory")
		all = append(all, fmt.Sprintf("%s (cpu %s, memory %s)", t.Name, c.String(), m.String()))
		ok := true
		for name, q := range want {
			have, set := tierResource(t, name)
			ok = ok && set && have.Cmp(q) >= 0
		}
		if ok && (len(allowed) == 0 || slices.Contains(allowed, t.Name)) {
			fits = append(fits, t.Name)
		}
	}
	msg := fmt.Sprintf("naas sets quotas per tier, not per namespace: pick a tier with --tier; the tiers: %s", strings.Join(all, ", "))
	fix := "no tier the tenant may use gives that much: ask the platform team"
	if len(fits) > 0 {
		fix = fmt.Sprintf("%s quota set %s --tier %s", s.prog, cmd.Flags().Arg(0), fits[0])
		if len(fits) > 1 {
			fix += fmt.Sprintf(" (tiers that give it: %s)", strings.Join(fits, ", "))
		}
	}
	return &exitError{code: ExitUsage, err: errors.New(msg), fix: fix}
}

// tierSmaller orders tiers by CPU, then memory.
func tierSmaller(a, b apiclient.Tier) bool {
	ac, _ := tierResource(a, "cpu")
	bc, _ := tierResource(b, "cpu")
	if c := ac.Cmp(bc); c != 0 {
		return c < 0
	}
	am, _ := tierResource(a, "memory")
	bm, _ := tierResource(b, "memory")
	return am.Cmp(bm) < 0
}

// allowedTiers are the tiers the namespace's tenant allows; nil when all are, or when they cannot be read.
func (s *session) allowedTiers(namespace string) []string {
	ns, err := s.client.Namespace(s.ctx(), namespace)
	if err != nil {
		return nil
	}
	tn, err := s.client.Tenant(s.ctx(), ns.Tenant)
	if err != nil {
		return nil
	}
	return tn.AllowedTiers
}

func newDeleteCommand() *cobra.Command {
	var yes, wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a namespace and everything in it",
		Long: `Delete the namespace NAME and everything in it. On a terminal naas asks for confirmation; otherwise
(scripts, CI) --yes is required. --wait waits until the namespace is gone.`,
		Example:           `  naas delete payments-api --yes --wait`,
		Args:              exactArgs("namespace NAME"),
		ValidArgsFunction: firstArg(completeNamespaces),
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the namespace is gone")
	cmd.Flags().DurationVar(&timeout, "timeout", defaultWaitTimeout, "how long --wait waits")
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, args []string) error {
		name := args[0]
		if !yes {
			if err := s.confirm(fmt.Sprintf("delete namespace %s and everything in it", name), "--yes"); err != nil {
				return err
			}
		}
		ns, err := s.client.DeleteNamespace(s.ctx(), name)
		if err != nil {
			return err
		}
		s.printf("namespace %s is being deleted\n", name)
		if wait {
			err := s.waitFor(name, timeout, func(_ *apiclient.Namespace, err error) error {
				if apiclient.IsStatus(err, http.StatusNotFound) {
					return errStop
				}
				return err
			})
			if err != nil {
				return err
			}
			s.printf("namespace %s is gone\n", name)
		}
		if s.output == "table" {
			return nil
		}
		return s.render(ns, nil)
	})
}

func newApprovalsCommand() *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:   "approvals",
		Short: "List the namespaces waiting for your approval",
		Args:  exactArgs(),
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant's")
	registerCompletion(cmd, "tenant", completeTenants)
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, _ []string) error {
		items, err := s.client.Approvals(s.ctx(), tenant)
		if err != nil {
			return err
		}
		return s.render(apiclient.NamespaceList{Items: items}, func(w io.Writer) error {
			if len(items) == 0 {
				_, err := fmt.Fprintln(w, "Nothing is waiting for your approval")
				return err
			}
			t := newTable(w)
			row(t, "NAME", "TENANT", "TEMPLATE", "TIER", "REQUESTER", "AGE")
			now := time.Now()
			for _, n := range items {
				row(t, n.Name, n.Tenant, n.Template, n.Tier, requesterOf(&n), age(n.CreatedAt, now))
			}
			return t.Flush()
		})
	})
}

func newApproveCommand() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:               "approve NAME [--reason TEXT]",
		Short:             "Approve a namespace waiting for approval (tenant admins)",
		Example:           `  naas approve payments-db --reason "capacity planned in OPS-1234"`,
		Args:              exactArgs("namespace NAME"),
		ValidArgsFunction: firstArg(completeApprovals),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, args []string) error {
		ns, err := s.client.Approve(s.ctx(), args[0], reason)
		if err != nil {
			return err
		}
		s.printf("namespace %s approved; naas provisions it now\n", ns.Name)
		if s.output == "table" {
			return nil
		}
		return s.render(ns, nil)
	})
}

func newRejectCommand() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:               "reject NAME --reason TEXT",
		Short:             "Reject a namespace waiting for approval (tenant admins)",
		Example:           `  naas reject payments-db --reason "use the shared database instead"`,
		Args:              exactArgs("namespace NAME"),
		ValidArgsFunction: firstArg(completeApprovals),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required): the requester reads it")
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, args []string) error {
		if strings.TrimSpace(reason) == "" {
			return usageErrorf(cmd, "--reason is required to reject: tell the requester why")
		}
		ns, err := s.client.Reject(s.ctx(), args[0], reason)
		if err != nil {
			return err
		}
		s.printf("namespace %s rejected\n", ns.Name)
		if s.output == "table" {
			return nil
		}
		return s.render(ns, nil)
	})
}
