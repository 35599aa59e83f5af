// Package certs gives the naas admission webhook server its TLS: a self-signed CA and a serving certificate it
// signs, kept in a Secret so that every replica (and every restart of `naas up`) serves the same chain, renewed
// well before expiry, with the CA bundle that the API server must trust handed to the caller to patch into the
// webhook configurations. While a CA is replaced the bundle holds the old and the new one, so serving
// certificates of either stay trusted until they are replaced too.
package certs
