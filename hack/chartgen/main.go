// Command chartgen writes the Helm chart's files that naas's Go code defines (package chartfiles).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/naas-dev/naas/internal/chartfiles"
)

func main() {
	files, err := chartfiles.Files()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(chartfiles.Dir, name), b, 0o644); err != nil { //nolint:gosec // a chart file, read by anyone
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
