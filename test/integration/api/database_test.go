package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

func TestAPI_AuditInPostgreSQLIsSharedWithOtherReplicasAndHidesThePassword(t *testing.T) {
	dsn := testenv.PostgresForTest(t).NewDatabase(t)
	var (
		mu       sync.Mutex
		progress []string
	)
	p := startPlatform(t, platformConfig{database: dsn, mutate: func(o *setup.Options) {
		o.Progress = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			progress = append(progress, fmt.Sprintf(format, args...))
		}
	}})
	createTenant(t, "pgaud", nil, user("bob", naasv1alpha1.RoleDeveloper))

	r := p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request",
		map[string]any{"name": "pgaud-web", "tenant": "pgaud", "template": "standard"})
	expect(t, r, http.StatusAccepted, "request a namespace")
	requestID := r.header.Get("X-Request-Id")
	byNamespace := url.Values{"namespace": {"pgaud-web"}}
	poll(t, 10*time.Second, "the request in the audit log", func() error {
		for _, e := range p.auditOf(t, as("platform-admin"), byNamespace) {
			if e.RequestID == requestID && e.Action == audit.ActionNamespaceRequest && e.Result == audit.ResultAllowed {
				return nil
			}
		}
		return fmt.Errorf("no allowed namespace.request %s yet", requestID)
	})

	// Another replica opens the same database: it reads what this one recorded, and this one reads its records.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	other, err := audit.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	page, err := other.Query(ctx, audit.Query{Namespace: "pgaud-web"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(page.Events, func(e audit.Event) bool { return e.RequestID == requestID }) {
		t.Errorf("another replica does not find request %s in the shared database: %+v", requestID, page.Events)
	}
	if err := other.Record(ctx, audit.Event{User: "replica-2", Action: audit.ActionQuotaUpdate, Tenant: "pgaud",
		Namespace: "pgaud-web", Result: audit.ResultAllowed}); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(p.auditOf(t, as("platform-admin"), byNamespace), func(e auditEvent) bool { return e.User == "replica-2" }) {
		t.Error("the API does not show the other replica's record")
	}

	mu.Lock()
	defer mu.Unlock()
	shown := strings.Join(progress, "\n")
	if !strings.Contains(shown, "audit log in postgres://") {
		t.Errorf("naas does not say where its audit log is:\n%s", shown)
	}
	if strings.Contains(shown, testenv.PostgresPassword) {
		t.Errorf("naas shows the database password:\n%s", shown)
	}
}
