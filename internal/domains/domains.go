package domains

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// wildcardPrefix starts a wildcard hostname.
const wildcardPrefix = "*."

// Origins of the validation errors, so that callers and tests tell the rules apart without parsing messages.
const (
	OriginFormat     = "format=hostname"
	OriginTooShallow = "hostnameTooShallow"
	OriginNotOwned   = "hostnameNotOwned"
	OriginNoDomain   = "noTenantDomain"
	OriginConflict   = "hostnameConflict"
)

// IsWildcard reports whether h is a wildcard hostname, *.<suffix>.
func IsWildcard(h string) bool { return strings.HasPrefix(h, wildcardPrefix) }

// suffix is h without its wildcard label.
func suffix(h string) string { return strings.TrimPrefix(h, wildcardPrefix) }

// under reports whether name is domain or a name below it.
func under(name, domain string) bool {
	return name == domain || strings.HasSuffix(name, "."+domain)
}

// TenantDomains are the domains tenant t owns: its spec.domains, or <tenant>.<base> when it declares none and the
// platform has a base domain; none otherwise.
func TenantDomains(t *naasv1alpha1.Tenant, base string) []string {
	if t == nil {
		return nil
	}
	if len(t.Spec.Domains) > 0 {
		return slices.Clone(t.Spec.Domains)
	}
	if base == "" {
		return nil
	}
	return []string{t.Name + "." + base}
}

// Default is the hostname a namespace of tenant t gets when its claim asks for none: <namespace>.<the tenant's
// base domain>, "" when the tenant has no domain.
func Default(namespace string, t *naasv1alpha1.Tenant, base string) string {
	ds := TenantDomains(t, base)
	if len(ds) == 0 || namespace == "" {
		return ""
	}
	return namespace + "." + ds[0]
}

// Requested are the hostnames a claim holds: its spec.hostnames, or the default when it sets none. They are
// sorted and without duplicates.
func Requested(c *naasv1alpha1.NamespaceClaim, t *naasv1alpha1.Tenant, base string) []string {
	if c == nil {
		return nil
	}
	var hosts []string
	if len(c.Spec.Hostnames) > 0 {
		hosts = slices.Clone(c.Spec.Hostnames)
	} else if d := Default(c.Name, t, base); d != "" {
		hosts = []string{d}
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
}

// Effective splits a claim's requested hostnames into those its tenant owns, which the namespace serves, and those
// it does not (the tenant's domains changed since the claim was admitted), which it must stop serving.
func Effective(c *naasv1alpha1.NamespaceClaim, t *naasv1alpha1.Tenant, base string) (owned, notOwned []string) {
	ds := TenantDomains(t, base)
	for _, h := range Requested(c, t, base) {
		if Owned(h, ds) {
			owned = append(owned, h)
		} else {
			notOwned = append(notOwned, h)
		}
	}
	return owned, notOwned
}

// Owned reports whether hostname h lies at or under one of domains. A wildcard is owned when the names it covers
// are: *.payments.example.com is owned by payments.example.com.
func Owned(h string, domains []string) bool {
	s := suffix(h)
	for _, d := range domains {
		if under(s, d) {
			return true
		}
	}
	return false
}

// Overlap reports whether some DNS name matches both a and b, so that two namespaces may not hold them both:
// equal names; a wildcard and a name under it; two wildcards, one under the other.
func Overlap(a, b string) bool {
	switch wa, wb := IsWildcard(a), IsWildcard(b); {
	case !wa && !wb:
		return a == b
	case wa && !wb:
		return strings.HasSuffix(b, "."+suffix(a))
	case !wa && wb:
		return strings.HasSuffix(a, "."+suffix(b))
	default:
		return under(suffix(a), suffix(b)) || under(suffix(b), suffix(a))
	}
}

// Covers reports whether route hostname h is one of a namespace's hostnames: equal to one, or, for a wildcard
// of the namespace, a name or a wildcard under it. This is the rule the route admission policy enforces in CEL.
func Covers(hostnames []string, h string) bool {
	for _, n := range hostnames {
		if n == h || (IsWildcard(n) && strings.HasSuffix(h, "."+suffix(n))) {
			return true
		}
	}
	return false
}

// Key is the domain whose ledger reserves hostname h: the parent domain of a name, the domain below the wildcard
// label of a wildcard. A wildcard and the names directly under it share their key (*.pay.example.com and
// api.pay.example.com: pay.example.com), and so do a tenant's default hostnames (<namespace>.<tenant domain>).
// Two hostnames overlap only when their keys are equal or one is a wildcard whose key lies above the other's (see
// Overlap): Ancestors, and the keys below a wildcard's, are where an overlapping reservation can be besides.
func Key(h string) string {
	if IsWildcard(h) {
		return suffix(h)
	}
	if _, parent, ok := strings.Cut(h, "."); ok {
		return parent
	}
	return h
}

// Ancestors are the domains strictly above key that can be keys themselves (at least two labels), nearest first:
// b.example.com and example.com for a.b.example.com.
func Ancestors(key string) []string {
	var out []string
	for {
		_, parent, ok := strings.Cut(key, ".")
		if !ok || !strings.Contains(parent, ".") {
			return out
		}
		out = append(out, parent)
		key = parent
	}
}

// Depth is the number of labels of a domain.
func Depth(domain string) int { return strings.Count(domain, ".") + 1 }

// Join is the value of the namespace annotation listing hostnames.
func Join(hosts []string) string { return strings.Join(hosts, ",") }

// Validate checks the hostnames a claim of tenant t asks for (spec.hostnames; fldPath points at them): their form,
// and that the tenant owns them. tenantDomains are the tenant's (TenantDomains).
func Validate(hosts []string, tenant string, tenantDomains []string, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, h := range hosts {
		p := fldPath.Index(i)
		if msgs := validation.IsDNS1123Subdomain(suffix(h)); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p, h, "must be a lowercase DNS name such as api.example.com, or a wildcard such as *.example.com: "+
				strings.Join(msgs, "; ")).WithOrigin(OriginFormat))
			continue
		}
		if !strings.Contains(suffix(h), ".") {
			errs = append(errs, field.Invalid(p, h, "must have at least two labels besides a wildcard, such as api.example.com").WithOrigin(OriginTooShallow))
			continue
		}
		if len(tenantDomains) == 0 {
			errs = append(errs, field.Forbidden(p, fmt.Sprintf(
				"tenant %q owns no domains, so its namespaces can hold no hostnames: ask a platform admin to set the tenant's spec.domains, or to start naas with --base-domain",
				tenant)).WithOrigin(OriginNoDomain))
			continue
		}
		if !Owned(h, tenantDomains) {
			errs = append(errs, field.Invalid(p, h, fmt.Sprintf(
				"is not under a domain of tenant %q; use a name under %s, or ask a platform admin to add the domain to the tenant's spec.domains",
				tenant, strings.Join(tenantDomains, ", "))).WithOrigin(OriginNotOwned))
		}
	}
	return errs
}
