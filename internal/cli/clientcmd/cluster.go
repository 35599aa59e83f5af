package clientcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apiclient"
	"github.com/naas-dev/naas/internal/clusterconfig"
)

func init() { clientCommands = append(clientCommands, newClusterCommand) }

func newClusterCommand() *cobra.Command {
	cmd := newGroupCommand(&cobra.Command{
		Use:     "cluster",
		Aliases: []string{"clusters"},
		Short:   "Manage the clusters namespaces are placed on",
		Long: `naas places namespaces on registered clusters: the management cluster ("local") and the member
clusters platform admins register. Platform admins register, cordon and remove clusters; tenant members list
the clusters their tenant may use (naas request NAME --cluster CLUSTER asks for one).`,
	})
	addOutputFlag(cmd)
	cmd.AddCommand(newClusterRegisterCommand(), newClusterListCommand(), newClusterDescribeCommand(),
		newClusterCordonCommand(true), newClusterCordonCommand(false), newClusterRemoveCommand())
	return cmd
}

var completeClusters = completeWith(func(ctx context.Context, s *session) ([]string, error) {
	items, err := s.client.Clusters(ctx)
	names := make([]string, 0, len(items))
	for _, c := range items {
		names = append(names, c.Name)
	}
	return names, err
})

// parseLabel reads k=v.
func parseLabel(s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", fmt.Errorf("label %q: want KEY=VALUE, e.g. naas.dev/region=eu-west", s)
	}
	return k, v, nil
}

// parseTaint reads KEY[=VALUE]:EFFECT, as kubectl taint does.
func parseTaint(s string) (apiclient.ClusterTaint, error) {
	kv, effect, ok := strings.Cut(s, ":")
	if !ok || kv == "" {
		return apiclient.ClusterTaint{}, fmt.Errorf("taint %q: want KEY[=VALUE]:EFFECT, e.g. gpu=true:NoSchedule", s)
	}
	k, v, _ := strings.Cut(kv, "=")
	effects := []string{string(naasv1alpha1.ClusterTaintNoSchedule), string(naasv1alpha1.ClusterTaintPreferNoSchedule), string(naasv1alpha1.ClusterTaintNoExecute)}
	if !containsString(effects, effect) {
		return apiclient.ClusterTaint{}, fmt.Errorf("taint %q: the effect must be one of %s", s, strings.Join(effects, ", "))
	}
	return apiclient.ClusterTaint{Key: k, Value: v, Effect: effect}, nil
}

func formatTaint(t apiclient.ClusterTaint) string {
	if t.Value == "" {
		return t.Key + ":" + t.Effect
	}
	return t.Key + "=" + t.Value + ":" + t.Effect
}

func newClusterRegisterCommand() *cobra.Command {
	var (
		in                 apiclient.ClusterInput
		kubeconfig         string
		labelArgs, taintsA []string
	)
	cmd := &cobra.Command{
		Use:   "register NAME --kubeconfig FILE [--label KEY=VALUE]... [--taint KEY[=VALUE]:EFFECT]...",
		Short: "Register a cluster for naas to place namespaces on (platform admins)",
		Long: `Register a member cluster. FILE is a kubeconfig with one context whose credentials are inline (a
token, or a client certificate and key; no exec plugins, no file paths): export one with
  kubectl config view --minify --flatten --context CONTEXT > member.kubeconfig
naas keeps it in a Secret in its namespace, installs its cluster-wide objects on the cluster and reports it
Ready. "-" reads the kubeconfig from standard input.`,
		Example: `  naas cluster register member-1 --kubeconfig member-1.kubeconfig \
      --label naas.dev/region=eu-west --label environment=prod --taint gpu=true:NoSchedule`,
		Args:              exactArgs("cluster NAME"),
		ValidArgsFunction: noMoreArgs,
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file naas reaches the cluster with (- for standard input)")
	f.StringArrayVar(&labelArgs, "label", nil, "a label tenants' placement selects the cluster by, KEY=VALUE (repeatable)")
	f.StringArrayVar(&taintsA, "taint", nil, "a taint that keeps new namespaces off unless tolerated, KEY[=VALUE]:EFFECT (repeatable)")
	f.StringVar(&in.DisplayName, "display-name", "", "human name of the cluster")
	f.BoolVar(&in.Cordoned, "cordoned", false, "register the cluster cordoned: it takes no new namespaces until uncordoned")
	_ = cmd.MarkFlagFilename("kubeconfig")
	return newClientCommand(cmd, func(s *session, args []string) error {
		in.Name = args[0]
		if kubeconfig == "" {
			return usageErrorf(cmd, "--kubeconfig is required: the kubeconfig naas reaches the cluster with")
		}
		var raw []byte
		var err error
		if kubeconfig == "-" {
			raw, err = io.ReadAll(io.LimitReader(s.in, clusterconfig.MaxKubeconfigBytes+1))
		} else {
			raw, err = os.ReadFile(kubeconfig)
		}
		if err != nil {
			return fmt.Errorf("read --kubeconfig: %w", err)
		}
		// Checked here too, so that a wrong file is reported before anything is sent.
		if _, err := clusterconfig.ParseKubeconfig(raw); err != nil {
			return usageErrorf(cmd, "--kubeconfig %s: %v", kubeconfig, err)
		}
		in.Kubeconfig = string(raw)
		for _, l := range labelArgs {
			k, v, err := parseLabel(l)
			if err != nil {
				return usageErrorf(cmd, "--label: %v", err)
			}
			if in.Labels == nil {
				in.Labels = map[string]string{}
			}
			in.Labels[k] = v
		}
		for _, t := range taintsA {
			taint, err := parseTaint(t)
			if err != nil {
				return usageErrorf(cmd, "--taint: %v", err)
			}
			in.Taints = append(in.Taints, taint)
		}
		c, err := s.client.RegisterCluster(s.ctx(), in)
		if err != nil {
			return err
		}
		s.printf("cluster %s registered; naas is installing its objects there: naas cluster describe %s shows when it is Ready\n", c.Name, c.Name)
		if s.output == "table" {
			return nil
		}
		return s.render(c, nil)
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func newClusterListCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the clusters you may use (all of them, for platform admins)",
		Args:    exactArgs(),
	}
	return newClientCommand(cmd, func(s *session, _ []string) error {
		items, err := s.client.Clusters(s.ctx())
		if err != nil {
			return err
		}
		return s.render(map[string]any{"items": items}, func(w io.Writer) error {
			if len(items) == 0 {
				_, err := fmt.Fprintln(w, "No cluster you may use: your tenant's placement selects none, or you belong to no tenant")
				return err
			}
			t := newTable(w)
			row(t, "NAME", "READY", "REACHABLE", "CORDONED", "VERSION", "NAMESPACES", "LABELS")
			for _, c := range items {
				row(t, c.Name, yesNo(c.Ready), yesNo(c.Reachable), yesNo(c.Cordoned), c.KubernetesVersion,
					strconv.Itoa(int(c.NamespaceCount)), joinMap(c.Labels))
			}
			return t.Flush()
		})
	})
}

func newClusterDescribeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:               "describe NAME",
		Short:             "Show a cluster: its status, conditions and capacity",
		Args:              exactArgs("cluster NAME"),
		ValidArgsFunction: firstArg(completeClusters),
	}
	return newClientCommand(cmd, func(s *session, args []string) error {
		c, err := s.client.Cluster(s.ctx(), args[0])
		if err != nil {
			return err
		}
		return s.render(c, func(w io.Writer) error {
			t := newTable(w)
			row(t, "Cluster:", c.Name)
			row(t, "Display name:", c.DisplayName)
			row(t, "Ready:", yesNo(c.Ready))
			row(t, "Reachable:", yesNo(c.Reachable))
			if c.Cordoned {
				row(t, "Cordoned:", "yes: no new namespaces")
			} else {
				row(t, "Cordoned:", "no")
			}
			row(t, "Kubernetes:", c.KubernetesVersion)
			row(t, "Namespaces:", strconv.Itoa(int(c.NamespaceCount)))
			row(t, "Allocatable:", joinMap(c.Allocatable))
			row(t, "Allocated:", joinMap(c.Allocated))
			row(t, "Labels:", joinMap(c.Labels))
			taints := make([]string, 0, len(c.Taints))
			for _, tn := range c.Taints {
				taints = append(taints, formatTaint(tn))
			}
			row(t, "Taints:", strings.Join(taints, ", "))
			heartbeat := ""
			if c.LastHeartbeatTime != nil {
				heartbeat = fmt.Sprintf("%s (%s ago)", c.LastHeartbeatTime.Format(time.RFC3339), age(*c.LastHeartbeatTime, time.Now()))
			}
			row(t, "Last heartbeat:", heartbeat)
			if err := t.Flush(); err != nil {
				return err
			}
			if len(c.Conditions) == 0 {
				return nil
			}
			fmt.Fprintln(w, "\nConditions:")
			t = newTable(w)
			row(t, "  TYPE", "STATUS", "REASON", "MESSAGE")
			for _, cond := range c.Conditions {
				row(t, "  "+cond.Type, cond.Status, cond.Reason, cond.Message)
			}
			return t.Flush()
		})
	})
}

// newClusterCordonCommand is cordon (cordon true) or uncordon.
func newClusterCordonCommand(cordon bool) *cobra.Command {
	use, short, done := "cordon", "Stop placing new namespaces on a cluster; those there stay (platform admins)", "cordoned: it takes no new namespaces"
	if !cordon {
		use, short, done = "uncordon", "Let a cordoned cluster take new namespaces again (platform admins)", "uncordoned: it takes new namespaces"
	}
	cmd := &cobra.Command{
		Use:               use + " NAME",
		Short:             short,
		Args:              exactArgs("cluster NAME"),
		ValidArgsFunction: firstArg(completeClusters),
	}
	return newClientCommand(cmd, func(s *session, args []string) error {
		c, err := s.client.PatchCluster(s.ctx(), args[0], apiclient.ClusterPatch{Cordoned: &cordon})
		if err != nil {
			return err
		}
		s.printf("cluster %s %s\n", c.Name, done)
		if s.output == "table" {
			return nil
		}
		return s.render(c, nil)
	})
}

func newClusterRemoveCommand() *cobra.Command {
	var yes, orphan bool
	cmd := &cobra.Command{
		Use:   "remove NAME [--orphan]",
		Short: "Remove a cluster from naas (platform admins)",
		Long: `Remove a registered cluster. It is refused while naas namespaces are placed there: move or delete
them first, or pass --orphan to leave them in place on the cluster, no longer managed by naas.`,
		Aliases:           []string{"rm"},
		Args:              exactArgs("cluster NAME"),
		ValidArgsFunction: firstArg(completeClusters),
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&orphan, "orphan", false, "leave the cluster's naas namespaces in place, unmanaged, instead of refusing")
	return newClientCommand(cmd, func(s *session, args []string) error {
		if !yes {
			if err := s.confirm("remove cluster "+args[0], "--yes"); err != nil {
				return err
			}
		}
		if _, err := s.client.RemoveCluster(s.ctx(), args[0], orphan); err != nil {
			return err
		}
		s.printf("cluster %s is being removed\n", args[0])
		if s.output == "table" {
			return nil
		}
		return s.render(map[string]string{"removed": args[0]}, nil)
	})
}
