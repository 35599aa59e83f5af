package gateways

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// listener is the part of a Gateway listener the tests compare.
type listener struct {
	Name, Hostname, Protocol, From string
	Port                           int64
	CertificateRefs                []string
	TLSMode                        string
}

func listenersOf(t *testing.T, gw *unstructured.Unstructured) []listener {
	t.Helper()
	raw, _, err := unstructured.NestedSlice(gw.Object, "spec", "listeners")
	if err != nil {
		t.Fatal(err)
	}
	var out []listener
	for _, r := range raw {
		m := r.(map[string]any)
		l := listener{}
		l.Name, _, _ = unstructured.NestedString(m, "name")
		l.Hostname, _, _ = unstructured.NestedString(m, "hostname")
		l.Protocol, _, _ = unstructured.NestedString(m, "protocol")
		l.Port, _, _ = unstructured.NestedInt64(m, "port")
		l.From, _, _ = unstructured.NestedString(m, "allowedRoutes", "namespaces", "from")
		l.TLSMode, _, _ = unstructured.NestedString(m, "tls", "mode")
		refs, _, _ := unstructured.NestedSlice(m, "tls", "certificateRefs")
		for _, ref := range refs {
			rm := ref.(map[string]any)
			l.CertificateRefs = append(l.CertificateRefs, rm["kind"].(string)+"/"+rm["name"].(string))
		}
		out = append(out, l)
	}
	return out
}

func httpListener(host string) listener {
	name := "http-" + host
	if strings.HasPrefix(host, "*.") {
		name = "http--" + strings.TrimPrefix(host, "*.")
	}
	return listener{Name: name, Hostname: host, Protocol: "HTTP", Port: 80, From: "Same"}
}

func httpsListener(host string) listener {
	l := httpListener(host)
	l.Name = "https" + strings.TrimPrefix(l.Name, "http")
	l.Protocol, l.Port, l.TLSMode, l.CertificateRefs = "HTTPS", 443, "Terminate", []string{"Secret/naas-gateway-tls"}
	return l
}

func TestGateway_ListensOnTheNamespacesHostnamesOverHTTPAndHTTPSWithCertManager(t *testing.T) {
	installCRDs(t)
	templates(t)
	testenv.Tenant("acme").Admin("alice").Developer("bob").Domains("acme.example.com").Create(t, env)
	env.CreateAs(t, "bob", claim("acme-web", "acme", tplGateway, "www.acme.example.com", "*.apps.acme.example.com"))
	c := env.WaitCondition(t, "acme-web", naasv1alpha1.ConditionGateway, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
	env.WaitReady(t, "acme-web")

	// The real Gateway API CRD accepted it, as the API server stores it.
	gw := env.GetObject(t, gatewayGVK, "acme-web", "naas")
	if gw == nil {
		t.Fatal("Gateway acme-web/naas not found")
	}
	if class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName"); class != "naas" {
		t.Errorf("gatewayClassName = %q, want the configured default naas", class)
	}
	if issuer := gw.GetAnnotations()["cert-manager.io/cluster-issuer"]; issuer != "naas-ca" {
		t.Errorf("cert-manager.io/cluster-issuer = %q, want naas-ca", issuer)
	}
	if l := gw.GetLabels(); l[naasv1alpha1.LabelManagedBy] != "naas" || l[naasv1alpha1.LabelClaim] != "acme-web" {
		t.Errorf("labels %v: want naas's", l)
	}
	want := []listener{
		httpListener("*.apps.acme.example.com"), httpsListener("*.apps.acme.example.com"),
		httpListener("www.acme.example.com"), httpsListener("www.acme.example.com"),
	}
	if diff := cmp.Diff(want, listenersOf(t, gw)); diff != "" {
		t.Errorf("listeners (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"*.apps.acme.example.com", "www.acme.example.com"}, c.Status.Hostnames); diff != "" {
		t.Errorf("status.hostnames (-want +got):\n%s", diff)
	}
	ns := &corev1.Namespace{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "acme-web"}, ns); err != nil {
		t.Fatal(err)
	}
	if got := ns.Annotations[naasv1alpha1.AnnotationHostnames]; got != "*.apps.acme.example.com,www.acme.example.com" {
		t.Errorf("namespace annotation %s = %q", naasv1alpha1.AnnotationHostnames, got)
	}

	// A new hostname gets its listeners in place; one dropped loses them.
	if err := env.UpdateClaimAs(t, "bob", "acme-web", func(c *naasv1alpha1.NamespaceClaim) {
		c.Spec.Hostnames = []string{"api.acme.example.com", "www.acme.example.com"}
	}); err != nil {
		t.Fatalf("developer changes the hostnames: %v", err)
	}
	want = []listener{
		httpListener("api.acme.example.com"), httpsListener("api.acme.example.com"),
		httpListener("www.acme.example.com"), httpsListener("www.acme.example.com"),
	}
	env.WaitObject(t, gatewayGVK, "acme-web", "naas", func(gw *unstructured.Unstructured) error {
		if diff := cmp.Diff(want, listenersOf(t, gw)); diff != "" {
			return testenv.Errorf("listeners (-want +got):\n%s", diff)
		}
		return nil
	})

	// The tenant's developer may not change naas's Gateway.
	bob := env.UserClient("bob")
	gw = env.GetObject(t, gatewayGVK, "acme-web", "naas")
	gw.SetAnnotations(map[string]string{"cert-manager.io/cluster-issuer": "someone-elses"})
	if err := bob.Update(context.Background(), gw); err == nil {
		t.Error("a developer changed naas's Gateway")
	}
	if err := bob.Delete(context.Background(), gw); err == nil {
		t.Error("a developer deleted naas's Gateway")
	}
}

func TestGateway_DefaultHostnameUnderThePlatformBaseDomain(t *testing.T) {
	installCRDs(t)
	templates(t)
	testenv.Tenant("zeta").Admin("carol").Create(t, env)
	env.CreateAs(t, "carol", claim("zeta-api", "zeta", tplGateway))

	// Admission wrote the default into the claim, so it is explicit and reserved.
	const want = "zeta-api.zeta." + baseDomain
	if got := env.GetClaim(t, "zeta-api").Spec.Hostnames; len(got) != 1 || got[0] != want {
		t.Fatalf("spec.hostnames = %v, want [%s]", got, want)
	}
	c := env.WaitCondition(t, "zeta-api", naasv1alpha1.ConditionGateway, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)
	if len(c.Status.Hostnames) != 1 || c.Status.Hostnames[0] != want {
		t.Errorf("status.hostnames = %v, want [%s]", c.Status.Hostnames, want)
	}
	gw := env.GetObject(t, gatewayGVK, "zeta-api", "naas")
	if diff := cmp.Diff([]listener{httpListener(want), httpsListener(want)}, listenersOf(t, gw)); diff != "" {
		t.Errorf("listeners (-want +got):\n%s", diff)
	}
}

func TestGateway_TurnedOffInTheTemplateIsRemoved(t *testing.T) {
	installCRDs(t)
	templates(t)
	template(t, "gw-switch", naasv1alpha1.Features{Gateway: true})
	testenv.Tenant("switch").Admin("dave").Domains("switch.example.com").Create(t, env)
	env.CreateAs(t, "dave", claim("switch-app", "switch", "gw-switch"))
	env.WaitCondition(t, "switch-app", naasv1alpha1.ConditionGateway, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)

	env.UpdateTemplate(t, "gw-switch", func(tpl *naasv1alpha1.NamespaceTemplate) { tpl.Spec.Features.Gateway = false })
	testenv.Eventually(t, 30*time.Second, "the Gateway removed and its conditions gone", func() error {
		if env.GetObject(t, gatewayGVK, "switch-app", "naas") != nil {
			return testenv.Errorf("Gateway still there")
		}
		c := env.GetClaim(t, "switch-app")
		for _, cond := range c.Status.Conditions {
			if cond.Type == naasv1alpha1.ConditionGateway || cond.Type == naasv1alpha1.ConditionTLS {
				return testenv.Errorf("condition %s still reported", cond.Type)
			}
		}
		return nil
	})
}
