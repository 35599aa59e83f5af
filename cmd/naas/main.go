// Command naas is the Namespace-as-a-Service platform: `naas up` runs it on a
// local control plane, `naas serve` against a cluster, and the other commands are
// its command-line client.
package main

import (
	"os"

	"github.com/naas-dev/naas/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
