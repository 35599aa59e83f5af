// Package buildinfo holds what the build stamps into the naas binaries. It imports nothing, so that both the
// server and the client commands (and kubectl-naas, which links only the latter) can report it.
package buildinfo

// Version is the version of naas, set at build time with
// -ldflags "-X github.com/naas-dev/naas/internal/buildinfo.Version=...".
var Version = "dev"
