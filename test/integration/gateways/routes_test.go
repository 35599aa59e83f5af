package gateways

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/testenv"
)

// route is a route of kind in namespace shop-web, attached to the namespace's Gateway, with hostnames (none when nil).
func route(kind, name string, hostnames []string) *unstructured.Unstructured {
	backend := map[string]any{"name": "app", "port": int64(8080)}
	spec := map[string]any{
		"parentRefs": []any{map[string]any{"name": "naas"}},
		"rules":      []any{map[string]any{"backendRefs": []any{backend}}},
	}
	if hostnames != nil {
		hs := make([]any, len(hostnames))
		for i, h := range hostnames {
			hs[i] = h
		}
		spec["hostnames"] = hs
	}
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetAPIVersion("gateway.networking.k8s.io/v1")
	u.SetKind(kind)
	u.SetNamespace("shop-web")
	u.SetName(name)
	return u
}

// TestRoutes_ForeignOrEmptyHostnamesAreRejectedForEveryKind creates routes of every kind as the tenant's
// developer: only routes whose hostnames are all the namespace's are admitted.
func TestRoutes_ForeignOrEmptyHostnamesAreRejectedForEveryKind(t *testing.T) {
	installCRDs(t)
	templates(t)
	testenv.Tenant("shop").Admin("alice").Developer("bob").Domains("shop.example.com").Create(t, env)
	testenv.Tenant("rival").Admin("carol").Domains("rival.example.com").Create(t, env)
	env.CreateAs(t, "alice", claim("shop-web", "shop", tplGateway, "www.shop.example.com", "*.api.shop.example.com"))
	env.CreateAs(t, "carol", claim("rival-web", "rival", tplGateway, "www.rival.example.com"))
	env.WaitReady(t, "shop-web")
	env.WaitReady(t, "rival-web")

	bob := env.UserClient("bob")
	// kube-controller-manager aggregates the route role into the tenant roles shortly after naas starts.
	testenv.Eventually(t, 30*time.Second, "bob may create routes", func() error {
		return bob.Create(context.Background(), route("HTTPRoute", "probe", []string{"www.shop.example.com"}), client.DryRunAll)
	})
	admitted := []struct {
		name  string
		hosts []string
	}{
		{"its exact hostname", []string{"www.shop.example.com"}},
		{"a name under its wildcard", []string{"v1.api.shop.example.com"}},
		{"a deeper name under its wildcard", []string{"a.v1.api.shop.example.com"}},
		{"its wildcard itself", []string{"*.api.shop.example.com"}},
		{"a wildcard under its wildcard", []string{"*.v1.api.shop.example.com"}},
		{"several of its hostnames", []string{"www.shop.example.com", "v2.api.shop.example.com"}},
	}
	refused := []struct {
		name  string
		hosts []string
		want  string
	}{
		{"no hostnames", nil, "names no hostnames"},
		{"another tenant's hostname", []string{"www.rival.example.com"}, "www.rival.example.com, which namespace shop-web does not hold"},
		{"a name of its tenant's domain it does not hold", []string{"admin.shop.example.com"}, "admin.shop.example.com, which namespace"},
		{"the wildcard's own apex", []string{"api.shop.example.com"}, "api.shop.example.com, which namespace"},
		{"a wildcard over its hostnames", []string{"*.shop.example.com"}, "*.shop.example.com, which namespace"},
		{"one of its own and one foreign", []string{"www.shop.example.com", "evil.example.com"}, "evil.example.com, which namespace"},
	}
	for _, kind := range []string{"HTTPRoute", "GRPCRoute", "TLSRoute"} {
		t.Run(kind, func(t *testing.T) {
			for i, tt := range admitted {
				r := route(kind, fmt.Sprintf("ok-%d", i), tt.hosts)
				if err := bob.Create(context.Background(), r); err != nil {
					t.Errorf("%s with %s: %v, want it admitted", kind, tt.name, err)
				}
			}
			for i, tt := range refused {
				r := route(kind, fmt.Sprintf("bad-%d", i), tt.hosts)
				err := bob.Create(context.Background(), r)
				if err == nil {
					t.Errorf("%s with %s was admitted", kind, tt.name)
					continue
				}
				// TLSRoute's own schema requires hostnames; either way the route is refused.
				schemaRefused := kind == "TLSRoute" && tt.hosts == nil && apierrors.IsInvalid(err)
				if !apierrors.IsForbidden(err) && !schemaRefused {
					t.Errorf("%s with %s: %v, want Forbidden", kind, tt.name, err)
					continue
				}
				t.Logf("%s with %s: %v", kind, tt.name, err)
				if apierrors.IsForbidden(err) && !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s with %s: %q does not say %q", kind, tt.name, err, tt.want)
				}
			}
			// An admitted route may not be changed to a foreign hostname either.
			r := route(kind, "ok-0", nil)
			existing := &unstructured.Unstructured{}
			existing.SetGroupVersionKind(r.GroupVersionKind())
			if err := bob.Get(context.Background(), clientKey("shop-web", "ok-0"), existing); err != nil {
				t.Fatal(err)
			}
			_ = unstructured.SetNestedStringSlice(existing.Object, []string{"www.rival.example.com"}, "spec", "hostnames")
			if err := bob.Update(context.Background(), existing); !apierrors.IsForbidden(err) {
				t.Errorf("%s changed to a foreign hostname: %v, want Forbidden", kind, err)
			}
		})
	}

	// TCP and UDP routes cannot name hostnames, so nothing would keep them to the namespace's: refused.
	for _, kind := range []string{"TCPRoute", "UDPRoute"} {
		err := bob.Create(context.Background(), route(kind, "l4", nil))
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "not allowed in naas namespaces") {
			t.Errorf("%s: %v, want Forbidden saying they are not allowed", kind, err)
		}
	}

	// Gateways and their listeners are held to the namespace's hostnames too, whoever makes them.
	gw := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"gatewayClassName": "naas",
		"listeners": []any{map[string]any{
			"name": "steal", "hostname": "www.rival.example.com", "protocol": "HTTP", "port": int64(80),
		}},
	}}}
	gw.SetGroupVersionKind(gatewayGVK)
	gw.SetNamespace("shop-web")
	gw.SetName("extra")
	if err := env.Client.Create(context.Background(), gw); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "listener steal") {
		t.Errorf("a Gateway listening on another namespace's hostname: %v, want Forbidden", err)
	}
}
