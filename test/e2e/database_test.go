package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopPostgres()
	os.Exit(code)
}

func TestUp_DatabaseFlagKeepsTheAuditLogInPostgreSQLWithThePasswordFromTheEnvironment(t *testing.T) {
	ctx := context.Background()
	withPassword := testenv.PostgresForTest(t).NewDatabase(t)
	u, err := url.Parse(withPassword)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(testenv.PostgresUser) // The password comes from PGPASSWORD, as libpq's would.
	dsn := u.String()
	t.Setenv("PGPASSWORD", testenv.PostgresPassword)

	dataDir := t.TempDir()
	p := startUp(t, dataDir, "--database", dsn)
	defer p.stop(t)
	tokenBytes, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tokenBytes))
	if err := p.client(t).Create(ctx, &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "pg"},
		Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{
			{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	status, body, err := apiCall(ctx, p.addr, token, http.MethodPost, "/api/v1/namespaces/request",
		map[string]string{"name": "pg-web", "tenant": "pg", "template": "standard"})
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("request a namespace: %d %s %v", status, body, err)
	}

	// The API reads its record back, and the database holds it: another replica would see it.
	testenv.Eventually(t, 30*time.Second, "the request in the audit log", func() error {
		status, body, err := apiCall(ctx, p.addr, token, http.MethodGet, "/api/v1/audit?namespace=pg-web", nil)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("audit query: %d %s %w", status, body, err)
		}
		var page struct{ Items []auditItem }
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		if !slices.ContainsFunc(page.Items, func(e auditItem) bool {
			return e.Action == audit.ActionNamespaceRequest && e.Result == audit.ResultAllowed
		}) {
			return fmt.Errorf("no allowed namespace.request for pg-web in %s", body)
		}
		return nil
	})
	store, err := audit.Open(ctx, withPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	page, err := store.Query(ctx, audit.Query{Namespace: "pg-web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) == 0 {
		t.Error("the PostgreSQL database holds no event of pg-web: naas did not write its audit log there")
	}
	if _, err := os.Stat(filepath.Join(dataDir, "audit.db")); err == nil {
		t.Error("naas up made an SQLite audit.db beside --database postgres://")
	}
	if out := p.out.String(); !strings.Contains(out, "audit log in "+dsn) {
		t.Errorf("naas up does not say where its audit log is (%s):\n%s", dsn, out)
	}
}
