// Command kubectl-naas is the naas client as a kubectl plugin: with it on the PATH, "kubectl naas request ...",
// "kubectl naas kubeconfig ..." and the other client commands of naas work from kubectl.
package main

import (
	"os"

	"github.com/naas-dev/naas/internal/cli/clientcmd"
)

func main() {
	os.Exit(clientcmd.PluginMain())
}
