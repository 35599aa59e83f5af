package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/httpx"
	"github.com/naas-dev/naas/internal/localcp"
	"github.com/naas-dev/naas/internal/testenv"
)

// The portal test drives `naas up` with a real headless Chromium, as people use the portal: bob develops in
// tenant shop, alice administers it, carol administers tenant other, and the platform admin signs in with
// naas up's admin token. It saves screenshots of the main pages to test/artifacts/portal/ and, with
// NAAS_UPDATE_SCREENSHOTS=1, to docs/screenshots/ for the README.

// portalUser is one line of the test's token file.
type portalUser struct{ name, token string }

func newPortalUser(name string) portalUser {
	return portalUser{name: name, token: name + "-" + localcp.NewToken()}
}

func TestPortal_DeveloperRequestsWatchesAndUsesANamespace(t *testing.T) {
	bob, alice, carol := newPortalUser("bob"), newPortalUser("alice"), newPortalUser("carol")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "users.csv")
	var lines []string
	for _, u := range []portalUser{bob, alice, carol} {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%q", u.token, u.name, u.name, "team-"+u.name))
	}
	if err := os.WriteFile(tokenFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t) // Before naas up: a missing Chromium fails the test at once.
	p := startUp(t, filepath.Join(dir, "data"), "--token-file", tokenFile, "--grafana-url", "https://grafana.example.com")
	defer p.stop(t)
	b.base = "http://" + p.addr
	adminToken, err := os.ReadFile(filepath.Join(p.dir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	seedPortalWorld(t, p.client(t))

	t.Run("sign-in page is keyboard navigable and signs a developer in", func(t *testing.T) {
		b.open(t, "/")
		b.waitPath(t, "/signin?next=%2F")
		b.checkPage(t, "signin")
		// The first Tab reaches the skip link; following it moves focus to the main content.
		b.do(t, chromedp.KeyEvent(kb.Tab))
		if got := evalJS[string](t, b, `document.activeElement.textContent.trim()`); got != "Skip to main content" {
			t.Errorf("first Tab focuses %q, want the skip link", got)
		}
		b.do(t, chromedp.KeyEvent(kb.Enter))
		if got := evalJS[string](t, b, `document.activeElement.id`); got != "main" {
			t.Errorf("after the skip link, focus is on #%s, want #main", got)
		}
		b.signIn(t, bob.token)
		b.waitPath(t, "/")
		if h := b.text(t, "h1"); h != "My namespaces" {
			t.Errorf("after sign-in the page is %q, want My namespaces", h)
		}
		if body := b.text(t, "main"); !strings.Contains(body, "No namespaces in shop yet") {
			t.Errorf("the empty tenant has no empty state:\n%s", body)
		}
		b.checkPage(t, "namespaces-empty")
	})

	t.Run("catalog shows templates with their runbook and tiers with quotas and budgets", func(t *testing.T) {
		b.open(t, "/catalog")
		body := b.text(t, "main")
		for _, want := range []string{"Standard", "Microservice", "Reviewed", "Development (dev)", "100 USD", "Every quota of each namespace"} {
			if !strings.Contains(body, want) {
				t.Errorf("the catalog lacks %q", want)
			}
		}
		b.checkPage(t, "catalog")
		b.do(t, chromedp.Click(chromedp.CSS(`a[href="/catalog/standard"]`)))
		b.waitPath(t, "/catalog/standard")
		if got := b.text(t, "#runbook"); !strings.Contains(got, "Quota exhausted") {
			t.Errorf("the #runbook anchor alerts link to lacks the runbook: %q", got)
		}
		if got := b.text(t, "main"); !strings.Contains(got, "owner_email") {
			t.Errorf("the template page lacks its parameters")
		}
		b.checkPage(t, "template")
	})

	t.Run("request form shows the API's validation errors at their fields", func(t *testing.T) {
		b.open(t, "/request?template=standard")
		b.do(t,
			chromedp.SendKeys(chromedp.ID("f-name"), "web"),
			chromedp.SendKeys(chromedp.ID("f-parameters-owner_email"), "not-an-address"),
			chromedp.Click(chromedp.CSS(`form[action="/request"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("f-name-error")),
		)
		nameErr, paramErr := b.text(t, "#f-name-error"), b.text(t, "#f-parameters-owner_email-error")
		// The same request to the API gives the same messages for the same fields.
		problem := apiProblem(t, b.base, bob.token, http.MethodPost, "/api/v1/namespaces/request", map[string]any{
			"name": "web", "tenant": "shop", "template": "standard", "parameters": map[string]string{"owner_email": "not-an-address"},
		})
		want := map[string]string{}
		for _, e := range problem.Errors {
			want[e.Field] = e.Message
		}
		if nameErr != want["name"] || paramErr != want["parameters.owner_email"] {
			t.Errorf("form errors name=%q owner_email=%q; the API says %v", nameErr, paramErr, want)
		}
		if got := evalJS[string](t, b, `document.getElementById("f-name").getAttribute("aria-invalid")`); got != "true" {
			t.Errorf("the invalid name input is not marked aria-invalid")
		}
		if got := evalJS[string](t, b, `document.activeElement.id`); got != "error-summary" {
			t.Errorf("focus is on #%s, want the error summary", got)
		}
		b.checkPage(t, "request-errors")
	})

	t.Run("progress reaches Ready live, then the namespace page shows its quota", func(t *testing.T) {
		b.do(t,
			chromedp.SetValue(chromedp.ID("f-name"), "shop-web"),
			chromedp.SetValue(chromedp.ID("f-parameters-owner_email"), "bob@example.com"),
			chromedp.Click(chromedp.CSS(`form[action="/request"] button[type=submit]`)),
		)
		b.waitPath(t, "/namespaces/shop-web")
		if got := b.text(t, "#phase"); got != "Ready" {
			t.Errorf("phase = %q, want Ready", got)
		}
		quota := b.text(t, "section[aria-labelledby=quota]")
		for _, want := range []string{"Pods", "of 50", "CPU (limits)", "of 2"} {
			if !strings.Contains(quota, want) {
				t.Errorf("the quota section lacks %q:\n%s", want, quota)
			}
		}
		if n := evalJS[int](t, b, `document.querySelectorAll("section[aria-labelledby=quota] meter").length`); n < 10 {
			t.Errorf("%d usage bars, want one per quota resource", n)
		}
		page := b.text(t, "main")
		for _, want := range []string{"naas-default-deny", "Denies all incoming traffic", "alice", "namespace.request"} {
			if !strings.Contains(page, want) {
				t.Errorf("the namespace page lacks %q", want)
			}
		}
	})

	t.Run("steps update without a reload while a namespace waits for approval", func(t *testing.T) {
		b.open(t, "/request?template=reviewed")
		b.do(t,
			chromedp.SendKeys(chromedp.ID("f-name"), "shop-db"),
			chromedp.Click(chromedp.CSS(`form[action="/request"] button[type=submit]`)),
		)
		b.waitPath(t, "/namespaces/shop-db/progress")
		b.waitJS(t, "the approval step waits", `document.querySelector('[data-step="Approved"]')?.dataset.status === "approval"`)
		b.checkPage(t, "progress")
		// A mark on this document: it survives only as long as the page is not reloaded.
		b.do(t, chromedp.Evaluate[chromedp.Void](`window.naasTestMark = "same page"`))
		apiProblem(t, b.base, alice.token, http.MethodPost, "/api/v1/approvals/shop-db/approve", map[string]string{"reason": "sized right"})
		b.waitJS(t, "the steps reach Ready on the same page",
			`window.naasTestMark === "same page" && document.querySelector('[data-step="Ready"]')?.dataset.status === "done"`)
		b.waitPath(t, "/namespaces/shop-db")
	})

	t.Run("downloaded kubeconfig works in the namespace and nowhere else, and usage shows on the page", func(t *testing.T) {
		b.open(t, "/namespaces/shop-web")
		downloads := b.allowDownloads(t)
		b.do(t, chromedp.Click(chromedp.ID("kubeconfig")))
		path := filepath.Join(downloads, "shop-web.kubeconfig")
		var kubeconfig []byte
		testenv.Eventually(t, 30*time.Second, "the kubeconfig download", func() error {
			var err error
			if kubeconfig, err = os.ReadFile(path); err != nil {
				return err
			}
			if !bytes.Contains(kubeconfig, []byte("current-context")) {
				return errors.New("incomplete")
			}
			return nil
		})
		cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
		if err != nil {
			t.Fatalf("the downloaded kubeconfig does not load: %v\n%s", err, kubeconfig)
		}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := cs.CoreV1().Pods("shop-web").List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("list pods in shop-web with the downloaded kubeconfig: %v", err)
		}
		if _, err := cs.CoreV1().Pods("other-app").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("list pods of another tenant's namespace: %v, want forbidden", err)
		}
		// A pod made with the kubeconfig counts against the quota the page shows.
		if _, err := cs.CoreV1().Pods("shop-web").Create(ctx, restrictedPod("web-1"), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create a pod with the downloaded kubeconfig: %v", err)
		}
		b.open(t, "/namespaces/shop-web")
		if quota := b.text(t, "section[aria-labelledby=quota]"); !strings.Contains(quota, "1 of 50") || !strings.Contains(quota, "250m of 2") {
			t.Errorf("the quota does not show the pod (1 of 50 pods, 250m of 2 CPUs):\n%s", quota)
		}
		b.checkPage(t, "namespace")
	})

	t.Run("namespace page links the dashboard and the hosts the namespace serves", func(t *testing.T) {
		ctx := context.Background()
		c := p.client(t)
		ing := &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop-web"},
			Spec: networkingv1.IngressSpec{
				TLS:   []networkingv1.IngressTLS{{Hosts: []string{"web.shop.example.com"}, SecretName: "web-tls"}},
				Rules: []networkingv1.IngressRule{{Host: "web.shop.example.com"}},
			},
		}
		if err := c.Create(ctx, ing); err != nil {
			t.Fatal(err)
		}
		b.open(t, "/namespaces/shop-web")
		if links := b.endpointLinks(t); !slices.Contains(links, "https://web.shop.example.com/") {
			t.Errorf("endpoint links %v lack https://web.shop.example.com/", links)
		}
		// A template with monitoring gets a Grafana dashboard, which the page links.
		claim := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "shop-metrics"},
			Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: "shop", Template: "data"}}
		if err := c.Create(ctx, claim); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 60*time.Second, "the dashboard URL of shop-metrics", func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(claim), claim); err != nil {
				return err
			}
			if claim.Status.DashboardURL == "" {
				return fmt.Errorf("phase %s, no dashboard yet", claim.Status.Phase)
			}
			return nil
		})
		b.open(t, "/namespaces/shop-metrics")
		if links := b.endpointLinks(t); !slices.Contains(links, claim.Status.DashboardURL) {
			t.Errorf("endpoint links %v lack the dashboard %s", links, claim.Status.DashboardURL)
		}
	})

	t.Run("another tenant's namespace is a 403 that says what to do", func(t *testing.T) {
		if status := b.open(t, "/namespaces/other-app"); status != http.StatusForbidden {
			t.Errorf("status = %d, want 403", status)
		}
		page := b.text(t, "main")
		for _, want := range []string{"You don't have access", "ask an admin of the tenant", "My namespaces"} {
			if !strings.Contains(page, want) {
				t.Errorf("the 403 page lacks %q:\n%s", want, page)
			}
		}
		b.checkPage(t, "forbidden")
		if status := b.open(t, "/no/such/page"); status != http.StatusNotFound {
			t.Errorf("unknown page: %d, want 404", status)
		}
		b.checkPage(t, "not-found")
	})

	t.Run("delete asks for the typed name", func(t *testing.T) {
		b.open(t, "/namespaces/shop-db")
		b.do(t,
			chromedp.SendKeys(chromedp.ID("confirm"), "shop-d"),
			chromedp.Click(chromedp.CSS(`form[action$="/delete"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("confirm-error")),
		)
		if claim := (&naasv1alpha1.NamespaceClaim{}); p.client(t).Get(context.Background(), client.ObjectKey{Name: "shop-db"}, claim) != nil || claim.DeletionTimestamp != nil {
			t.Fatal("a mistyped name deleted the namespace")
		}
		b.do(t,
			chromedp.SendKeys(chromedp.ID("confirm"), "shop-db"),
			chromedp.Click(chromedp.CSS(`form[action$="/delete"] button[type=submit]`)),
		)
		b.waitPath(t, "/?deleted=shop-db")
		if got := b.text(t, ".notice"); !strings.Contains(got, "shop-db is being deleted") {
			t.Errorf("notice = %q", got)
		}
		b.checkPage(t, "namespaces")
	})

	t.Run("sign-out ends the session", func(t *testing.T) {
		b.do(t, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
		b.waitPath(t, "/signin?reason=signedout")
		if got := evalJS[int](t, b, `fetch("/api/v1/me").then(r => r.status)`); got != http.StatusUnauthorized {
			t.Errorf("the API after sign-out: %d, want 401", got)
		}
		b.open(t, "/namespaces/shop-web")
		b.waitPath(t, "/signin?next=%2Fnamespaces%2Fshop-web")
	})

	t.Run("tenant admin follows a runbook link, signs in and adds and removes a member", func(t *testing.T) {
		// Alerts link to a template's runbook; signing in on the way keeps the section.
		b.open(t, "/catalog/standard#runbook")
		b.waitPath(t, "/signin?next=%2Fcatalog%2Fstandard")
		b.signIn(t, alice.token)
		b.waitPath(t, "/catalog/standard")
		if hash := evalJS[string](t, b, `location.hash`); hash != "#runbook" {
			t.Errorf("after sign-in the page is at %q, want the #runbook section", hash)
		}
		b.open(t, "/tenants/shop")
		b.do(t,
			chromedp.SetValue(chromedp.ID("f-kind"), "User"),
			chromedp.SendKeys(chromedp.ID("f-name"), "dave"),
			chromedp.SetValue(chromedp.ID("f-role"), "viewer"),
			chromedp.Click(chromedp.CSS(`form[action="/tenants/shop/members"] button[type=submit]`)),
		)
		b.waitPath(t, "/tenants/shop?done=dave+is+now+viewer+of+this+tenant.")
		if got := b.text(t, "section[aria-labelledby=members] table"); !strings.Contains(got, "dave") {
			t.Errorf("dave is not listed:\n%s", got)
		}
		b.checkPage(t, "tenant")
		b.do(t, chromedp.Click(chromedp.CSS(`form[action="/tenants/shop/members/remove"]:has(input[value="dave"]) button`)))
		b.waitPath(t, "/tenants/shop?done=dave+is+no+longer+a+member+of+this+tenant.")
		if got := b.text(t, "section[aria-labelledby=members] table"); strings.Contains(got, "dave") {
			t.Errorf("dave is still listed:\n%s", got)
		}
		b.do(t, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
		b.waitPath(t, "/signin?reason=signedout")
	})

	t.Run("platform admin sees every tenant and the approval queue", func(t *testing.T) {
		apiProblem(t, b.base, bob.token, http.MethodPost, "/api/v1/namespaces/request", map[string]any{
			"name": "shop-queue", "tenant": "shop", "template": "reviewed",
		})
		b.signIn(t, strings.TrimSpace(string(adminToken)))
		b.open(t, "/tenants")
		page := b.text(t, "main")
		for _, want := range []string{"All tenants", "Shop team (shop)", "other", "CC-42"} {
			if !strings.Contains(page, want) {
				t.Errorf("the tenants page lacks %q", want)
			}
		}
		b.checkPage(t, "admin-tenants")
		b.open(t, "/approvals")
		b.waitJS(t, "shop-queue is in the queue", `!!document.getElementById("approval-shop-queue")`)
		b.checkPage(t, "approvals")
		b.do(t, chromedp.Click(chromedp.CSS(`#approval-shop-queue button[formaction$="/reject"]`)))
		b.waitJS(t, "a reason is required to reject", `document.querySelector("#approval-shop-queue .error-summary") !== null`)
	})
}

// seedPortalWorld creates the tenants, a template that needs approval and another tenant's namespace.
func seedPortalWorld(t *testing.T, c client.Client) {
	t.Helper()
	ctx := context.Background()
	maxNS := int32(10)
	objs := []client.Object{
		&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop"}, Spec: naasv1alpha1.TenantSpec{
			DisplayName: "Shop team", CostCenter: "CC-42", MaxNamespaces: &maxNS,
			Naming: naasv1alpha1.NamingRules{Prefix: "shop-"},
			Owners: []naasv1alpha1.Owner{
				{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
				{Kind: naasv1alpha1.SubjectUser, Name: "bob", Role: naasv1alpha1.RoleDeveloper},
			},
		}},
		&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Spec: naasv1alpha1.TenantSpec{
			Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "carol", Role: naasv1alpha1.RoleAdmin}},
		}},
		&naasv1alpha1.NamespaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "reviewed"}, Spec: naasv1alpha1.NamespaceTemplateSpec{
			DisplayName: "Reviewed", DefaultTier: "dev", RequiresApproval: true,
			Description:   "A standard namespace that a tenant admin approves first.",
			Documentation: "## Reviewed namespace\n### Runbook\n- Waiting too long: ask a tenant admin to approve it.",
		}},
		&naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "other-app"}, Spec: naasv1alpha1.NamespaceClaimSpec{
			Tenant: "other", Template: "standard",
		}},
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
	testenv.Eventually(t, 60*time.Second, "namespace other-app", func() error {
		ns := &corev1.Namespace{}
		return c.Get(ctx, client.ObjectKey{Name: "other-app"}, ns)
	})
}

// restrictedPod is a pod the dev tier and Pod Security "restricted" admit, and the quota counts. naas up
// schedules it to a simulated node, where kwok shows it Running.
func restrictedPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](1000),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name: "web", Image: "registry.example.com/shop/web:1.0", ImagePullPolicy: corev1.PullAlways,
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
				},
			}},
		},
	}
}

// apiProblem calls the REST API with a bearer token and returns the problem of an error answer (zero on success).
func apiProblem(t *testing.T, base, token, method, path string, body any) httpx.Problem {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, base+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p httpx.Problem
	if resp.StatusCode >= 400 {
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatalf("%s %s: %d without a problem document", method, path, resp.StatusCode)
		}
	}
	return p
}

// portalBrowser is one headless Chromium tab on the portal.
type portalBrowser struct {
	ctx       context.Context
	base      string
	artifacts string
	// docs is where screenshots for the README go; empty unless NAAS_UPDATE_SCREENSHOTS=1.
	docs string
}

// startBrowser starts headless Chromium with a fresh profile. The portal tests need it: a missing browser
// fails the test with how to install it, never skips it.
func startBrowser(t *testing.T) *portalBrowser {
	t.Helper()
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the portal tests drive a real browser, and chromium is not installed: run `make deps` (hack/deps.sh, as root or with sudo; make test does): %v", err)
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b := &portalBrowser{artifacts: filepath.Join(root, "test", "artifacts", "portal")}
	if os.Getenv("NAAS_UPDATE_SCREENSHOTS") == "1" {
		b.docs = filepath.Join(root, "docs", "screenshots")
	}
	for _, d := range []string{b.artifacts, b.docs} {
		if d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 10*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	b.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start chromium (%s): %v", exe, err)
	}
	return b
}

// allowDownloads lets the tab download files, into a new directory it returns.
func (b *portalBrowser) allowDownloads(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
	}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (b *portalBrowser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	// chromedp waits for elements without end: a page without them must fail the test, not hang it.
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v (at %s); the page says:\n%s", err, b.location(), b.bodyText())
	}
}

func evalJS[T any](t *testing.T, b *portalBrowser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// open navigates to path and returns the HTTP status of the page.
func (b *portalBrowser) open(t *testing.T, path string) int64 {
	t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

func (b *portalBrowser) location() string {
	loc, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
	if err != nil {
		return "?"
	}
	return loc
}

// waitPath waits until the tab shows path (with its query).
func (b *portalBrowser) waitPath(t *testing.T, path string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "the browser at "+path, func() error {
		if got := b.location(); got != path {
			return fmt.Errorf("at %s", got)
		}
		state, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.readyState`))
		if err != nil || state != "complete" {
			return fmt.Errorf("document %s: %w", state, err)
		}
		return nil
	})
}

// waitJS waits until expr is true in the page.
func (b *portalBrowser) waitJS(t *testing.T, what, expr string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, what, func() error {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](expr))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s is false at %s", expr, b.location())
		}
		return nil
	})
}

func (b *portalBrowser) text(t *testing.T, css string) string {
	t.Helper()
	// chromedp waits for the element without end: a page without it must fail the test, not hang it.
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v (at %s); the page says:\n%s", css, err, b.location(), b.bodyText())
	}
	return strings.TrimSpace(s)
}

// bodyText is what the page says, for failure messages.
func (b *portalBrowser) bodyText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

// endpointLinks are the links of the namespace page's "Endpoints and domains" section.
func (b *portalBrowser) endpointLinks(t *testing.T) []string {
	t.Helper()
	return evalJS[[]string](t, b, `Array.from(document.querySelectorAll("section[aria-labelledby=endpoints] a"), a => a.href)`)
}

func (b *portalBrowser) signIn(t *testing.T, token string) {
	t.Helper()
	if !strings.HasPrefix(b.location(), "/signin") {
		b.open(t, "/signin")
	}
	b.do(t,
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)),
	)
	testenv.Eventually(t, 30*time.Second, "signed in", func() error {
		if loc := b.location(); strings.HasPrefix(loc, "/signin") {
			return fmt.Errorf("still at %s", loc)
		}
		return nil
	})
}

// checkPage checks what every page must do, at a phone's width (390px) and a laptop's (1280px): no sideways
// scrolling, and a label for every input. Then it saves a screenshot at 1280px.
func (b *portalBrowser) checkPage(t *testing.T, name string) {
	t.Helper()
	for _, width := range []int64{390, 1280} {
		b.do(t, chromedp.EmulateViewport(width, 900))
		sw := evalJS[int](t, b, `document.documentElement.scrollWidth`)
		iw := evalJS[int](t, b, `window.innerWidth`)
		if sw > iw {
			t.Errorf("page %s at %dpx scrolls sideways: scrollWidth %d > innerWidth %d", name, width, sw, iw)
		}
		if width == 390 {
			b.screenshot(t, name+"-390", false)
		}
	}
	unlabelled := evalJS[[]string](t, b, `Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
		.filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
		.map(el => el.name || el.id || el.outerHTML)`)
	if len(unlabelled) > 0 {
		t.Errorf("page %s has inputs without a label: %v", name, unlabelled)
	}
	b.screenshot(t, name, true)
}

func (b *portalBrowser) screenshot(t *testing.T, name string, forDocs bool) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{b.artifacts}
	if forDocs && b.docs != "" {
		dirs = append(dirs, b.docs)
	}
	for _, d := range slices.Compact(dirs) {
		if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
