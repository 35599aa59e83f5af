package admission

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
	"github.com/naas-dev/naas/internal/tenancy"
	"github.com/naas-dev/naas/internal/testenv"
	"github.com/naas-dev/naas/internal/webhook/hostnames"
)

// hostnameValidators are two hostname webhooks over one informer cache with the hostname indexes registered: one
// reads through the indexes, the other reads every claim and tenant. Their ledgers live in namespace ledgers.
func hostnameValidators(t *testing.T, ledgers string) (indexed, everyClaim *hostnames.Validator) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, err := cache.New(env.Config, cache.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := hostnames.SetupIndexes(ctx, c, ""); err != nil {
		t.Fatal(err)
	}
	for _, obj := range []client.Object{&naasv1alpha1.NamespaceClaim{}, &naasv1alpha1.Tenant{}, &naasv1alpha1.NamespaceTemplate{}} {
		if _, err := c.GetInformer(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}
	mk := func(indexed bool) *hostnames.Validator {
		return &hostnames.Validator{
			Client: c, Reader: env.Client, Ledgers: hostnames.NewStore(env.Client, ledgers),
			Privileged: tenancy.IsPlatformAdmin, Decoder: admission.NewDecoder(env.Scheme), Indexed: indexed,
		}
	}
	return mk(true), mk(false)
}

// createRequest is the admission request of a platform admin creating c.
func createRequest(t *testing.T, c *naasv1alpha1.NamespaceClaim, dryRun bool) admission.Request {
	t.Helper()
	c = c.DeepCopy()
	c.SetGroupVersionKind(naasv1alpha1.GroupVersion.WithKind("NamespaceClaim"))
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       types.UID("test-" + c.Name),
		Kind:      metav1.GroupVersionKind{Group: naasv1alpha1.GroupVersion.Group, Version: naasv1alpha1.GroupVersion.Version, Kind: "NamespaceClaim"},
		Resource:  metav1.GroupVersionResource{Group: naasv1alpha1.GroupVersion.Group, Version: naasv1alpha1.GroupVersion.Version, Resource: "namespaceclaims"},
		Name:      c.Name,
		Operation: admissionv1.Create,
		UserInfo:  authenticationv1.UserInfo{Username: "platform-admin", Groups: []string{naasv1alpha1.PlatformAdminGroupName}},
		Object:    runtime.RawExtension{Raw: raw},
		DryRun:    &dryRun,
	}}
}

func withHostnames(c *naasv1alpha1.NamespaceClaim, hosts ...string) *naasv1alpha1.NamespaceClaim {
	c.Spec.Hostnames = hosts
	return c
}

// TestHostnames_IndexedAdmissionDecidesAsReadingEveryClaim checks the hostname indexes against what they replace:
// an admission that reads only the claims whose hostnames overlap those it asks for (hostnames.SetupIndexes)
// finds the same conflicts as one that reads every claim and tenant, for names, wildcards above and below, and a
// namespace's default hostname, which depends on its tenant's domains; and it still drops from the ledger the
// expired reservations the cache accounts for.
func TestHostnames_IndexedAdmissionDecidesAsReadingEveryClaim(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("hix-a").With(func(s *naasv1alpha1.TenantSpec) { s.Domains = []string{"a.hix.example.com"} }).Create(t, env)
	testenv.Tenant("hix-b").With(func(s *naasv1alpha1.TenantSpec) { s.Domains = []string{"b.hix.example.com"} }).Create(t, env)
	// hix-d has no domain yet: its claim gets no hostname, and holds the default once the tenant has a domain.
	tenantD := testenv.Tenant("hix-d").Create(t, env)
	for _, c := range []*naasv1alpha1.NamespaceClaim{
		withHostnames(claim("hix-a1", "hix-a", "dev"), "api.a.hix.example.com"),
		withHostnames(claim("hix-a2", "hix-a", "dev"), "*.w.a.hix.example.com"),
		withHostnames(claim("hix-b1", "hix-b", "dev"), "www.b.hix.example.com", "*.deep.b.hix.example.com"),
		claim("hix-d1", "hix-d", "dev"),
	} {
		env.CreateAs(t, "platform-admin", c)
	}
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(tenantD), tenantD); err != nil {
			return err
		}
		tenantD.Spec.Domains = []string{"d.hix.example.com"}
		return env.Client.Update(ctx, tenantD)
	}); err != nil {
		t.Fatal(err)
	}
	ledgers := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hix-ledgers"}}
	if err := env.Client.Create(ctx, ledgers); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), ledgers) })

	indexed, everyClaim := hostnameValidators(t, ledgers.Name)
	// Wait for the cache: a claim for hix-d1's default hostname conflicts once it shows hix-d1 and hix-d's domain.
	testenv.Eventually(t, 30*time.Second, "the cache shows the claims and tenants", func() error {
		for _, v := range []*hostnames.Validator{indexed, everyClaim} {
			if res := v.Handle(ctx, createRequest(t, withHostnames(claim("hix-probe", "hix-d", "dev"), "hix-d1.d.hix.example.com"), true)); res.Allowed {
				return testenv.Errorf("hix-d1's default hostname is not held yet")
			}
		}
		return nil
	})

	for i, c := range []struct {
		hosts []string
		held  []string // the namespaces the denial names; none when allowed
	}{
		{[]string{"api.a.hix.example.com"}, []string{"hix-a1"}},
		{[]string{"*.a.hix.example.com"}, []string{"hix-a1", "hix-a2"}},
		{[]string{"x.w.a.hix.example.com"}, []string{"hix-a2"}},
		{[]string{"*.hix.example.com"}, []string{"hix-a1", "hix-a2", "hix-b1", "hix-d1"}},
		{[]string{"hix-d1.d.hix.example.com"}, []string{"hix-d1"}},
		{[]string{"*.d.hix.example.com"}, []string{"hix-d1"}},
		{[]string{"a.deep.b.hix.example.com"}, []string{"hix-b1"}},
		{[]string{"free.a.hix.example.com", "www.b.hix.example.com"}, []string{"hix-b1"}},
		{[]string{"other.d.hix.example.com"}, nil},
		{[]string{"deep.b.hix.example.com"}, nil}, // a wildcard does not cover its own domain
		{[]string{"w.a.hix.example.com", "hix-d2.d.hix.example.com"}, nil},
		{[]string{"*.example.net"}, nil},
	} {
		req := createRequest(t, withHostnames(claim(fmt.Sprintf("hix-q%d", i), "hix-a", "dev"), c.hosts...), true)
		got, want := indexed.Handle(ctx, req), everyClaim.Handle(ctx, req)
		if got.Allowed != want.Allowed || resultMessage(got) != resultMessage(want) {
			t.Errorf("%v: indexed admission allowed=%v %q; reading every claim allowed=%v %q",
				c.hosts, got.Allowed, resultMessage(got), want.Allowed, resultMessage(want))
		}
		if got.Allowed != (len(c.held) == 0) {
			t.Errorf("%v: allowed=%v %q, want conflicts with %v", c.hosts, got.Allowed, resultMessage(got), c.held)
		}
		for _, ns := range c.held {
			if !strings.Contains(resultMessage(got), "held by namespace "+ns) {
				t.Errorf("%v: denial does not name %s: %q", c.hosts, ns, resultMessage(got))
			}
		}
	}

	// Expired reservations of claims the cache shows asking for their hostnames are collected (their ledgers
	// deleted); a fresh one stays.
	old := metav1.NewTime(time.Now().Add(-2 * domains.ReservationTTL))
	for _, r := range []domains.Reservation{
		{Hostname: "api.a.hix.example.com", Namespace: "hix-a1", At: old},
		{Hostname: "hix-d1.d.hix.example.com", Namespace: "hix-d1", At: old},
		{Hostname: "fresh.b.hix.example.com", Namespace: "hix-fresh", At: metav1.Now()},
	} {
		if err := indexed.Ledgers.Change(ctx, domains.Key(r.Hostname), false, func(l *domains.Ledger) (bool, error) {
			l.Reservations = append(l.Reservations, r)
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := indexed.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := indexed.Ledgers.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range all {
		for _, r := range l.Reservations {
			if strings.HasSuffix(r.Hostname, ".hix.example.com") && r.Namespace != "hix-new" {
				kept = append(kept, r.Namespace+" "+r.Hostname)
			}
		}
	}
	if want := []string{"hix-fresh fresh.b.hix.example.com"}; strings.Join(kept, ",") != strings.Join(want, ",") {
		t.Errorf("hostname ledgers hold %v after a collection, want %v", kept, want)
	}
}

func resultMessage(r admission.Response) string {
	if r.Result == nil {
		return ""
	}
	return r.Result.Message
}
