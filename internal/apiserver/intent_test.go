package apiserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/authn"
)

// aliceOnly authenticates the token "alice" as alice.
type aliceOnly struct{}

func (aliceOnly) AuthenticateToken(_ context.Context, token string) (*authn.User, error) {
	if token != "alice" {
		return nil, authn.ErrUnauthenticated
	}
	return &authn.User{Name: "alice"}, nil
}

// deleteWatcher is the caller's client of the intent tests: before each delete reaches the cluster it calls
// before, which looks at the audit store as a crash at that moment would leave it.
type deleteWatcher struct {
	client.Client
	mu      sync.Mutex
	deletes int
	before  func()
}

func (c *deleteWatcher) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.mu.Lock()
	c.deletes++
	c.mu.Unlock()
	if c.before != nil {
		c.before()
	}
	return c.Client.Delete(ctx, obj, opts...)
}

// intentServer is a Server on a cluster with tenant pay (alice admin) and its claim pay-web, auditing to store,
// and the client that carries out alice's writes.
func intentServer(t *testing.T, store audit.Store) (*Server, *deleteWatcher) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := naasv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cluster := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(testTenant("pay", owner(naasv1alpha1.SubjectUser, "alice", naasv1alpha1.RoleAdmin)), testClaim("pay-web", "pay")).
		Build()
	writes := &deleteWatcher{Client: cluster}
	s, err := New(Config{
		Cache: cluster, Reader: cluster, AsCaller: writes, AsNaas: writes,
		Authenticator: aliceOnly{}, Audit: store, Log: logr.Discard(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, writes
}

func deleteAsAlice(s *Server) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodDelete, restv1.Prefix+"/namespaces/pay-web", nil)
	req.Header.Set("Authorization", "Bearer alice")
	req.Header.Set(restv1.RequestIDHeader, "req-1")
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func TestAudit_WriteReachesTheClusterOnlyAfterItsRequestIsOnDisk(t *testing.T) {
	store, err := audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	s, writes := intentServer(t, store)
	var atWrite []audit.Event
	writes.before = func() {
		page, err := store.Query(context.Background(), audit.Query{})
		if err != nil {
			t.Error(err)
		}
		atWrite = page.Events
	}

	rec := deleteAsAlice(s)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("delete as alice: %d %s, want 202", rec.Code, rec.Body)
	}
	if len(atWrite) != 1 || atWrite[0].RequestID != "req-1" || atWrite[0].Action != audit.ActionNamespaceDelete ||
		atWrite[0].User != "alice" || atWrite[0].Namespace != "pay-web" || atWrite[0].Result != audit.ResultPending {
		t.Fatalf("audit log when the delete reached the cluster: %+v, want alice's pending namespace.delete of pay-web, request req-1", atWrite)
	}
	page, err := store.Query(context.Background(), audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].ID != atWrite[0].ID || page.Events[0].Result != audit.ResultAllowed ||
		page.Events[0].Details["status"] != "202" {
		t.Errorf("audit log after the response: %+v, want the same event, allowed with status 202", page.Events)
	}
}

// failingIntents is an audit store that cannot record intents.
type failingIntents struct{ audit.Store }

func (failingIntents) Intend(context.Context, audit.Event) (int64, error) {
	return 0, errors.New("disk full")
}

func TestAudit_RequestIsNotCarriedOutWhenItCannotBeAudited(t *testing.T) {
	store, err := audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	s, writes := intentServer(t, failingIntents{store})
	rec := deleteAsAlice(s)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("delete when the audit log cannot record it: %d (Retry-After %q) %s, want 503 with Retry-After",
			rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if writes.deletes != 0 {
		t.Errorf("the delete reached the cluster %d times without an audit record, want never", writes.deletes)
	}
	// The refusal itself is audited, in one step.
	page, err := store.Query(context.Background(), audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].Result != audit.ResultFailure {
		t.Errorf("audit log: %+v, want the refused request as a failure", page.Events)
	}
}
