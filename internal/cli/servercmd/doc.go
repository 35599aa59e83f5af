// Package servercmd holds the commands that run the naas platform: "naas serve" against a cluster and "naas up"
// on a local control plane, with the process settings they share (memory limit, GOGC). They wire the platform
// (internal/setup); the client commands live apart, in internal/cli/clientcmd.
package servercmd
