package apiserver

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/httpx"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		optional    bool
		wantStatus  int // 0: decodes
		wantFields  []httpx.FieldError
		want        restv1.NamespaceRequest
	}{
		{
			name: "valid", contentType: "application/json; charset=utf-8",
			body: `{"name":"a","tenant":"t","template":"web","parameters":{"k":"v"}}`,
			want: restv1.NamespaceRequest{Name: "a", Tenant: "t", Template: "web", Parameters: map[string]string{"k": "v"}},
		},
		{name: "+json media type", contentType: "application/vnd.naas+json", body: `{"name":"a"}`, want: restv1.NamespaceRequest{Name: "a"}},
		{name: "empty optional body", body: "", optional: true},
		{name: "empty required body", contentType: "application/json", body: " ", wantStatus: 400},
		{name: "form content type", contentType: "application/x-www-form-urlencoded", body: `name=a`, wantStatus: 415},
		{name: "no content type", body: `{"name":"a"}`, wantStatus: 415},
		{
			name: "unknown field", contentType: "application/json", body: `{"name":"a","namespace":"b"}`, wantStatus: 400,
			wantFields: []httpx.FieldError{{Field: "namespace", Rule: "unknownField"}},
		},
		{
			name: "number for a string", contentType: "application/json", body: `{"name":7}`, wantStatus: 400,
			wantFields: []httpx.FieldError{{Field: "name", Rule: "type"}},
		},
		{
			name: "parameters not an object", contentType: "application/json", body: `{"parameters":["a"]}`, wantStatus: 400,
			wantFields: []httpx.FieldError{{Field: "parameters", Rule: "type"}},
		},
		{
			name: "parameter value not a string", contentType: "application/json", body: `{"parameters":{"replicas":3}}`, wantStatus: 400,
			wantFields: []httpx.FieldError{{Field: "parameters", Rule: "type"}},
		},
		{name: "array body", contentType: "application/json", body: `[1]`, wantStatus: 400},
		{name: "null body", contentType: "application/json", body: ` null`, wantStatus: 400},
		{name: "string body", contentType: "application/json", body: `"a"`, wantStatus: 400},
		{name: "number body", contentType: "application/json", body: `7`, wantStatus: 400},
		{
			name: "NUL in a field", contentType: "application/json", body: `{"name":"a\u0000b"}`, wantStatus: 422,
			wantFields: []httpx.FieldError{{Field: "name", Rule: "controlCharacter"}},
		},
		{
			name: "escape in a parameter value and a key", contentType: "application/json",
			body:       `{"name":"a","parameters":{"k":"\u001b[31m","a\nb":"v"}}`,
			wantStatus: 422,
			wantFields: []httpx.FieldError{{Field: "parameters", Rule: "controlCharacter"}, {Field: "parameters.k", Rule: "controlCharacter"}},
		},
		{name: "malformed", contentType: "application/json", body: `{"name":`, wantStatus: 400},
		{name: "syntax error", contentType: "application/json", body: `{"name" "a"}`, wantStatus: 400},
		{name: "trailing data", contentType: "application/json", body: `{"name":"a"} {"name":"b"}`, wantStatus: 400},
		{name: "too large", contentType: "application/json", body: `{"name":"` + strings.Repeat("a", 200) + `"}`, wantStatus: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			var got restv1.NamespaceRequest
			err := decodeJSON(r, 128, &got, tt.optional)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("decodeJSON: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("decoded (-want +got):\n%s", diff)
				}
				return
			}
			var ae *apiError
			if !errors.As(err, &ae) || ae.status != tt.wantStatus {
				t.Fatalf("decodeJSON error = %v, want status %d", err, tt.wantStatus)
			}
			if ae.detail == "" {
				t.Error("no detail")
			}
			var fields []httpx.FieldError
			for _, f := range ae.fields {
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
				fields = append(fields, httpx.FieldError{Field: f.Field, Rule: f.Rule})
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeJSON_NullBodyIsNotAnObject(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("null"))
	r.Header.Set("Content-Type", "application/json")
	var ae *apiError
	if err := decodeJSON(r, 1024, &restv1.NamespaceRequest{}, false); !errors.As(err, &ae) || ae.status != http.StatusBadRequest ||
		ae.typ != restv1.ProblemMalformed || !strings.Contains(ae.detail, "must be a JSON object, got null") {
		t.Errorf("decodeJSON(null) = %+v, want 400 saying the body must be an object", err)
	}
}

func TestControlCharacters_MultilineFieldsMayHoldLineBreaksOnly(t *testing.T) {
	type body struct {
		Name  string            `json:"name"`
		Notes map[string]string `json:"notes" multiline:"true"`
		Tags  []string          `json:"tags"`
	}
	errs := controlCharacters(reflect.ValueOf(&body{
		Name:  "ok",
		Notes: map[string]string{"a": "line one\nline two\ttabbed", "b": "bell\a"},
		Tags:  []string{"fine", "del\x7f", "c1\u0085"},
	}), nil)
	var got []string
	for _, e := range errs {
		got = append(got, e.Field+" "+e.Origin)
	}
	want := []string{"notes.b controlCharacter", "tags[1] controlCharacter", "tags[2] controlCharacter"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestDecodeJSON_DeclaredLengthOverLimitIsRefusedUnread(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = 1 << 30
	var ae *apiError
	if err := decodeJSON(r, 1024, &restv1.NamespaceRequest{}, false); !errors.As(err, &ae) || ae.status != http.StatusRequestEntityTooLarge {
		t.Errorf("decodeJSON = %v, want 413", err)
	}
}
