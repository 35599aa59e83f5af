package apiserver

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPI_DocumentValidatesWithAnOpenAPILibrary checks the document the way a team scripting against the
// API would, with a library made for it: kin-openapi loads and validates it against the OpenAPI 3.0
// specification (references resolve, schemas are well-formed, nullable has a type, path parameters are
// declared), with every optional check on.
func TestOpenAPI_DocumentValidatesWithAnOpenAPILibrary(t *testing.T) {
	raw, err := json.Marshal(Document())
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableSchemaPatternValidation(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3.0: %v", err)
	}
	if doc.Info.License == nil || doc.Info.License.Name == "" {
		t.Error("the document names no licence")
	}
	if len(doc.Servers) == 0 {
		t.Error("the document names no server")
	}
	// nullable is only meaningful beside a type in OpenAPI 3.0: a schema with one and not the other is ignored
	// by validators and generators alike.
	for name, ref := range doc.Components.Schemas {
		for prop, p := range ref.Value.Properties {
			if p.Value.Nullable && p.Value.Type == nil {
				t.Errorf("%s.%s is nullable without a type", name, prop)
			}
		}
	}
}
