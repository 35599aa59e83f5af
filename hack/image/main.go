// Command image builds the OCI image of naas without a container daemon: a static naas (CGO_ENABLED=0) in one
// layer on an empty base, run as a non-root user, written as an OCI image layout packed in a tar file (load it
// with `podman load`, `skopeo copy oci-archive:...`, or push it with crane). `make image` runs it.
//
// It lives apart from cmd/ so that the image library (go-containerregistry) never reaches the naas binary.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
)

func main() {
	var o options
	flag.StringVar(&o.out, "out", "bin/naas-image.tar", "where to write the OCI layout tar")
	flag.StringVar(&o.pkg, "pkg", "./cmd/naas", "the Go package of the binary")
	flag.StringVar(&o.ldflags, "ldflags", "", "linker flags of the build, e.g. the version stamp")
	flag.StringVar(&o.arch, "arch", runtime.GOARCH, "the image's architecture (GOARCH of the build)")
	flag.StringVar(&o.version, "version", "dev", "org.opencontainers.image.version, and the tag in the layout")
	flag.StringVar(&o.revision, "revision", "", "org.opencontainers.image.revision: the commit built")
	flag.StringVar(&o.source, "source", "https://github.com/naas-dev/naas", "org.opencontainers.image.source")
	flag.StringVar(&o.licenses, "licenses", "NOASSERTION", "org.opencontainers.image.licenses, an SPDX expression")
	flag.StringVar(&o.caBundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "CA certificates to put in the image, for OIDC issuers and the cluster behind public CAs (empty: none)")
	flag.Parse()
	if err := build(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s (naas %s, linux/%s)\n", o.out, o.version, o.arch)
}
