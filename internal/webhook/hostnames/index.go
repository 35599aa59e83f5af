package hostnames

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
)

// Field indexes of the manager's cache that let the validating webhook find the claims whose hostnames overlap
// those a request asks for, instead of reading every claim and tenant of the cluster (SetupIndexes).
//
// A claim's spec.hostnames do not depend on its tenant, and are indexed under keys that a hostname it overlaps
// asks for (see claimKeys and queryKeys). A claim that sets none holds the default, <claim>.<its tenant's first
// domain>, which does depend on the tenant: such claims are indexed by tenant, and tenants by the domain their
// default hostnames lie under.
const (
	// IndexHostnames indexes claims by their spec.hostnames: each under "=<hostname>", and under "<<domain>" for
	// every domain above it.
	IndexHostnames = "spec.hostnames"
	// IndexDefaultHostname indexes the claims that set no spec.hostnames by their tenant.
	IndexDefaultHostname = "spec.hostnames.default"
	// IndexTenantDefaultDomain indexes tenants by the domain the default hostnames of their namespaces lie under
	// (domains.TenantDomains' first): under "=<domain>", and under "<<domain>" for it and every domain above it.
	IndexTenantDefaultDomain = "spec.domains.default"
)

// Index key prefixes: a hostname itself, and a domain some hostname lies strictly below.
const (
	keyName  = "="
	keyBelow = "<"
)

// SetupIndexes registers the hostname indexes with the manager's cache (indexer is mgr.GetFieldIndexer());
// baseDomain is the platform's base domain, which tenants without spec.domains take their default domain from.
// Validators built with Indexed read through them.
func SetupIndexes(ctx context.Context, indexer client.FieldIndexer, baseDomain string) error {
	claim := &naasv1alpha1.NamespaceClaim{}
	if err := indexer.IndexField(ctx, claim, IndexHostnames, func(o client.Object) []string {
		return claimKeys(o.(*naasv1alpha1.NamespaceClaim))
	}); err != nil {
		return fmt.Errorf("index claims by hostname: %w", err)
	}
	if err := indexer.IndexField(ctx, claim, IndexDefaultHostname, func(o client.Object) []string {
		if c := o.(*naasv1alpha1.NamespaceClaim); len(c.Spec.Hostnames) == 0 {
			return []string{c.Spec.Tenant}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("index claims without hostnames by tenant: %w", err)
	}
	if err := indexer.IndexField(ctx, &naasv1alpha1.Tenant{}, IndexTenantDefaultDomain, func(o client.Object) []string {
		return tenantKeys(o.(*naasv1alpha1.Tenant), baseDomain)
	}); err != nil {
		return fmt.Errorf("index tenants by default domain: %w", err)
	}
	return nil
}

// above returns the domains strictly above name: b.c and c for a.b.c.
func above(name string) []string {
	var out []string
	for i := strings.IndexByte(name, '.'); i >= 0; {
		name = name[i+1:]
		out = append(out, name)
		i = strings.IndexByte(name, '.')
	}
	return out
}

// suffixOf is h without its wildcard label.
func suffixOf(h string) string { return strings.TrimPrefix(h, "*.") }

// claimKeys are the IndexHostnames keys of a claim's spec.hostnames.
func claimKeys(c *naasv1alpha1.NamespaceClaim) []string {
	var out []string
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, h := range c.Spec.Hostnames {
		add(keyName + h)
		for _, d := range above(suffixOf(h)) {
			add(keyBelow + d)
		}
	}
	return out
}

// queryKeys are the IndexHostnames keys under which the claims holding a hostname that overlaps h
// (domains.Overlap) are indexed:
//
//   - a name overlaps itself and the wildcards of the domains above it;
//   - a wildcard *.s overlaps itself, the wildcards of the domains above s, and every name and wildcard below s.
func queryKeys(h string) []string {
	s := suffixOf(h)
	out := []string{keyName + h}
	if domains.IsWildcard(h) {
		out = append(out, keyBelow+s)
	}
	for _, d := range above(s) {
		out = append(out, keyName+"*."+d)
	}
	return out
}

// tenantKeys are the IndexTenantDefaultDomain keys of tenant t: the domain D its namespaces' default hostnames
// (<namespace>.D) lie under, and D and the domains above it, which they lie below.
func tenantKeys(t *naasv1alpha1.Tenant, base string) []string {
	ds := domains.TenantDomains(t, base)
	if len(ds) == 0 {
		return nil
	}
	d := ds[0]
	out := []string{keyName + d, keyBelow + d}
	for _, a := range above(d) {
		out = append(out, keyBelow+a)
	}
	return out
}

// defaultQuery says where the default hostnames that overlap h are found: for a name, the tenants whose default
// domain is its parent and their claim named as its first label; for a wildcard *.s, every claim without
// hostnames of the tenants whose default domain is s or lies below it. A name without a parent is no default.
func defaultQuery(h string) (tenantKey, claim string) {
	if domains.IsWildcard(h) {
		return keyBelow + suffixOf(h), ""
	}
	first, parent, ok := strings.Cut(h, ".")
	if !ok {
		return "", ""
	}
	return keyName + parent, first
}
