// Package domains decides which DNS names a namespace may hold. A tenant owns domains (hostname suffixes, by
// default <tenant>.<platform base domain>); a namespace's hostnames must lie under them, and no two namespaces may
// hold overlapping hostnames, a wildcard overlapping every name under it. The package is pure: the admission webhook
// keeps the hostname reservations of the last minute in a Ledger per Key and changes them with compare-and-swap, and
// the provisioning bundle stamps each namespace with its Effective hostnames.
//
// Wildcards follow the Gateway API: "*.example.com" is a suffix match, covering foo.example.com and
// foo.bar.example.com but not example.com itself.
package domains
