package clientcmd

import (
	"io"
	"os"
	"regexp"

	"github.com/spf13/cobra"
)

// PluginName is how kubectl runs the plugin: the binary kubectl-naas is the command "kubectl naas".
const PluginName = "kubectl naas"

// NewPluginCommand returns the client commands as the kubectl plugin: the same commands as naas's, without
// the server commands, with help and fixes that name "kubectl naas".
func NewPluginCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:         "naas",
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: PluginName},
		Short:       "Namespace-as-a-Service for Kubernetes, as a kubectl plugin",
		Long: `Request, follow and use namespaces of naas, and manage its tenants, from kubectl.

Sign in with "kubectl naas login --server URL"; "kubectl naas kubeconfig NAME" then adds a context for a
namespace to your kubeconfig.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	AddCommands(root)
	renameInExamples(root)
	return root
}

// naasCommand matches "naas " where an example runs the naas command.
var naasCommand = regexp.MustCompile(`(^|[\s|;(&])naas `)

// renameInExamples makes examples run "kubectl naas".
func renameInExamples(c *cobra.Command) {
	c.Example = naasCommand.ReplaceAllString(c.Example, "${1}"+PluginName+" ")
	for _, sub := range c.Commands() {
		renameInExamples(sub)
	}
}

// PluginMain runs the kubectl plugin and returns the process exit code.
func PluginMain() int {
	if err := NewPluginCommand(os.Stdout, os.Stderr).Execute(); err != nil {
		return ReportError(os.Stderr, err)
	}
	return 0
}
