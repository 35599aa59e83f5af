package hostnames

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
)

// hostnameCorpus are names and wildcards at several depths, overlapping each other in every way domains.Overlap
// knows, including shapes only a privileged user gets admitted (a single label, a wildcard of a top-level domain).
var hostnameCorpus = []string{
	"localhost", "com", "*.com",
	"example.com", "*.example.com",
	"apps.example.com", "*.apps.example.com",
	"pay.apps.example.com", "*.pay.apps.example.com",
	"api.pay.apps.example.com", "*.api.pay.apps.example.com", "v1.api.pay.apps.example.com",
	"web.apps.example.com", "*.web.apps.example.com",
	"example.org", "*.example.org", "api.example.org", "api.example.com",
	"apps.example.com.evil.org", "xapps.example.com", "*.xapps.example.com",
}

func intersects(a, b []string) bool {
	return slices.ContainsFunc(a, func(k string) bool { return slices.Contains(b, k) })
}

func TestIndexKeys_FindExactlyTheClaimsWhoseHostnamesOverlap(t *testing.T) {
	for _, held := range hostnameCorpus {
		c := &naasv1alpha1.NamespaceClaim{Spec: naasv1alpha1.NamespaceClaimSpec{Hostnames: []string{held}}}
		keys := claimKeys(c)
		for _, asked := range hostnameCorpus {
			want := domains.Overlap(asked, held)
			if got := intersects(queryKeys(asked), keys); got != want {
				t.Errorf("asking for %s finds the claim holding %s: %v, want %v (query keys %v, claim keys %v)",
					asked, held, got, want, queryKeys(asked), keys)
			}
		}
	}
}

func TestIndexKeys_OfAClaimCoverEachOfItsHostnamesOnce(t *testing.T) {
	c := &naasv1alpha1.NamespaceClaim{Spec: naasv1alpha1.NamespaceClaimSpec{
		Hostnames: []string{"api.pay.example.com", "*.pay.example.com"},
	}}
	want := []string{"=api.pay.example.com", "<pay.example.com", "<example.com", "<com", "=*.pay.example.com"}
	if diff := cmp.Diff(want, claimKeys(c)); diff != "" {
		t.Errorf("claim keys (-want +got):\n%s", diff)
	}
	if keys := claimKeys(&naasv1alpha1.NamespaceClaim{}); len(keys) != 0 {
		t.Errorf("a claim without spec.hostnames has keys %v; its default hostname depends on its tenant", keys)
	}
}

func TestIndexKeys_FindExactlyTheDefaultHostnamesThatOverlap(t *testing.T) {
	tenants := []*naasv1alpha1.Tenant{
		{ObjectMeta: metav1.ObjectMeta{Name: "pay"}, Spec: naasv1alpha1.TenantSpec{Domains: []string{"pay.apps.example.com", "pay.example.org"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "web"}}, // web.apps.example.com, from the base domain
		{ObjectMeta: metav1.ObjectMeta{Name: "top"}, Spec: naasv1alpha1.TenantSpec{Domains: []string{"example.org"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "one"}, Spec: naasv1alpha1.TenantSpec{Domains: []string{"localhost"}}},
	}
	const base = "apps.example.com"
	for _, tn := range tenants {
		for _, name := range []string{"api", "v1", "apps"} {
			c := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: tn.Name}}
			held := domains.Requested(c, tn, base)
			if len(held) != 1 {
				t.Fatalf("claim %s of tenant %s holds %v, want its default hostname", name, tn.Name, held)
			}
			corpus := append(slices.Clone(hostnameCorpus), held[0], "*."+held[0], "x."+held[0])
			for _, asked := range corpus {
				want := domains.Overlap(asked, held[0])
				tenantKey, claimName := defaultQuery(asked)
				got := tenantKey != "" && slices.Contains(tenantKeys(tn, base), tenantKey) && (claimName == "" || claimName == name)
				if got != want {
					t.Errorf("asking for %s finds claim %s of tenant %s holding %s by default: %v, want %v (tenant keys %v, query %q %q)",
						asked, name, tn.Name, held[0], got, want, tenantKeys(tn, base), tenantKey, claimName)
				}
			}
		}
	}
	if keys := tenantKeys(&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "none"}}, ""); len(keys) != 0 {
		t.Errorf("a tenant without domains and no base domain has keys %v; its namespaces hold no default hostname", keys)
	}
}
