package tenancy

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Origins of the naming prefix rules.
const (
	originReservedPrefix    = "reservedPrefix"
	originOverlappingPrefix = "overlappingPrefix"
)

// TenantPrefix is a tenant's naming prefix (spec.naming.prefix): the names that start with it are reserved for
// the tenant.
type TenantPrefix struct {
	Tenant, Prefix string
}

// PrefixOf returns t's naming prefix.
func PrefixOf(t *naasv1alpha1.Tenant) TenantPrefix {
	return TenantPrefix{Tenant: t.Name, Prefix: t.Spec.Naming.Prefix}
}

// PrefixesOf returns the leading substrings of s, shortest first: the prefixes a tenant's prefix must be one of
// to reserve s.
func PrefixesOf(s string) []string {
	out := make([]string, 0, len(s))
	for i := 1; i <= len(s); i++ {
		out = append(out, s[:i])
	}
	return out
}

// OwnerOf returns the tenant a namespace name is reserved for: the one among prefixes whose prefix is the
// longest that name starts with, "" when name starts with none. Tenants' prefixes do not overlap
// (CheckPrefixOverlap); the longest one wins for tenants that overlapped before that rule.
func OwnerOf(name string, prefixes []TenantPrefix) string {
	owner, longest := "", 0
	for _, p := range prefixes {
		if p.Prefix != "" && strings.HasPrefix(name, p.Prefix) && len(p.Prefix) > longest {
			owner, longest = p.Tenant, len(p.Prefix)
		}
	}
	return owner
}

// CheckReservedName returns an error when name is reserved for a tenant other than tenant: it starts with that
// tenant's naming prefix (see OwnerOf). prefixes are the naming prefixes of the tenants whose prefix name starts
// with (others may be there too). The error names the prefix but, unless revealOwner (the caller may see every
// tenant: a platform admin), not the tenant that holds it: a user of another tenant learns only that the
// prefix is reserved.
func CheckReservedName(name, tenant string, prefixes []TenantPrefix, revealOwner bool) *field.Error {
	owner := OwnerOf(name, prefixes)
	if owner == "" || owner == tenant {
		return nil
	}
	prefix := ""
	for _, p := range prefixes {
		if p.Tenant == owner {
			prefix = p.Prefix
		}
	}
	holder := "another tenant"
	if revealOwner {
		holder = fmt.Sprintf("tenant %q", owner)
	}
	return field.Forbidden(pathName(), fmt.Sprintf(
		"namespace names starting with %q are reserved for %s (its naming prefix): choose a name that does not start with %q",
		prefix, holder, prefix)).WithOrigin(originReservedPrefix)
}

// PrefixesOverlap reports whether two naming prefixes reserve some name in common: one starts with the other.
// An empty prefix reserves nothing.
func PrefixesOverlap(a, b string) bool {
	return a != "" && b != "" && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a))
}

// CheckPrefixOverlap returns an error for each other tenant whose naming prefix overlaps t's (PrefixesOverlap):
// two tenants cannot both reserve a name. others may include t itself, which is skipped. Only platform admins
// write tenants, so the errors name the other tenants.
func CheckPrefixOverlap(t *naasv1alpha1.Tenant, others []TenantPrefix) field.ErrorList {
	prefix := t.Spec.Naming.Prefix
	var conflicts []TenantPrefix
	for _, o := range others {
		if o.Tenant != t.Name && PrefixesOverlap(prefix, o.Prefix) {
			conflicts = append(conflicts, o)
		}
	}
	sort.Slice(conflicts, func(i, j int) bool { return conflicts[i].Tenant < conflicts[j].Tenant })
	var errs field.ErrorList
	path := field.NewPath("spec", "naming", "prefix")
	for _, c := range conflicts {
		errs = append(errs, field.Invalid(path, prefix, fmt.Sprintf(
			"overlaps the naming prefix %q of tenant %q: a tenant's prefix reserves the names that start with it, and no name may be reserved for two tenants; "+
				"choose a prefix that does not start with %q and that %q does not start with", c.Prefix, c.Tenant, c.Prefix, c.Prefix)).WithOrigin(originOverlappingPrefix))
	}
	return errs
}
