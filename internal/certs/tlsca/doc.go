// Package tlsca holds the building blocks of naas's two small PKIs: the admission webhook server's (package
// certs, kept in a Secret and rotated) and the local control plane's (package localcp, kept in files). It makes
// ECDSA P-256 keys, self-signed CAs and the TLS serving certificates they sign, and reads and writes them as PEM.
// It has no Kubernetes dependency, so the local control plane can use it without a client.
package tlsca
