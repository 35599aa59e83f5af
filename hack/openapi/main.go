// Command openapi writes the REST API's OpenAPI document, as naas serves it at /api/v1/openapi.json, to the file
// named by -o (standard output by default), for the clients generated from it (make generate).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/naas-dev/naas/internal/apiserver"
)

func main() {
	out := flag.String("o", "", "file to write the document to (default: standard output)")
	flag.Parse()
	b, err := json.MarshalIndent(apiserver.Document(), "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b = append(b, '\n')
	if *out == "" {
		_, err = os.Stdout.Write(b)
	} else {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
