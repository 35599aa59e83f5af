package apiclient_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/naas-dev/naas/internal/apiserver"
)

// TestDocument_IsTheOneTheServerServes fails when the routes or bodies changed and the client was not
// regenerated: the client is generated from openapi.json, which must be apiserver.Document() as it is now.
func TestDocument_IsTheOneTheServerServes(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var file, served any
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	b, err := json.Marshal(apiserver.Document())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &served); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(served, file); diff != "" {
		t.Errorf("openapi.json is stale: run `make generate` and commit (-served +file):\n%s", diff)
	}
}
