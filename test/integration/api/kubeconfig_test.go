package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

// kubeconfigClient builds a client from a kubeconfig answer, as kubectl would read it.
func kubeconfigClient(t *testing.T, r response) client.Client {
	t.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig(r.body)
	if err != nil {
		t.Fatalf("the kubeconfig does not load: %v\n%s", err, r.body)
	}
	c, err := client.New(cfg, client.Options{Scheme: testenv.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func configMap(ns, name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{"k": "v"}}
}

func TestKubeconfig_WorksForTheDeveloperInTheirNamespaceAndIsForbiddenElsewhere(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	createTenant(t, "kc", nil, user("alice", naasv1alpha1.RoleAdmin), user("bob", naasv1alpha1.RoleDeveloper))
	r := p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", map[string]any{
		"name": "kc-app", "tenant": "kc", "template": "standard", "parameters": map[string]string{"owner_email": "bob@example.com"},
	})
	expect(t, r, http.StatusAccepted, "bob requests kc-app")
	p.waitPhase(t, as("bob"), "kc-app", naasv1alpha1.PhaseReady)

	r = p.call(t, as("bob"), http.MethodGet, "/api/v1/namespaces/kc-app/kubeconfig", nil)
	expect(t, r, http.StatusOK, "bob's kubeconfig")
	if ct := r.header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q, want application/yaml", ct)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="kc-app.kubeconfig"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store: the body holds a credential", cc)
	}
	kc, err := clientcmd.Load(r.body)
	if err != nil {
		t.Fatal(err)
	}
	ctx := kc.Contexts[kc.CurrentContext]
	if ctx == nil || ctx.Namespace != "kc-app" {
		t.Fatalf("current context %q = %+v, want namespace kc-app", kc.CurrentContext, ctx)
	}
	if cl := kc.Clusters[ctx.Cluster]; cl == nil || cl.Server != env.Config.Host || len(cl.CertificateAuthorityData) == 0 {
		t.Errorf("cluster = %+v, want server %s with its CA", cl, env.Config.Host)
	}
	if u := kc.AuthInfos[ctx.AuthInfo]; u == nil || u.Token != as("bob") {
		t.Errorf("user entry is not bob's own token: %+v", u)
	}
	if strings.Contains(string(r.body), env.Config.BearerToken) && env.Config.BearerToken != "" {
		t.Error("the kubeconfig carries the admin's credentials")
	}

	// It works: bob writes in his namespace as himself...
	c := kubeconfigClient(t, r)
	bg := context.Background()
	if err := c.Create(bg, configMap("kc-app", "from-kubeconfig")); err != nil {
		t.Fatalf("bob creates a ConfigMap in kc-app with his kubeconfig: %v", err)
	}
	// ...and nowhere else.
	if err := c.Create(bg, configMap("default", "from-kubeconfig")); !apierrors.IsForbidden(err) {
		t.Errorf("bob creating a ConfigMap in default: %v, want Forbidden", err)
	}
	if err := c.List(bg, &corev1.SecretList{}, client.InNamespace("kube-system")); !apierrors.IsForbidden(err) {
		t.Errorf("bob listing kube-system's secrets: %v, want Forbidden", err)
	}

	// Outsiders learn nothing; a bad auth value is a 400; no token is a 401.
	expect(t, p.call(t, as("mallory"), http.MethodGet, "/api/v1/namespaces/kc-app/kubeconfig", nil), http.StatusNotFound, "mallory")
	expect(t, p.call(t, as("bob"), http.MethodGet, "/api/v1/namespaces/missing/kubeconfig", nil), http.StatusNotFound, "missing")
	r = p.call(t, as("bob"), http.MethodGet, "/api/v1/namespaces/kc-app/kubeconfig?auth=password", nil)
	expect(t, r, http.StatusBadRequest, "auth=password")
	if prob := r.problem(t); !strings.Contains(prob.Detail, `"exec"`) {
		t.Errorf("detail %q does not name the allowed values", prob.Detail)
	}
	expect(t, p.call(t, "", http.MethodGet, "/api/v1/namespaces/kc-app/kubeconfig", nil), http.StatusUnauthorized, "anonymous")
}

func TestKubeconfig_OIDCCallersGetKubeloginOrTheirToken(t *testing.T) {
	p := startPlatform(t, platformConfig{mutate: func(o *setup.Options) {
		o.API.OIDCClientID = "naas-cli"
		o.API.OIDCClientScopes = []string{"email", "groups"}
	}})
	createTenant(t, "kco", nil, user("alice", naasv1alpha1.RoleAdmin), user("olga@example.com", naasv1alpha1.RoleViewer))
	if err := env.Client.Create(context.Background(), &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "kco-app"},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: "kco", Template: "standard", Parameters: map[string]string{"owner_email": "a@example.com"}},
	}); err != nil {
		t.Fatal(err)
	}
	token := p.issuer.Token(map[string]any{"sub": "u-olga", "email": "olga@example.com", "email_verified": true}, time.Hour)
	var r response
	poll(t, 30*time.Second, "olga sees kco-app", func() error {
		r = p.call(t, token, http.MethodGet, "/api/v1/namespaces/kco-app/kubeconfig", nil)
		if r.status != http.StatusOK {
			return testenv.Errorf("kubeconfig: %s", r)
		}
		return nil
	})
	kc, err := clientcmd.Load(r.body)
	if err != nil {
		t.Fatal(err)
	}
	u := kc.AuthInfos[kc.Contexts[kc.CurrentContext].AuthInfo]
	if u == nil || u.Exec == nil || u.Token != "" {
		t.Fatalf("OIDC user entry = %+v, want an exec plugin and no token", u)
	}
	for _, want := range []string{"oidc-login", "--oidc-issuer-url=" + p.issuer.URL(), "--oidc-client-id=naas-cli", "--oidc-extra-scope=groups"} {
		if !slices.Contains(u.Exec.Args, want) {
			t.Errorf("exec args %v lack %q", u.Exec.Args, want)
		}
	}

	r = p.call(t, token, http.MethodGet, "/api/v1/namespaces/kco-app/kubeconfig?auth=token", nil)
	expect(t, r, http.StatusOK, "auth=token")
	kc, err = clientcmd.Load(r.body)
	if err != nil {
		t.Fatal(err)
	}
	if u := kc.AuthInfos[kc.Contexts[kc.CurrentContext].AuthInfo]; u == nil || u.Token != token || u.Exec != nil {
		t.Errorf("auth=token user entry = %+v, want the caller's token", u)
	}

	// Clients learn how to sign in without credentials.
	r = p.call(t, "", http.MethodGet, "/api/v1/auth/config", nil)
	expect(t, r, http.StatusOK, "auth config")
	var ac struct {
		OIDC *struct {
			IssuerURL, ClientID string
			Scopes              []string
		}
	}
	r.decode(t, &ac)
	if ac.OIDC == nil || ac.OIDC.IssuerURL != p.issuer.URL() || ac.OIDC.ClientID != "naas-cli" || !slices.Equal(ac.OIDC.Scopes, []string{"email", "groups"}) {
		t.Errorf("auth config = %s", r.body)
	}
}
