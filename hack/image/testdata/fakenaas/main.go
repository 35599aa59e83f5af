// Command fakenaas stands in for naas in the image test: building naas with CGO_ENABLED=0 compiles its whole
// dependency tree again (many minutes on two cores), while the image's making does not depend on what the
// binary is. It uses net and os/user, which link libc through cgo unless CGO_ENABLED=0, so the test's check
// that the binary is static means something.
package main

import (
	"fmt"
	"net"
	"os"
	"os/user"
)

func main() {
	_, _ = net.LookupHost("localhost")
	_, _ = user.Current()
	fmt.Fprintln(os.Stdout, "usage: naas serve")
}
