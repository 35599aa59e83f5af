package tenancy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// acme and globex as in the issue: acme's names start with "acme-"; globex has no prefix.
var prefixes = []TenantPrefix{{Tenant: "acme", Prefix: "acme-"}, {Tenant: "globex", Prefix: ""}}

func TestCheckReservedName(t *testing.T) {
	tests := []struct {
		name        string
		claim       string
		tenant      string
		prefixes    []TenantPrefix
		revealOwner bool
		wantErr     bool
		want        []string // substrings of the message
		notWant     []string
	}{
		{name: "a tenant's own prefix", claim: "acme-prod", tenant: "acme", prefixes: prefixes},
		{name: "a name no prefix reserves", claim: "shop", tenant: "globex", prefixes: prefixes},
		{name: "a name that only shares letters with a prefix", claim: "acmeprod", tenant: "globex", prefixes: prefixes},
		{name: "no tenants with prefixes", claim: "acme-prod", tenant: "globex"},
		{
			name: "another tenant's prefix, told to a tenant user without the tenant's name", claim: "acme-prod", tenant: "globex", prefixes: prefixes,
			wantErr: true, want: []string{`names starting with "acme-" are reserved for another tenant`, `choose a name that does not start with "acme-"`},
			notWant: []string{`"acme"`},
		},
		{
			name: "another tenant's prefix, told to a platform admin with the tenant's name", claim: "acme-prod", tenant: "globex", prefixes: prefixes,
			revealOwner: true, wantErr: true, want: []string{`reserved for tenant "acme"`},
		},
		{
			name: "a tenant that does not exist yet cannot take a reserved name either", claim: "acme-prod", tenant: "newco", prefixes: prefixes,
			wantErr: true, want: []string{"reserved for another tenant"},
		},
		{
			// Overlapping prefixes are refused now; tenants that overlapped before: the longest prefix owns the name.
			name: "the longest of overlapping prefixes owns a name", claim: "acme-prod-db", tenant: "acme",
			prefixes: []TenantPrefix{{Tenant: "acme", Prefix: "acme-"}, {Tenant: "acmeprod", Prefix: "acme-prod-"}},
			wantErr:  true, want: []string{`"acme-prod-"`},
		},
		{
			name: "the longest of overlapping prefixes, for its tenant", claim: "acme-prod-db", tenant: "acmeprod",
			prefixes: []TenantPrefix{{Tenant: "acme", Prefix: "acme-"}, {Tenant: "acmeprod", Prefix: "acme-prod-"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckReservedName(tt.claim, tt.tenant, tt.prefixes, tt.revealOwner)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckReservedName = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if err.Type != field.ErrorTypeForbidden || err.Field != "metadata.name" || err.Origin != originReservedPrefix {
				t.Errorf("error %s %s %s, want Forbidden metadata.name %s", err.Type, err.Field, err.Origin, originReservedPrefix)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err.Error(), w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("%q says %q", err.Error(), w)
				}
			}
		})
	}
}

func TestPrefixesOverlap(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"acme-", "acme-", true},
		{"acme-", "acme-prod-", true},
		{"acme-prod-", "acme-", true},
		{"acme", "acme-", true},
		{"acme-", "globex-", false},
		{"acme-", "acm3-", false},
		{"acme-", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := PrefixesOverlap(tt.a, tt.b); got != tt.want {
			t.Errorf("PrefixesOverlap(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCheckPrefixOverlap(t *testing.T) {
	others := []TenantPrefix{{Tenant: "acme", Prefix: "acme-"}, {Tenant: "globex", Prefix: ""}, {Tenant: "initech", Prefix: "ini-"}}
	tests := []struct {
		name   string
		tenant *tenantBuilder
		want   []string // the tenants named, in order
	}{
		{name: "a prefix of its own", tenant: tenant("umbrella").prefix("umb-")},
		{name: "no prefix", tenant: tenant("umbrella")},
		{name: "the tenant's own prefix, as an update sees it", tenant: tenant("acme").prefix("acme-")},
		{name: "the same prefix as another tenant", tenant: tenant("umbrella").prefix("acme-"), want: []string{"acme"}},
		{name: "a prefix that starts with another's", tenant: tenant("umbrella").prefix("acme-prod-"), want: []string{"acme"}},
		{name: "a prefix another's starts with", tenant: tenant("umbrella").prefix("a"), want: []string{"acme"}},
		{name: "a prefix overlapping two", tenant: tenant("umbrella").prefix("i"), want: []string{"initech"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := CheckPrefixOverlap(tt.tenant.obj(), others)
			var named []string
			for _, e := range errs {
				if e.Field != "spec.naming.prefix" || e.Origin != originOverlappingPrefix {
					t.Errorf("error on %s (%s), want spec.naming.prefix (%s)", e.Field, e.Origin, originOverlappingPrefix)
				}
				for _, o := range others {
					if strings.Contains(e.Detail, `tenant "`+o.Tenant+`"`) {
						named = append(named, o.Tenant)
					}
				}
			}
			if diff := cmp.Diff(tt.want, named); diff != "" {
				t.Errorf("conflicting tenants named (-want +got):\n%s\n%v", diff, errs)
			}
		})
	}
}
