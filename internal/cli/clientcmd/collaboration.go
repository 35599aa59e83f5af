package clientcmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/naas-dev/naas/internal/apiclient"
)

func init() {
	clientCommands = append(clientCommands, newCollaborationCommand)
}

func newCollaborationCommand() *cobra.Command {
	cmd := newGroupCommand(&cobra.Command{
		Use:   "collaboration",
		Short: "Give other tenants access to a namespace, and accept the access they give yours",
		Long: `A collaboration needs both tenants. The granting side: an admin of a namespace's tenant gives another
tenant access to it (grant; --allow-ingress also lets that tenant's namespaces in over the network). The
receiving side: your namespaces may send to it once an admin of your tenant accepts the other tenant's
collaboration, for every namespace of your tenant (--tenant) or for one (--namespace). Namespaces of a template
with the restricted network profile never send to another tenant. Every grant, acceptance and withdrawal is in
both tenants' audit logs.`,
	})
	addOutputFlag(cmd)
	cmd.AddCommand(newCollaborationGrantCommand(), newCollaborationRevokeCommand(), newCollaborationCollaboratorsCommand(),
		newCollaborationListCommand(), newCollaborationAcceptCommand(), newCollaborationWithdrawCommand())
	return cmd
}

// collaborationScope reads --tenant and --namespace: exactly one of them.
func collaborationScope(cmd *cobra.Command) (tenant, namespace string, err error) {
	tenant, _ = cmd.Flags().GetString("tenant")
	namespace, _ = cmd.Flags().GetString("namespace")
	if (tenant == "") == (namespace == "") {
		return "", "", usageErrorf(cmd, "give either --tenant TENANT (every namespace of the tenant) or --namespace NAMESPACE (one namespace)")
	}
	return tenant, namespace, nil
}

func addCollaborationScopeFlags(cmd *cobra.Command) {
	cmd.Flags().String("tenant", "", "your tenant: accept for every one of its namespaces")
	cmd.Flags().String("namespace", "", "one namespace of your tenant: accept for it alone")
}

func newCollaborationListCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list (--tenant TENANT | --namespace NAMESPACE)",
		Aliases: []string{"ls"},
		Short:   "Show the tenants accepted and the offers of access your tenant has",
		Example: `  naas collaboration list --tenant acme
  naas collaboration list --namespace acme-api`,
		Args: exactArgs(),
	}
	addCollaborationScopeFlags(cmd)
	return newClientCommand(cmd, func(s *session, _ []string) error {
		tenant, namespace, err := collaborationScope(cmd)
		if err != nil {
			return err
		}
		a, err := s.client.AcceptedCollaborations(s.ctx(), tenant, namespace)
		if err != nil {
			return err
		}
		return s.render(a, func(w io.Writer) error { return printAccepted(w, a) })
	})
}

func printAccepted(w io.Writer, a *apiclient.AcceptedCollaborations) error {
	scope := "tenant " + a.Tenant + " (every namespace)"
	if a.Namespace != "" {
		scope = "namespace " + a.Namespace
	}
	accepted := strings.Join(a.Accepted, ", ")
	if accepted == "" {
		accepted = "none"
	}
	if _, err := fmt.Fprintf(w, "Accepted for %s: %s\n", scope, accepted); err != nil {
		return err
	}
	if a.Namespace != "" {
		effective := strings.Join(a.Effective, ", ")
		if effective == "" {
			effective = "none"
		}
		if _, err := fmt.Fprintf(w, "May send to the namespaces these tenants let it in: %s\n", effective); err != nil {
			return err
		}
	}
	if len(a.Offers) == 0 {
		_, err := fmt.Fprintln(w, "No other tenant gives tenant "+a.Tenant+" access to a namespace.")
		return err
	}
	t := newTable(w)
	row(t, "NAMESPACE", "TENANT", "ACCESS", "LETS YOU IN")
	for _, o := range a.Offers {
		row(t, o.Namespace, o.Tenant, o.Access, strconv.FormatBool(o.AllowIngress))
	}
	return t.Flush()
}

func newCollaborationAcceptCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accept OTHER-TENANT (--tenant TENANT | --namespace NAMESPACE)",
		Short: "Let your namespaces send to the namespaces another tenant lets your tenant in (tenant admins)",
		Example: `  naas collaboration accept globex --tenant acme
  naas collaboration accept globex --namespace acme-api`,
		Args: exactArgs("OTHER-TENANT"),
	}
	addCollaborationScopeFlags(cmd)
	return newClientCommand(cmd, func(s *session, args []string) error {
		tenant, namespace, err := collaborationScope(cmd)
		if err != nil {
			return err
		}
		a, added, err := s.client.AcceptCollaboration(s.ctx(), tenant, namespace, args[0])
		if err != nil {
			return err
		}
		scope := "every namespace of tenant " + a.Tenant
		if namespace != "" {
			scope = "namespace " + namespace
		}
		if added {
			s.printf("%s now accepts the collaboration of tenant %s\n", scope, args[0])
		} else {
			s.printf("%s accepted the collaboration of tenant %s already\n", scope, args[0])
		}
		if s.output == "table" {
			return nil
		}
		return s.render(a, nil)
	})
}

func newCollaborationWithdrawCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "withdraw OTHER-TENANT (--tenant TENANT | --namespace NAMESPACE)",
		Short: "Withdraw an acceptance of another tenant's collaboration (tenant admins)",
		Example: `  naas collaboration withdraw globex --tenant acme
  naas collaboration withdraw globex --namespace acme-api`,
		Args: exactArgs("OTHER-TENANT"),
	}
	addCollaborationScopeFlags(cmd)
	return newClientCommand(cmd, func(s *session, args []string) error {
		tenant, namespace, err := collaborationScope(cmd)
		if err != nil {
			return err
		}
		a, err := s.client.WithdrawCollaboration(s.ctx(), tenant, namespace, args[0])
		if err != nil {
			return err
		}
		scope := "tenant " + a.Tenant + " (tenant-wide)"
		if namespace != "" {
			scope = "namespace " + namespace
		}
		s.printf("%s no longer accepts the collaboration of tenant %s\n", scope, args[0])
		if s.output == "table" {
			return nil
		}
		return s.render(a, nil)
	})
}

func printCollaborators(w io.Writer, namespace string, items []apiclient.Collaborator) error {
	if len(items) == 0 {
		_, err := fmt.Fprintf(w, "No other tenant has access to namespace %s.\n", namespace)
		return err
	}
	t := newTable(w)
	row(t, "TENANT", "ACCESS", "INGRESS")
	for _, c := range items {
		row(t, c.Tenant, c.Access, strconv.FormatBool(c.AllowIngress))
	}
	return t.Flush()
}

func newCollaborationCollaboratorsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "collaborators NAMESPACE",
		Short:   "Show the other tenants given access to a namespace",
		Example: `  naas collaboration collaborators globex-api`,
		Args:    exactArgs("NAMESPACE"),
	}
	return newClientCommand(cmd, func(s *session, args []string) error {
		items, err := s.client.Collaborators(s.ctx(), args[0])
		if err != nil {
			return err
		}
		return s.render(map[string]any{"items": items}, func(w io.Writer) error { return printCollaborators(w, args[0], items) })
	})
}

func newCollaborationGrantCommand() *cobra.Command {
	var access string
	var ingress bool
	cmd := &cobra.Command{
		Use:     "grant NAMESPACE OTHER-TENANT [--access viewer|developer] [--allow-ingress]",
		Short:   "Give another tenant access to a namespace of your tenant, or change it (tenant admins)",
		Example: `  naas collaboration grant globex-api acme --access viewer --allow-ingress`,
		Args:    exactArgs("NAMESPACE", "OTHER-TENANT"),
	}
	cmd.Flags().StringVar(&access, "access", "viewer", "viewer (every member reads) or developer (admins and developers work in it)")
	cmd.Flags().BoolVar(&ingress, "allow-ingress", false, "also let the other tenant's namespaces in over the network, once that tenant accepts")
	return newClientCommand(cmd, func(s *session, args []string) error {
		items, added, err := s.client.PutCollaborator(s.ctx(), args[0], apiclient.Collaborator{Tenant: args[1], Access: access, AllowIngress: ingress})
		if err != nil {
			return err
		}
		if added {
			s.printf("tenant %s now has %s access to namespace %s\n", args[1], access, args[0])
		} else {
			s.printf("tenant %s has %s access to namespace %s\n", args[1], access, args[0])
		}
		if ingress {
			s.printf("its namespaces can send to %s once an admin of %s accepts (naas collaboration accept <the tenant of %s> --tenant %s)\n",
				args[0], args[1], args[0], args[1])
		}
		if s.output == "table" {
			return nil
		}
		return s.render(map[string]any{"items": items}, nil)
	})
}

func newCollaborationRevokeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "revoke NAMESPACE OTHER-TENANT",
		Short:   "Revoke another tenant's access to a namespace of your tenant (tenant admins)",
		Example: `  naas collaboration revoke globex-api acme`,
		Args:    exactArgs("NAMESPACE", "OTHER-TENANT"),
	}
	return newClientCommand(cmd, func(s *session, args []string) error {
		items, err := s.client.RemoveCollaborator(s.ctx(), args[0], args[1])
		if err != nil {
			return err
		}
		s.printf("tenant %s no longer has access to namespace %s\n", args[1], args[0])
		if s.output == "table" {
			return nil
		}
		return s.render(map[string]any{"items": items}, nil)
	})
}
