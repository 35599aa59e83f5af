package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/testenv"
)

// The cost pages' test seeds naas up's audit database with known hourly cost rows for the three whole UTC days
// before today (tenant shop: shop-web £0.15 an hour, shop-db £0.02; tenant other: other-app £1.00), then checks in
// headless Chromium that the pages draw exactly those figures, that the CSV link downloads the API's CSV, and that
// outsiders (another tenant's admin and developer, a user in no tenant) get nothing of shop's through the pages or
// the download link. It saves cost-tenant.png, cost-namespace.png and recommendations.png.

// seedCostRows writes the known rows into the SQLite audit database naas up will open.
func seedCostRows(t *testing.T, dataDir string, days []time.Time) {
	t.Helper()
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	store, err := audit.OpenSQLite(filepath.Join(dataDir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const pence = 10_000_000 // nano-units in a penny
	row := func(ns, tenant, cc string, cpu, memory int64) audit.CostRow {
		return audit.CostRow{Namespace: ns, Tenant: tenant, CostCenter: cc, Template: "standard", Tier: "dev", Currency: "GBP",
			Amounts: audit.CostAmounts{CPU: cpu * pence, Memory: memory * pence}}
	}
	for _, day := range days {
		for h := range 24 {
			if err := store.ReplaceCostHour(context.Background(), audit.CostHour{
				Cluster: "local", Hour: day.Add(time.Duration(h) * time.Hour), UsageSource: audit.UsageSourceRequests,
				Rows: []audit.CostRow{
					row("shop-web", "shop", "CC-42", 10, 5),
					row("shop-db", "shop", "CC-42", 2, 0),
					row("other-app", "other", "CC-9", 100, 0),
				},
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestPortal_CostPagesDrawKnownRowsAndKeepThemFromOutsiders(t *testing.T) {
	alice, carol, erin, dave := newPortalUser("alice"), newPortalUser("carol"), newPortalUser("erin"), newPortalUser("dave")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "users.csv")
	var lines []string
	for _, u := range []portalUser{alice, carol, erin, dave} {
		lines = append(lines, fmt.Sprintf("%s,%s,%s", u.token, u.name, u.name))
	}
	if err := os.WriteFile(tokenFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	days := []time.Time{today.AddDate(0, 0, -3), today.AddDate(0, 0, -2), today.AddDate(0, 0, -1)}
	dataDir := filepath.Join(dir, "data")
	seedCostRows(t, dataDir, days)

	b := startBrowser(t)
	p := startUp(t, dataDir, "--token-file", tokenFile)
	defer p.stop(t)
	b.base = "http://" + p.addr
	c := p.client(t)
	ctx := context.Background()
	for _, o := range []client.Object{
		&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "shop"}, Spec: naasv1alpha1.TenantSpec{
			DisplayName: "Shop team", CostCenter: "CC-42",
			Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin}},
		}},
		&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Spec: naasv1alpha1.TenantSpec{
			CostCenter: "CC-9",
			Owners: []naasv1alpha1.Owner{
				{Kind: naasv1alpha1.SubjectUser, Name: "carol", Role: naasv1alpha1.RoleAdmin},
				{Kind: naasv1alpha1.SubjectUser, Name: "erin", Role: naasv1alpha1.RoleDeveloper},
			},
		}},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for name, tenant := range map[string]string{"shop-web": "shop", "shop-db": "shop", "other-app": "other"} {
		claim := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: "standard"}}
		if err := c.Create(ctx, claim); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 90*time.Second, "the namespaces", func() error {
		for _, name := range []string{"shop-web", "shop-db", "other-app"} {
			if err := c.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{}); err != nil {
				return err
			}
		}
		return nil
	})

	// The tenant's daily bars: (15p + 2p) × 24 hours = £4.08 on each seeded day.
	wantBar := func(day time.Time, total string) string { return day.Format("Jan 2") + " " + total }
	chartBars := func() []string {
		return evalJS[[]string](t, b, `Array.from(document.querySelectorAll("svg.stacked g.bar"), g => g.dataset.bucket + " " + g.dataset.total)`)
	}
	t.Run("tenant page draws the seeded days and the chargeback, and the CSV downloads", func(t *testing.T) {
		b.signIn(t, alice.token)
		b.open(t, "/tenants/shop/costs?window=week")
		got := strings.Join(chartBars(), "|")
		for _, d := range days {
			if want := wantBar(d, "4.08"); !strings.Contains(got, want) {
				t.Errorf("bars %s lack %s", got, want)
			}
		}
		if n := evalJS[int](t, b, `document.querySelectorAll('svg.stacked rect[data-series="cpu"]').length`); n != 3 {
			t.Errorf("%d CPU segments, want one per seeded day", n)
		}
		table := b.text(t, "section[aria-labelledby=chargeback]")
		for _, want := range []string{"shop-web", "£10.80", "shop-db", "£1.44"} { // 15p × 72h; 2p × 72h
			if !strings.Contains(table, want) {
				t.Errorf("the chargeback table lacks %s:\n%s", want, table)
			}
		}
		if strings.Contains(b.text(t, "main"), "other-app") {
			t.Errorf("alice's tenant page names another tenant's namespace")
		}
		b.checkPage(t, "cost-tenant")

		downloads := b.allowDownloads(t)
		b.do(t, chromedp.Click(chromedp.ID("csv")))
		var csv []byte
		testenv.Eventually(t, 30*time.Second, "the CSV download", func() error {
			var err error
			if csv, err = os.ReadFile(filepath.Join(downloads, "naas-costs-tenant-shop.csv")); err != nil {
				return err
			}
			if !strings.Contains(string(csv), "shop-web") {
				return errors.New("incomplete")
			}
			return nil
		})
		if strings.Contains(string(csv), "other-app") {
			t.Errorf("alice's CSV has another tenant's namespace:\n%s", csv)
		}
	})

	t.Run("namespace page draws its own line and right-sizing", func(t *testing.T) {
		b.open(t, "/namespaces/shop-web/costs?window=week")
		got := strings.Join(chartBars(), "|")
		for _, d := range days {
			if want := wantBar(d, "3.60"); !strings.Contains(got, want) { // 15p × 24
				t.Errorf("bars %s lack %s", got, want)
			}
		}
		b.checkPage(t, "cost-namespace")
		b.open(t, "/tenants/shop/recommendations")
		b.checkPage(t, "recommendations")
	})

	t.Run("outsiders get nothing of shop's through pages or downloads", func(t *testing.T) {
		for _, u := range []portalUser{carol, erin, dave} {
			b.do(t, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
			b.waitPath(t, "/signin?reason=signedout")
			b.signIn(t, u.token)
			for _, path := range []string{"/tenants/shop/costs", "/namespaces/shop-web/costs", "/tenants/shop/recommendations", "/costcenters/CC-42/costs"} {
				if status := b.open(t, path); status != http.StatusForbidden {
					t.Errorf("%s opens %s: %d, want 403", u.name, path, status)
				}
				if body := b.text(t, "main"); strings.Contains(body, "£") {
					t.Errorf("%s sees figures at %s:\n%s", u.name, path, body)
				}
			}
			// The download link of shop's CSV, with the outsider's session cookie.
			got := evalJS[string](t, b, `fetch("/api/v1/analytics/costs?aggregate=namespace&format=csv&tenant=shop&window=7d").then(async r => r.status + " " + await r.text())`)
			if strings.Contains(got, "shop-web") || strings.Contains(got, "shop-db") {
				t.Errorf("%s downloads shop's CSV: %s", u.name, got)
			}
		}
	})
}
