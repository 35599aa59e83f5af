// Package cli composes the naas command: the server commands (internal/cli/servercmd: up, serve) and the client
// commands (internal/cli/clientcmd: login, request, tenant, ...). kubectl-naas links the client commands alone.
package cli

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/naas-dev/naas/internal/cli/clientcmd"
	"github.com/naas-dev/naas/internal/cli/servercmd"
)

// NewRootCommand returns the naas command with every subcommand.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "naas",
		Short: "Namespace-as-a-Service for Kubernetes",
		Long: `naas gives application teams namespaces with the quotas, limits, access, network policies and
monitoring of the template and tier they choose, inside their team's tenant.

Run the platform locally with "naas up", or against a cluster with "naas serve".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(servercmd.Commands()...)
	clientcmd.AddCommands(root)
	return root
}

// Main runs the naas command and returns the process exit code.
func Main() int {
	root := NewRootCommand(os.Stdout, os.Stderr)
	if err := root.Execute(); err != nil {
		return clientcmd.ReportError(os.Stderr, err) // One line, the fix, and the exit code.
	}
	return 0
}
