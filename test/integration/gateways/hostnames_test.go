package gateways

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

func TestHostnames_NotUnderTheTenantsDomainsAreRejected(t *testing.T) {
	templates(t)
	testenv.Tenant("own").Admin("alice").Domains("own.example.com").Create(t, env)
	tests := []struct {
		name  string
		hosts []string
		want  string
	}{
		{"another tenant's domain", []string{"api.other.example.com"}, `is not under a domain of tenant "own"; use a name under own.example.com`},
		{"a wildcard above the domain", []string{"*.example.com"}, `is not under a domain of tenant "own"`},
		{"a name that merely ends like the domain", []string{"api.evilown.example.com"}, `is not under a domain of tenant "own"`},
		{"a single label", []string{"localhost"}, "at least two labels"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := env.UserClient("alice").Create(context.Background(), claim(fmt.Sprintf("own-bad-%d", i), "own", tplPlain, tt.hosts...))
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("create = %v, want Invalid saying %q", err, tt.want)
			}
		})
	}
	// An update is held to the same rule.
	env.CreateAs(t, "alice", claim("own-app", "own", tplPlain, "app.own.example.com"))
	err := env.UpdateClaimAs(t, "alice", "own-app", func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Hostnames = []string{"app.stolen.example.com"} })
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "is not under a domain") {
		t.Errorf("update to a foreign hostname = %v, want Invalid", err)
	}
}

// TestHostnames_CollisionsAcrossTenantsAreRejectedUnderConcurrency races many claims of two tenants that own the
// same domain for one hostname, and for a wildcard against names under it: exactly one claim wins each race.
func TestHostnames_CollisionsAcrossTenantsAreRejectedUnderConcurrency(t *testing.T) {
	templates(t)
	testenv.Tenant("red").Admin("alice").Domains("shared.example.com").Create(t, env)
	testenv.Tenant("blue").Admin("bob").Domains("shared.example.com", "blue.example.com").Create(t, env)

	race := func(t *testing.T, round string, hostsOf func(i int) []string) (winners []string) {
		t.Helper()
		const n = 12
		return testenv.RaceForHostnames(t, n, func(i int) (string, error) {
			user, tn := "alice", "red"
			if i%2 == 1 {
				user, tn = "bob", "blue"
			}
			name := fmt.Sprintf("%s-%s-%d", tn, round, i)
			return name, env.UserClient(user).Create(context.Background(), claim(name, tn, tplPlain, hostsOf(i)...))
		})
	}

	t.Run("the same hostname", func(t *testing.T) {
		winners := race(t, "same", func(int) []string { return []string{"api.shared.example.com"} })
		if len(winners) != 1 {
			t.Fatalf("%d claims hold api.shared.example.com: %v; want exactly one", len(winners), winners)
		}
	})
	t.Run("a wildcard against names under it", func(t *testing.T) {
		winners := race(t, "wild", func(i int) []string {
			if i%3 == 0 {
				return []string{"*.web.shared.example.com"}
			}
			return []string{fmt.Sprintf("x%d.web.shared.example.com", i%3)} // two distinct names under the wildcard
		})
		// Either the wildcard won (and nothing under it), or names under it won (one per distinct name).
		wild := 0
		for _, w := range winners {
			if c := env.GetClaim(t, w); strings.HasPrefix(c.Spec.Hostnames[0], "*.") {
				wild++
			}
		}
		if (wild == 1 && len(winners) != 1) || (wild == 0 && len(winners) != 2) || wild > 1 {
			t.Fatalf("winners %v (%d wildcards): want the wildcard alone or the two names under it", winners, wild)
		}
	})

	// Once held, a hostname stays held: by an exact name, a wildcard over it, or a rename of another claim.
	for _, tt := range []struct {
		name  string
		user  string
		claim *naasv1alpha1.NamespaceClaim
	}{
		{"the same name later", "bob", claim("blue-later", "blue", tplPlain, "api.shared.example.com")},
		{"a wildcard over a held name", "bob", claim("blue-wild", "blue", tplPlain, "*.shared.example.com")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := env.UserClient(tt.user).Create(context.Background(), tt.claim)
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "held by namespace") {
				t.Errorf("create = %v, want Invalid naming the holder", err)
			}
		})
	}
	t.Run("an update to a held name", func(t *testing.T) {
		env.CreateAs(t, "bob", claim("blue-own", "blue", tplPlain, "own.blue.example.com"))
		err := env.UpdateClaimAs(t, "bob", "blue-own", func(c *naasv1alpha1.NamespaceClaim) {
			c.Spec.Hostnames = append(c.Spec.Hostnames, "api.shared.example.com")
		})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "held by namespace") {
			t.Errorf("update = %v, want Invalid naming the holder", err)
		}
	})
}
