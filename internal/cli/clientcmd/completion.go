package clientcmd

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// completionTimeout bounds the API call behind one completion: a shell must not hang on Tab.
const completionTimeout = 3 * time.Second

type completeFunc = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// registerCompletion completes the values of a flag.
func registerCompletion(cmd *cobra.Command, flag string, fn completeFunc) {
	_ = cmd.RegisterFlagCompletionFunc(flag, fn)
}

// noMoreArgs completes nothing, not even file names: the argument is a new name.
func noMoreArgs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completeWith completes with the names list returns. Errors (not signed in, naas unreachable) complete
// nothing.
func completeWith(list func(ctx context.Context, s *session) ([]string, error)) completeFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		s, err := connected(cmd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(s.ctx(), completionTimeout)
		defer cancel()
		names, err := list(ctx, s)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, n := range names {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// firstArg completes the first positional argument with fn, and nothing after it.
func firstArg(fn completeFunc) completeFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(cmd, args, toComplete)
	}
}

var completeNamespaces = completeWith(func(ctx context.Context, s *session) ([]string, error) {
	items, err := s.client.ListNamespaces(ctx, "")
	names := make([]string, 0, len(items))
	for _, n := range items {
		names = append(names, n.Name)
	}
	return names, err
})

var completeApprovals = completeWith(func(ctx context.Context, s *session) ([]string, error) {
	items, err := s.client.Approvals(ctx, "")
	names := make([]string, 0, len(items))
	for _, n := range items {
		names = append(names, n.Name)
	}
	return names, err
})

var completeTenants = completeWith(func(ctx context.Context, s *session) ([]string, error) {
	items, err := s.client.Tenants(ctx)
	names := make([]string, 0, len(items))
	for _, t := range items {
		names = append(names, t.Name)
	}
	return names, err
})

var completeTemplates = completeWith(func(ctx context.Context, s *session) ([]string, error) {
	items, err := s.client.Templates(ctx)
	names := make([]string, 0, len(items))
	for _, t := range items {
		names = append(names, t.ID)
	}
	return names, err
})

var completeTiers = completeWith(func(ctx context.Context, s *session) ([]string, error) {
	items, err := s.client.Tiers(ctx)
	names := make([]string, 0, len(items))
	for _, t := range items {
		names = append(names, t.Name)
	}
	return names, err
})

// completeMembers completes a tenant, then its members' subjects.
func completeMembers(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return completeTenants(cmd, args, toComplete)
	case 1:
		s, err := connected(cmd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(s.ctx(), completionTimeout)
		defer cancel()
		tn, err := s.client.Tenant(ctx, args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, m := range tn.Members {
			if subj := subjectOf(m); strings.HasPrefix(subj, toComplete) {
				out = append(out, subj)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	default:
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}
