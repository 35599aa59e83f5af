// Package gateways tests hostnames, gateways, the service mesh and collaboration between tenants end to end on
// the real local control plane: the Gateway and its listeners, race-free hostname uniqueness across tenants, the
// route admission policy for every route kind, steps that wait for their CRDs, and collaborator access granted
// and revoked through the REST API.
//
// The environment runs kube-controller-manager, which aggregates the tenant ClusterRoles (the Gateway API roles
// naas adds among them). It starts WITHOUT the Gateway API, cert-manager and Istio CRDs.
// TestSteps_NotApplicableUntilTheirCRDsAppear runs first (applicability_test.go sorts first; tests run in source
// order) and installs them: the Gateway API's real CRDs (vendored from sigs.k8s.io/gateway-api) the way `naas up`
// does, and the cert-manager and Istio fixtures of test/fixtures/crds. Every other test installs them when it runs
// alone. Run the package without -shuffle.
package gateways

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/config"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

// baseDomain is the platform's --base-domain.
const baseDomain = "apps.example.com"

var (
	env  *testenv.Environment
	naas *testenv.Platform
)

// apiBase is the URL of naas's REST API.
func apiBase() string { return "http://" + naas.Addr() + "/api/v1" }

func TestMain(m *testing.M) {
	testenv.MainWithPlatform(m, &env, &naas, testenv.Options{}, func(o *setup.Options) {
		o.Bundle.BaseDomain = baseDomain
		o.API.TokenFile = env.APITokenFile()
		o.API.AuditDB = env.Path("audit.db")
	})
}

var (
	installGatewayAPI  sync.Once
	installCertManager sync.Once
	installIstio       sync.Once
)

// installCRDs installs the CRDs of the add-ons: the Gateway API's with the installer `naas up` uses, and the
// cert-manager and Istio fixtures.
func installCRDs(t *testing.T) {
	t.Helper()
	installGatewayAPICRDs(t)
	installFixtureCRDs(t, &installCertManager, "cert-manager")
	installFixtureCRDs(t, &installIstio, "istio")
}

func installGatewayAPICRDs(t *testing.T) {
	t.Helper()
	var err error
	installGatewayAPI.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		err = setup.InstallCRDs(ctx, adminClient(t), config.GatewayAPICRDs, config.GatewayAPICRDDir)
	})
	if err != nil {
		t.Fatalf("install the Gateway API CRDs: %v", err)
	}
}

func installFixtureCRDs(t *testing.T, once *sync.Once, dir string) {
	t.Helper()
	var err error
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err = setup.InstallCRDs(ctx, adminClient(t), os.DirFS(filepath.Join(env.RepoRoot, "test", "fixtures", "crds")), dir)
	})
	if err != nil {
		t.Fatalf("install the %s fixture CRDs: %v", dir, err)
	}
}

func adminClient(t *testing.T) client.Client {
	t.Helper()
	c, err := client.New(env.Config, client.Options{Scheme: setup.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Kinds of the objects the tests read.
var (
	gatewayGVK  = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "Gateway"}
	peerAuthGVK = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "PeerAuthentication"}
	authzGVK    = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "AuthorizationPolicy"}
)

// template creates a catalog template with the features, tier dev by default.
func template(t *testing.T, name string, features naasv1alpha1.Features) {
	t.Helper()
	tpl := &naasv1alpha1.NamespaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceTemplateSpec{DisplayName: name, DefaultTier: "dev", Features: features},
	}
	if err := env.Client.Create(context.Background(), tpl); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create template %s: %v", name, err)
	}
}

// Templates of the tests.
const (
	tplPlain   = "gw-plain"
	tplGateway = "gw-gateway"
	tplMesh    = "gw-mesh"
)

func templates(t *testing.T) {
	t.Helper()
	template(t, tplPlain, naasv1alpha1.Features{})
	template(t, tplGateway, naasv1alpha1.Features{Gateway: true})
	template(t, tplMesh, naasv1alpha1.Features{Gateway: true, Mesh: true})
}

// claim is a claim of the template, with the hostnames.
func claim(name, tenantName, tpl string, hostnames ...string) *naasv1alpha1.NamespaceClaim {
	return testenv.Claim(name, tenantName).Template(tpl).Hostnames(hostnames...).Obj()
}

// call calls the naas REST API as user, with a JSON body unless nil.
func call(t *testing.T, user, method, path string, body any) testenv.Response {
	t.Helper()
	return testenv.Call(t, env.Token(user), method, apiBase()+path, body, nil)
}

func clientKey(namespace, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: namespace, Name: name}
}
