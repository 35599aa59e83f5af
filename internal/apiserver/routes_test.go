package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/httpx"
)

// unusedClient fails the test if a handler reaches the cluster: the tests here stop before any handler runs.
type unusedClient struct{ client.Client }

// refuseAll authenticates no one.
type refuseAll struct{}

func (refuseAll) AuthenticateToken(context.Context, string) (*authn.User, error) {
	return nil, authn.ErrUnauthenticated
}

// failingStore is an audit store whose writes fail.
type failingStore struct{ audit.Store }

func (failingStore) Record(context.Context, audit.Event) error { return errors.New("disk full") }

func newTestServer(t *testing.T, store audit.Store) *Server {
	t.Helper()
	if store == nil {
		var err error
		if store, err = audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db")); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close() })
	}
	s, err := New(Config{
		Cache: unusedClient{}, Reader: unusedClient{}, AsCaller: unusedClient{}, AsNaas: unusedClient{},
		Authenticator: refuseAll{}, Audit: store, Log: logr.Discard(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// documentedOperations lists "METHOD path" for every operation of the document.
func documentedOperations(t *testing.T, doc map[string]any) []string {
	t.Helper()
	var ops []string
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			ops = append(ops, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(ops)
	return ops
}

// concrete fills the wildcards of a documented path with sample values.
func concrete(path string) string {
	return wildcard.ReplaceAllStringFunc(path, func(m string) string {
		if m == "{kind}" {
			return "User"
		}
		return "sample"
	})
}

func serve(s *Server, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestOpenAPI_DocumentsExactlyTheRouteTable(t *testing.T) {
	s := newTestServer(t, nil)
	var want []string
	for _, rt := range routeTable() {
		want = append(want, rt.method+" "+rt.pattern)
	}
	sort.Strings(want)
	// Through JSON, as clients read it.
	raw, err := json.Marshal(s.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, documentedOperations(t, doc)); diff != "" {
		t.Errorf("documented operations differ from the route table (-routes +document):\n%s", diff)
	}
}

func TestOpenAPI_EveryDocumentedOperationIsServed(t *testing.T) {
	s := newTestServer(t, nil)
	for _, op := range documentedOperations(t, s.OpenAPI()) {
		method, path, _ := strings.Cut(op, " ")
		t.Run(op, func(t *testing.T) {
			rec := serve(s, method, concrete(path))
			want := http.StatusUnauthorized // The route exists: it asks who is calling.
			for _, rt := range s.routes {
				if rt.public && rt.pattern == path && rt.method == method {
					want = http.StatusOK
				}
			}
			if rec.Code != want {
				t.Errorf("%s %s = %d, want %d: %s", method, concrete(path), rec.Code, want, rec.Body)
			}
		})
	}
}

func TestOpenAPI_UndocumentedMethodsAndPathsAreProblems(t *testing.T) {
	s := newTestServer(t, nil)
	methods := map[string][]string{}
	for _, op := range documentedOperations(t, s.OpenAPI()) {
		method, path, _ := strings.Cut(op, " ")
		methods[path] = append(methods[path], method)
	}
	for path, allowed := range methods {
		slices.Sort(allowed)
		t.Run(path, func(t *testing.T) {
			method := http.MethodPatch
			if slices.Contains(allowed, method) {
				method = http.MethodTrace
			}
			rec := serve(s, method, concrete(path))
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("%s = %d, want 405", method, rec.Code)
			}
			if got := rec.Header().Get("Allow"); got != strings.Join(allowed, ", ") {
				t.Errorf("Allow = %q, want %q", got, strings.Join(allowed, ", "))
			}
			assertProblem(t, rec, http.StatusMethodNotAllowed)
		})
	}
	for _, path := range []string{restv1.Prefix + "/nope", restv1.Prefix + "/namespaces/a/b/c", restv1.Prefix + "/"} {
		rec := serve(s, http.MethodGet, path)
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
		assertProblem(t, rec, http.StatusNotFound)
	}
}

func assertProblem(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != httpx.ProblemContentType {
		t.Errorf("Content-Type = %q, want %s", ct, httpx.ProblemContentType)
	}
	var p httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("not a problem document: %v: %s", err, rec.Body)
	}
	if p.Status != status || p.Detail == "" || p.RequestID == "" || p.RequestID != rec.Header().Get(restv1.RequestIDHeader) {
		t.Errorf("problem = %+v, want status %d, a detail and the request id of the X-Request-Id header", p, status)
	}
}

func TestOpenAPI_EveryReferenceResolvesAndEveryParameterIsDescribed(t *testing.T) {
	doc := newTestServer(t, nil).OpenAPI()
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if _, ok := schemas[name]; !ok {
					t.Errorf("%s: $ref %s does not resolve", path, ref)
				}
			}
			if v["in"] == "path" || v["in"] == "query" {
				if d, _ := v["description"].(string); d == "" {
					t.Errorf("%s: parameter %v has no description", path, v["name"])
				}
			}
			for k, e := range v {
				walk(path+"/"+k, e)
			}
		case []any:
			for _, e := range v {
				walk(path, e)
			}
		}
	}
	walk("#", doc)
	for _, op := range []string{"requestNamespace", "getNamespaceStatus", "updateNamespaceQuota", "deleteNamespace",
		"listTemplates", "getTemplate", "getUsage", "getCosts"} {
		found := false
		for _, item := range doc["paths"].(map[string]any) {
			for _, o := range item.(map[string]any) {
				found = found || o.(map[string]any)["operationId"] == op
			}
		}
		if !found {
			t.Errorf("operation %s is not documented", op)
		}
	}
}

func TestOpenAPI_RequestSchemaOfNamespaceRequest(t *testing.T) {
	doc := newTestServer(t, nil).OpenAPI()
	schema := doc["components"].(map[string]any)["schemas"].(map[string]any)["NamespaceRequest"].(map[string]any)
	props := schema["properties"].(map[string]any)
	var names []string
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"cluster", "name", "parameters", "template", "tenant", "tier"}, names); diff != "" {
		t.Errorf("NamespaceRequest properties (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"name", "tenant", "template"}, schema["required"]); diff != "" {
		t.Errorf("NamespaceRequest required (-want +got):\n%s", diff)
	}
	if schema["additionalProperties"] != false {
		t.Error("NamespaceRequest allows additional properties, but the API refuses unknown fields")
	}
	params := props["parameters"].(map[string]any)
	if params["type"] != "object" || params["additionalProperties"].(map[string]any)["type"] != "string" {
		t.Errorf("parameters schema = %v, want an object of strings", params)
	}
}

func TestSchemaGen(t *testing.T) {
	type inner struct {
		A string `json:"a"`
	}
	type Embedded struct {
		E int32 `json:"e" required:"true"`
	}
	type sample struct {
		Embedded
		Name    string            `json:"name" required:"true" doc:"The name." enum:"x|y"`
		Opt     *int64            `json:"opt,omitempty"`
		When    time.Time         `json:"when"`
		Labels  map[string]string `json:"labels,omitempty"`
		List    []inner           `json:"list"`
		skipped string
		Ignored string `json:"-"`
	}
	g := &schemaGen{components: map[string]any{}}
	got := g.schema(typeOf[sample]())
	want := map[string]any{
		"type": "object", "additionalProperties": false, "required": []any{"e", "name"},
		"properties": map[string]any{
			"e":      map[string]any{"type": "integer", "format": "int32"},
			"name":   map[string]any{"type": "string", "description": "The name.", "enum": []any{"x", "y"}},
			"opt":    map[string]any{"type": "integer", "format": "int64", "nullable": true},
			"when":   map[string]any{"type": "string", "format": "date-time"},
			"labels": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
			"list":   map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/inner"}},
		},
	}
	if diff := cmp.Diff(map[string]any{"$ref": "#/components/schemas/sample"}, got); diff != "" {
		t.Errorf("schema (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, g.components["sample"]); diff != "" {
		t.Errorf("component (-want +got):\n%s", diff)
	}
	_ = sample{skipped: ""}.skipped
}

func TestHandler_MutatingRequestsAreAuditedEvenWhenRefused(t *testing.T) {
	store, err := audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := newTestServer(t, store)
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, restv1.Prefix + "/namespaces/request"},
		{http.MethodDelete, restv1.Prefix + "/namespaces/web"},
		{http.MethodPost, restv1.Prefix + "/no-such-route"},
		{http.MethodGet, restv1.Prefix + "/namespaces"}, // Not mutating: not audited.
	} {
		serve(s, c.method, c.path)
	}
	page, err := store.Query(context.Background(), audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	type summary struct{ Action, Result, Reason, Status string }
	var got []summary
	for _, e := range page.Events {
		got = append(got, summary{e.Action, e.Result, e.Reason, e.Details["status"]})
	}
	want := []summary{
		{"api.request", audit.ResultDenied, "there is no API route /api/v1/no-such-route; the routes are listed in /api/v1/openapi.json", "404"},
		{"namespace.delete", audit.ResultDenied, "unauthenticated: no valid credentials", "401"},
		{"namespace.request", audit.ResultDenied, "unauthenticated: no valid credentials", "401"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit events, newest first (-want +got):\n%s", diff)
	}
}

func TestRecorder_SuccessThatCannotBeAuditedBecomes500(t *testing.T) {
	s := newTestServer(t, failingStore{})
	r := httptest.NewRequest(http.MethodPost, restv1.Prefix+"/x", nil)
	r = r.WithContext(httpx.WithRequestID(withState(r.Context(), &requestState{}), "req-1"))
	rec := httptest.NewRecorder()
	w := &recorder{ResponseWriter: rec, s: s, r: r, st: stateOf(r)}
	w.Header().Set("Location", "/somewhere")
	s.writeJSON(w, http.StatusAccepted, map[string]string{"ok": "yes"})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if rec.Header().Get("Location") != "" || strings.Contains(rec.Body.String(), "yes") {
		t.Errorf("the success response leaked: headers %v body %s", rec.Header(), rec.Body)
	}
	p := assertProblemBody(t, rec)
	if !strings.Contains(p.Detail, "could not be recorded in the audit log") {
		t.Errorf("detail = %q", p.Detail)
	}

	// A refusal that cannot be audited is still a refusal.
	rec = httptest.NewRecorder()
	w = &recorder{ResponseWriter: rec, s: s, r: r, st: stateOf(r)}
	s.writeProblem(w, r, forbidden("no"))
	if rec.Code != http.StatusForbidden {
		t.Errorf("status = %d, want the 403 unchanged", rec.Code)
	}
}

func assertProblemBody(t *testing.T, rec *httptest.ResponseRecorder) httpx.Problem {
	t.Helper()
	var p httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("not a problem document: %v: %s", err, rec.Body)
	}
	return p
}

func TestRequestID(t *testing.T) {
	if got := requestID("abc-123_x.y:z"); got != "abc-123_x.y:z" {
		t.Errorf("a plain client id was replaced by %q", got)
	}
	for _, bad := range []string{"", "has space", "new\nline", strings.Repeat("a", 129), "<script>"} {
		got := requestID(bad)
		if got == bad || len(got) != 32 {
			t.Errorf("requestID(%q) = %q, want a fresh 32-character id", bad, got)
		}
	}
	if first, second := requestID(""), requestID(""); first == second {
		t.Error("two fresh request ids are equal")
	}
}
