package domains

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// payments is tenant payments with the domains.
func payments(domains ...string) *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "payments"}, Spec: naasv1alpha1.TenantSpec{Domains: domains}}
}

// api is the claim of namespace api, asking for hosts.
func api(hosts ...string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "api"}, Spec: naasv1alpha1.NamespaceClaimSpec{Hostnames: hosts}}
}

func TestTenantDomains_DeclaredOrUnderThePlatformBaseDomain(t *testing.T) {
	tests := []struct {
		name   string
		tenant *naasv1alpha1.Tenant
		base   string
		want   []string
	}{
		{"declared domains win", payments("pay.example.com", "payments.example.org"), "apps.example.com", []string{"pay.example.com", "payments.example.org"}},
		{"none declared: under the base domain", payments(), "apps.example.com", []string{"payments.apps.example.com"}},
		{"none declared and no base domain", payments(), "", nil},
		{"no tenant", nil, "apps.example.com", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, TenantDomains(tt.tenant, tt.base)); diff != "" {
				t.Errorf("TenantDomains (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequested_SpecOrTheDefaultUnderTheTenantsBaseDomain(t *testing.T) {
	tests := []struct {
		name   string
		claim  *naasv1alpha1.NamespaceClaim
		tenant *naasv1alpha1.Tenant
		base   string
		want   []string
	}{
		{"default under the tenant's first domain", api(), payments("pay.example.com", "x.example.com"), "apps.example.com", []string{"api.pay.example.com"}},
		{"default under the platform base domain", api(), payments(), "apps.localhost", []string{"api.payments.apps.localhost"}},
		{"no default without a domain", api(), payments(), "", nil},
		{"the claim's own, sorted and without duplicates", api("b.pay.example.com", "*.pay.example.com", "b.pay.example.com"), payments("pay.example.com"), "", []string{"*.pay.example.com", "b.pay.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Requested(tt.claim, tt.tenant, tt.base)); diff != "" {
				t.Errorf("Requested (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEffective_SplitsOwnedFromNoLongerOwned(t *testing.T) {
	owned, notOwned := Effective(api("api.pay.example.com", "api.old.example.com"), payments("pay.example.com"), "")
	if diff := cmp.Diff([]string{"api.pay.example.com"}, owned); diff != "" {
		t.Errorf("owned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"api.old.example.com"}, notOwned); diff != "" {
		t.Errorf("notOwned (-want +got):\n%s", diff)
	}
}

func TestOwned_AtOrUnderADomain(t *testing.T) {
	domains := []string{"pay.example.com", "payments.example.org"}
	tests := []struct {
		host string
		want bool
	}{
		{"pay.example.com", true},
		{"api.pay.example.com", true},
		{"a.b.pay.example.com", true},
		{"*.pay.example.com", true},
		{"*.api.pay.example.com", true},
		{"api.payments.example.org", true},
		{"example.com", false},
		{"*.example.com", false},
		{"xpay.example.com", false},
		{"api.xpay.example.com", false},
		{"pay.example.com.evil.io", false},
	}
	for _, tt := range tests {
		if got := Owned(tt.host, domains); got != tt.want {
			t.Errorf("Owned(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestOverlap_WildcardsIncluded(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"x.a.example.com", "x.a.example.com", true},
		{"x.a.example.com", "y.a.example.com", false},
		{"*.a.example.com", "x.a.example.com", true},
		{"*.a.example.com", "y.x.a.example.com", true},
		{"*.a.example.com", "a.example.com", false},
		{"*.a.example.com", "xa.example.com", false},
		{"*.a.example.com", "*.a.example.com", true},
		{"*.a.example.com", "*.x.a.example.com", true},
		{"*.a.example.com", "*.b.example.com", false},
		{"*.example.com", "*.a.example.com", true},
		{"*.xa.example.com", "*.a.example.com", false},
	}
	for _, tt := range tests {
		if got := Overlap(tt.a, tt.b); got != tt.want {
			t.Errorf("Overlap(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := Overlap(tt.b, tt.a); got != tt.want {
			t.Errorf("Overlap(%q, %q) = %v, want %v (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestOverlap_ImpliesKeysOnOneLine(t *testing.T) {
	// An admission reserves under its own keys and reads the ledgers of their ancestors, and, for a wildcard,
	// those below its key: every overlapping hostname must be found there.
	names := []string{"a.example.com", "x.a.example.com", "*.a.example.com", "*.example.com", "*.x.a.example.com",
		"b.example.org", "*.b.example.org", "example.com", "y.b.example.org"}
	below := func(k, of string) bool { return slices.Contains(Ancestors(k), of) }
	shared := 0
	for _, a := range names {
		for _, b := range names {
			ka, kb := Key(a), Key(b)
			if !Overlap(a, b) {
				continue
			}
			switch {
			case ka == kb:
				shared++
			case below(ka, kb) && IsWildcard(b), below(kb, ka) && IsWildcard(a):
			default:
				t.Errorf("%q and %q overlap but neither is a wildcard whose key %q or %q lies above the other's", a, b, kb, ka)
			}
		}
	}
	if Key("x.a.example.com") != "a.example.com" || Key("*.a.example.com") != "a.example.com" {
		t.Error("a wildcard and the names directly under it must share their key")
	}
	if got := Ancestors("a.b.example.com"); !slices.Equal(got, []string{"b.example.com", "example.com"}) {
		t.Errorf("Ancestors(a.b.example.com) = %v", got)
	}
	if shared == 0 {
		t.Error("no overlapping pair shares a key")
	}
	if got := Ancestors("example.com"); len(got) != 0 {
		t.Errorf("Ancestors(example.com) = %v, want none", got)
	}
}

func TestCovers_RouteHostnamesUnderTheNamespaces(t *testing.T) {
	ns := []string{"api.pay.example.com", "*.apps.pay.example.com"}
	tests := []struct {
		host string
		want bool
	}{
		{"api.pay.example.com", true},
		{"web.pay.example.com", false},
		{"*.pay.example.com", false},
		{"x.apps.pay.example.com", true},
		{"y.x.apps.pay.example.com", true},
		{"*.apps.pay.example.com", true},
		{"*.x.apps.pay.example.com", true},
		{"apps.pay.example.com", false},
		{"xapps.pay.example.com", false},
		{"api.other.example.com", false},
	}
	for _, tt := range tests {
		if got := Covers(ns, tt.host); got != tt.want {
			t.Errorf("Covers(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestValidate_FormAndOwnership(t *testing.T) {
	path := field.NewPath("spec", "hostnames")
	tests := []struct {
		name    string
		hosts   []string
		domains []string
		want    []string // origins
	}{
		{"owned names and wildcards", []string{"api.pay.example.com", "*.pay.example.com"}, []string{"pay.example.com"}, nil},
		{"not owned", []string{"api.other.example.com"}, []string{"pay.example.com"}, []string{OriginNotOwned}},
		{"uppercase", []string{"API.pay.example.com"}, []string{"pay.example.com"}, []string{OriginFormat}},
		{"wildcard in the middle", []string{"a.*.pay.example.com"}, []string{"pay.example.com"}, []string{OriginFormat}},
		{"single label", []string{"localhost"}, []string{"pay.example.com"}, []string{OriginTooShallow}},
		{"wildcard over a single label", []string{"*.com"}, []string{"pay.example.com"}, []string{OriginTooShallow}},
		{"tenant without domains", []string{"api.pay.example.com"}, nil, []string{OriginNoDomain}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(tt.hosts, "payments", tt.domains, path) {
				got = append(got, e.Origin)
				if e.Field != "spec.hostnames[0]" && e.Field != "spec.hostnames[1]" {
					t.Errorf("error at %s, want spec.hostnames[i]", e.Field)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("origins (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate_NotOwnedSaysWhichDomainsAreOwned(t *testing.T) {
	errs := Validate([]string{"api.other.example.com"}, "payments", []string{"pay.example.com"}, field.NewPath("spec", "hostnames"))
	want := `spec.hostnames[0]: Invalid value: "api.other.example.com": is not under a domain of tenant "payments"; use a name under pay.example.com, or ask a platform admin to add the domain to the tenant's spec.domains`
	if len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("errors = %v, want [%s]", errs, want)
	}
}
