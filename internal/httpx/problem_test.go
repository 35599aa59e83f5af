package httpx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/naas-dev/naas/internal/httpx"
)

func TestWriteProblem_WritesProblemJSONWithStatusAndKeepsHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Retry-After", "3")
	httpx.WriteProblem(rec, httpx.Problem{
		Status:    http.StatusUnprocessableEntity,
		Detail:    "spec.quota.cpu must be at most 8",
		Instance:  "/api/v1/namespaces",
		Errors:    []httpx.FieldError{{Field: "spec.quota.cpu", Rule: "maximum", Message: "must be at most 8"}},
		RequestID: "req-1",
	})

	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("status = %d, want 422", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", got)
	}
	if got := rec.Header().Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After = %q, want the header set before WriteProblem to be kept", got)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, rec.Body)
	}
	want := map[string]any{
		"type":      "about:blank",
		"title":     "Unprocessable Entity",
		"status":    float64(422),
		"detail":    "spec.quota.cpu must be at most 8",
		"instance":  "/api/v1/namespaces",
		"requestId": "req-1",
		"errors": []any{map[string]any{
			"field": "spec.quota.cpu", "rule": "maximum", "message": "must be at most 8",
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteProblem_DefaultsToInternalServerError(t *testing.T) {
	rec := httptest.NewRecorder()
	httpx.WriteProblem(rec, httpx.Problem{})
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
	var got httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(httpx.Problem{Type: httpx.ProblemInternal, Title: "Internal Server Error", Status: 500}, got); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

func TestNewProblem_TakesPathAndRequestIDFromRequest(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/tenants?limit=3", nil)
	r = r.WithContext(httpx.WithRequestID(r.Context(), "abc"))
	got := httpx.NewProblem(r, http.StatusForbidden, "not an owner of tenant a")
	want := httpx.Problem{Title: "Forbidden", Status: 403, Detail: "not an owner of tenant a", Instance: "/api/v1/tenants", RequestID: "abc"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem mismatch (-want +got):\n%s", diff)
	}
}
