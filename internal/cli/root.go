// Package cli holds the commands of the naas binary: the server commands (`naas
// up`, `naas serve`) and the client commands that talk to the REST API.
package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X github.com/naas-dev/naas/internal/cli.Version=...".
var Version = "dev"

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
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newUpCommand(), newServeCommand(), newVersionCommand())
	for _, add := range clientCommands {
		root.AddCommand(add())
	}
	return root
}

// clientCommands are registered by the client command files of this package.
var clientCommands []func() *cobra.Command

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the naas version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "naas", Version)
			return err
		},
	}
}

// Main runs the naas command and returns the process exit code.
func Main() int {
	root := NewRootCommand(os.Stdout, os.Stderr)
	if err := root.Execute(); err != nil {
		return reportError(os.Stderr, err) // One line, the fix, and the exit code (client.go).
	}
	return 0
}
