package clientcmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apiclient"
)

// parseSubject reads a tenant member: user:NAME, group:NAME or serviceaccount:NAMESPACE:NAME.
func parseSubject(s string) (apiclient.Member, error) {
	kind, rest, ok := strings.Cut(s, ":")
	hint := fmt.Errorf("subject %q: want user:NAME, group:NAME or serviceaccount:NAMESPACE:NAME", s)
	if !ok || rest == "" {
		return apiclient.Member{}, hint
	}
	switch strings.ToLower(kind) {
	case "user":
		return apiclient.Member{Kind: string(naasv1alpha1.SubjectUser), Name: rest}, nil
	case "group":
		return apiclient.Member{Kind: string(naasv1alpha1.SubjectGroup), Name: rest}, nil
	case "serviceaccount", "sa":
		ns, name, ok := strings.Cut(rest, ":")
		if !ok || ns == "" || name == "" {
			return apiclient.Member{}, hint
		}
		return apiclient.Member{Kind: string(naasv1alpha1.SubjectServiceAccount), Namespace: ns, Name: name}, nil
	default:
		return apiclient.Member{}, hint
	}
}

// subjectOf is the inverse of parseSubject.
func subjectOf(m apiclient.Member) string {
	switch m.Kind {
	case string(naasv1alpha1.SubjectServiceAccount):
		return "serviceaccount:" + m.Namespace + ":" + m.Name
	default:
		return strings.ToLower(m.Kind) + ":" + m.Name
	}
}

var roles = []string{string(naasv1alpha1.RoleAdmin), string(naasv1alpha1.RoleDeveloper), string(naasv1alpha1.RoleViewer)}

func newTenantCommand() *cobra.Command {
	cmd := newGroupCommand(&cobra.Command{
		Use:   "tenant",
		Short: "Manage tenants and their members",
		Long: `Tenants own namespaces. Platform admins create and delete them; tenant admins (and platform admins)
manage their members. A member is a SUBJECT: user:NAME, group:NAME or serviceaccount:NAMESPACE:NAME.`,
	})
	addOutputFlag(cmd)
	cmd.AddCommand(newTenantCreateCommand(), newTenantListCommand(), newTenantDescribeCommand(), newTenantDeleteCommand(),
		newTenantAddMemberCommand(), newTenantRemoveMemberCommand())
	return cmd
}

func newTenantCreateCommand() *cobra.Command {
	var (
		in                        apiclient.TenantInput
		admins, developers, views []string
		maxNamespaces             int32
		prefix                    string
	)
	cmd := &cobra.Command{
		Use:   "create NAME --admin SUBJECT [--developer SUBJECT]... [--viewer SUBJECT]... [--max-namespaces N] [--tiers a,b] [--templates a,b]",
		Short: "Create a tenant (platform admins)",
		Example: `  naas tenant create payments --admin user:alice --developer group:team-payments --viewer user:carol \
      --max-namespaces 10 --tiers dev,staging --templates microservice,standard`,
		Args: exactArgs("tenant NAME"),
	}
	f := cmd.Flags()
	f.StringArrayVar(&admins, "admin", nil, "an admin of the tenant, user:NAME or group:NAME (repeatable)")
	f.StringArrayVar(&developers, "developer", nil, "a developer of the tenant (repeatable)")
	f.StringArrayVar(&views, "viewer", nil, "a viewer of the tenant (repeatable)")
	f.Int32Var(&maxNamespaces, "max-namespaces", 0, "most namespaces the tenant may hold (default: no cap)")
	f.StringSlice("tiers", nil, "tiers the tenant may use, comma-separated or repeated (default: all)")
	f.StringSlice("templates", nil, "templates the tenant may use, comma-separated or repeated (default: all)")
	f.StringVar(&in.DisplayName, "display-name", "", "human name of the tenant")
	f.StringVar(&in.CostCenter, "cost-center", "", "cost center its namespaces are charged to")
	f.StringVar(&prefix, "name-prefix", "", "every namespace name of the tenant must start with it")
	registerCompletion(cmd, "tiers", completeTiers)
	registerCompletion(cmd, "templates", completeTemplates)
	return newClientCommand(cmd, func(s *session, args []string) error {
		in.Name = args[0]
		for _, g := range []struct {
			role     naasv1alpha1.Role
			subjects []string
		}{{naasv1alpha1.RoleAdmin, admins}, {naasv1alpha1.RoleDeveloper, developers}, {naasv1alpha1.RoleViewer, views}} {
			for _, subj := range g.subjects {
				m, err := parseSubject(subj)
				if err != nil {
					return usageErrorf(cmd, "--%s: %v", g.role, err)
				}
				m.Role = string(g.role)
				in.Members = append(in.Members, m)
			}
		}
		if len(admins) == 0 {
			return usageErrorf(cmd, "--admin is required: a tenant needs an admin to manage its members")
		}
		if f.Changed("max-namespaces") {
			if maxNamespaces < 0 {
				return usageErrorf(cmd, "--max-namespaces must be 0 or more")
			}
			in.MaxNamespaces = &maxNamespaces
		}
		in.AllowedTiers = stringSliceFlag(f, "tiers")
		in.AllowedTemplates = stringSliceFlag(f, "templates")
		if prefix != "" {
			in.Naming = &apiclient.NamingRules{Prefix: prefix}
		}
		t, err := s.client.CreateTenant(s.ctx(), in)
		if err != nil {
			return err
		}
		s.printf("tenant %s created with %d members\n", t.Name, len(t.Members))
		if s.output == "table" {
			return nil
		}
		return s.render(t, nil)
	})
}

func newTenantListCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the tenants you belong to (all of them, for platform admins)",
		Args:    exactArgs(),
	}
	return newClientCommand(cmd, func(s *session, _ []string) error {
		items, err := s.client.Tenants(s.ctx())
		if err != nil {
			return err
		}
		return s.render(map[string]any{"items": items}, func(w io.Writer) error {
			if len(items) == 0 {
				_, err := fmt.Fprintln(w, "You belong to no tenant; a tenant admin adds you with: naas tenant add-member TENANT --role developer user:YOU")
				return err
			}
			t := newTable(w)
			row(t, "TENANT", "YOUR ROLE", "NAMESPACES", "MAX", "TIERS", "TEMPLATES", "CORDONED")
			for _, tn := range items {
				maxNS := ""
				if tn.MaxNamespaces != nil {
					maxNS = strconv.Itoa(int(*tn.MaxNamespaces))
				}
				cordoned := "no"
				if tn.Cordoned {
					cordoned = "yes"
				}
				row(t, tn.Name, tn.YourRole, strconv.Itoa(int(tn.NamespaceCount)), maxNS, orAll(tn.AllowedTiers),
					orAll(tn.AllowedTemplates), cordoned)
			}
			return t.Flush()
		})
	})
}

func orAll(s []string) string {
	if len(s) == 0 {
		return "all"
	}
	return strings.Join(s, ",")
}

func newTenantDescribeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:               "describe NAME",
		Short:             "Show a tenant: its members, limits and rules",
		Args:              exactArgs("tenant NAME"),
		ValidArgsFunction: firstArg(completeTenants),
	}
	return newClientCommand(cmd, func(s *session, args []string) error {
		tn, err := s.client.Tenant(s.ctx(), args[0])
		if err != nil {
			return err
		}
		return s.render(tn, func(w io.Writer) error {
			t := newTable(w)
			row(t, "Tenant:", tn.Name)
			row(t, "Display name:", tn.DisplayName)
			row(t, "Your role:", tn.YourRole)
			maxNS := "no cap"
			if tn.MaxNamespaces != nil {
				maxNS = strconv.Itoa(int(*tn.MaxNamespaces))
			}
			row(t, "Namespaces:", fmt.Sprintf("%d (max: %s)", tn.NamespaceCount, maxNS))
			row(t, "Allowed tiers:", orAll(tn.AllowedTiers))
			row(t, "Allowed templates:", orAll(tn.AllowedTemplates))
			if n := tn.Naming; n != nil {
				row(t, "Name prefix:", n.Prefix)
				if len(n.ForbiddenPatterns) > 0 {
					row(t, "Forbidden names:", strings.Join(n.ForbiddenPatterns, ", "))
				}
			}
			row(t, "Cost center:", tn.CostCenter)
			if tn.Cordoned {
				row(t, "Cordoned:", "yes: no new namespaces")
			}
			if len(tn.Quota) > 0 {
				row(t, "Tenant quota:", joinMap(tn.Quota))
			}
			if len(tn.AllowedRegistries) > 0 {
				row(t, "Allowed registries:", strings.Join(tn.AllowedRegistries, ", "))
			}
			if err := t.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(w, "\nMembers:")
			t = newTable(w)
			row(t, "  SUBJECT", "ROLE")
			for _, m := range tn.Members {
				row(t, "  "+subjectOf(m), m.Role)
			}
			return t.Flush()
		})
	})
}

func newTenantDeleteCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               "delete NAME",
		Short:             "Delete a tenant that holds no namespaces (platform admins)",
		Args:              exactArgs("tenant NAME"),
		ValidArgsFunction: firstArg(completeTenants),
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return newClientCommand(cmd, func(s *session, args []string) error {
		if !yes {
			if err := s.confirm("delete tenant "+args[0], "--yes"); err != nil {
				return err
			}
		}
		if err := s.client.DeleteTenant(s.ctx(), args[0]); err != nil {
			return err
		}
		s.printf("tenant %s deleted\n", args[0])
		if s.output == "table" {
			return nil
		}
		return s.render(map[string]string{"deleted": args[0]}, nil)
	})
}

func newTenantAddMemberCommand() *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:   "add-member NAME --role admin|developer|viewer SUBJECT",
		Short: "Add a member to a tenant, or change a member's role (tenant admins)",
		Example: `  naas tenant add-member payments --role developer user:bob
  naas tenant add-member payments --role viewer group:auditors`,
		Args: exactArgs("tenant NAME", "SUBJECT"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return completeTenants(cmd, args, toComplete)
			}
			return []string{"user:", "group:", "serviceaccount:"}, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "admin, developer or viewer")
	_ = cmd.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(roles, cobra.ShellCompDirectiveNoFileComp))
	return newClientCommand(cmd, func(s *session, args []string) error {
		if !containsString(roles, role) {
			return usageErrorf(cmd, "--role must be admin, developer or viewer; got %q", role)
		}
		m, err := parseSubject(args[1])
		if err != nil {
			return usageErrorf(cmd, "%v", err)
		}
		m.Role = role
		tn, added, err := s.client.PutMember(s.ctx(), args[0], m)
		if err != nil {
			return err
		}
		if added {
			s.printf("%s added to tenant %s as %s\n", args[1], tn.Name, role)
		} else {
			s.printf("%s is now %s of tenant %s\n", args[1], role, tn.Name)
		}
		if s.output == "table" {
			return nil
		}
		return s.render(tn, nil)
	})
}

func newTenantRemoveMemberCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:               "remove-member NAME SUBJECT",
		Short:             "Remove a member from a tenant (tenant admins)",
		Example:           `  naas tenant remove-member payments user:bob`,
		Args:              exactArgs("tenant NAME", "SUBJECT"),
		ValidArgsFunction: completeMembers,
	}
	return newClientCommand(cmd, func(s *session, args []string) error {
		m, err := parseSubject(args[1])
		if err != nil {
			return usageErrorf(cmd, "%v", err)
		}
		tn, err := s.client.RemoveMember(s.ctx(), args[0], m)
		if err != nil {
			return err
		}
		s.printf("%s removed from tenant %s\n", args[1], tn.Name)
		if s.output == "table" {
			return nil
		}
		return s.render(tn, nil)
	})
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
