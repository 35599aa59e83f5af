package apiserver

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/naas-dev/naas/internal/httpx"
)

// OpenAPIVersion is the OpenAPI version of the document.
const OpenAPIVersion = "3.0.3"

// wildcard matches the {name} wildcards of a route pattern, which OpenAPI writes the same way.
var wildcard = regexp.MustCompile(`\{([^}]+)\}`)

// License is the licence the API document names.
var License = map[string]any{"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"}

// OpenAPI returns the OpenAPI 3 document of the API, built from the route table the mux is built from.
func (s *Server) OpenAPI() map[string]any { return s.openapi }

// Document returns the OpenAPI 3 document of the API, as every Server serves it: clients are generated from it
// (test/e2e/apiclient).
func Document() map[string]any { return buildOpenAPI(routeTable()) }

func (s *Server) getOpenAPI(w http.ResponseWriter, _ *http.Request) {
	s.writeJSON(w, http.StatusOK, s.openapi)
}

// buildOpenAPI documents routes. Schemas are derived from the Go types of the bodies (see schemaGen).
func buildOpenAPI(routes []*route) map[string]any {
	g := &schemaGen{components: map[string]any{}}
	problem := g.schema(reflect.TypeFor[httpx.Problem]())
	paths := map[string]any{}
	for _, rt := range routes {
		item, _ := paths[rt.pattern].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.pattern] = item
		}
		item[strings.ToLower(rt.method)] = operation(g, rt, problem)
	}
	return map[string]any{
		"openapi": OpenAPIVersion,
		"info": map[string]any{
			"title":   "naas API",
			"version": "v1",
			"description": "Namespace-as-a-Service: request namespaces from a catalog, follow their provisioning, manage " +
				"tenants and approvals, and read usage, budgets and the audit log. Errors are RFC 9457 problem documents " +
				"(application/problem+json) that name the fields at fault. Every response carries an X-Request-Id header.",
			"license": License,
		},
		// The paths are absolute (they start with /api/v1), so the server is the root of the host that serves this
		// document.
		"servers": []any{map[string]any{"url": "/", "description": "The naas server that serves this document."}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{
					"type": "http", "scheme": "bearer",
					"description": "An OIDC ID or access token from the configured issuer, or a token of the static token file.",
				},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}},
		"tags": []any{
			map[string]any{"name": tagNamespaces, "description": "Request, follow, resize and delete namespaces."},
			map[string]any{"name": tagCatalog, "description": "The templates and tiers namespaces are made from."},
			map[string]any{"name": tagTenants, "description": "Tenants and their members."},
			map[string]any{"name": tagApprovals, "description": "Namespaces whose template requires an approval."},
			map[string]any{"name": tagAnalytics, "description": "Quota usage and budgets."},
			map[string]any{"name": tagClusters, "description": "The clusters namespaces are placed on: platform admins register and manage them; tenants see those they may use."},
			map[string]any{"name": tagAudit, "description": "Who did what, when, with what result."},
			map[string]any{"name": tagMeta, "description": "The API itself and the caller."},
		},
	}
}

// operation documents one route.
func operation(g *schemaGen, rt *route, problem map[string]any) map[string]any {
	op := map[string]any{
		"operationId": rt.operationID,
		"summary":     rt.summary,
		"tags":        []any{rt.tag},
	}
	if rt.description != "" {
		op["description"] = rt.description
	}
	if rt.public {
		op["security"] = []any{}
	}
	var params []any
	for _, m := range wildcard.FindAllStringSubmatch(rt.pattern, -1) {
		params = append(params, map[string]any{
			"name": m[1], "in": "path", "required": true, "description": rt.params[m[1]],
			"schema": map[string]any{"type": "string"},
		})
	}
	for _, q := range rt.query {
		schema := map[string]any{"type": "string"}
		switch q.typ {
		case "integer":
			schema = map[string]any{"type": "integer"}
		case "date-time":
			schema = map[string]any{"type": "string", "format": "date-time"}
		}
		params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.description, "schema": schema})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.body != nil {
		op["requestBody"] = map[string]any{
			"required": !rt.optionalBody,
			"content":  map[string]any{"application/json": map[string]any{"schema": g.schema(rt.body)}},
		}
	}
	responses := map[string]any{}
	for _, resp := range rt.responses {
		r := map[string]any{"description": resp.description}
		if resp.body != nil {
			contentType := resp.contentType
			if contentType == "" {
				contentType = "application/json"
			}
			r["content"] = map[string]any{contentType: map[string]any{"schema": g.schema(resp.body)}}
		}
		if resp.location {
			r["headers"] = map[string]any{"Location": map[string]any{
				"description": "URL of the resource's status.", "schema": map[string]any{"type": "string"},
			}}
		}
		responses[strconv.Itoa(resp.status)] = r
	}
	for _, status := range errorStatuses(rt) {
		responses[strconv.Itoa(status)] = map[string]any{
			"description": errorDescriptions[status],
			"content":     map[string]any{httpx.ProblemContentType: map[string]any{"schema": problem}},
		}
	}
	op["responses"] = responses
	return op
}

var errorDescriptions = map[int]string{
	400: "The request is malformed: not a JSON object, unknown fields, wrong types, or bad query parameters (control characters included). The problem names the field.",
	401: "No credentials, or credentials that authenticate no one (unknown, expired, wrong audience).",
	403: "The caller may not do this; the detail says which role would be allowed.",
	404: "No such object, or none the caller may see.",
	409: "The request conflicts with the object's state; the detail says what to do.",
	413: "The request body is over the size limit.",
	415: "The request body is not JSON.",
	422: "The request is well-formed but invalid; the problem names each field and the rule it breaks.",
	429: "Over the caller's or the tenant's request rate, or too many failed authentications from the client's address; retry after the Retry-After header's seconds.",
	500: "Internal error; report the request id.",
	503: "A dependency (the identity provider or the Kubernetes API server) is unavailable; retry later.",
}

// errorStatuses are the error responses of rt: what every route may answer, plus its own.
func errorStatuses(rt *route) []int {
	set := map[int]bool{500: true}
	if !rt.public {
		set[401], set[429], set[503] = true, true, true
	}
	if rt.body != nil {
		set[400], set[413], set[415], set[422] = true, true, true, true
	}
	for _, e := range rt.errors {
		set[e] = true
	}
	out := make([]int, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	return sortInts(out)
}

func sortInts(s []int) []int {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// schemaGen derives JSON schemas from Go types: named structs become components referenced by $ref, their
// properties come from the json tags, `required:"true"` makes a property required, `doc` describes it and
// `enum` (values separated by "|") restricts it. Request bodies are decoded with unknown fields refused, so
// every object schema has additionalProperties false.
type schemaGen struct {
	components map[string]any
}

var (
	timeType = reflect.TypeFor[time.Time]()
	anyType  = reflect.TypeFor[any]()
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case anyType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if ref, ok := s["$ref"]; ok {
			// OpenAPI 3.0 ignores nullable without a type, and a $ref takes no siblings: wrap it, with the type
			// of the object it refers to (only structs become components).
			return map[string]any{"allOf": []any{map[string]any{"$ref": ref}}, "type": "object", "nullable": true}
		}
		out := map[string]any{"nullable": true}
		for k, v := range s {
			out[k] = v
		}
		return out
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Int64, reflect.Uint64, reflect.Uint:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32:
		return map[string]any{"type": "number", "format": "float"}
	case reflect.Float64:
		return map[string]any{"type": "number", "format": "double"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		if t.Elem() == anyType {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if name == "" {
			return g.object(t)
		}
		ref := "#/components/schemas/" + name
		if _, done := g.components[name]; !done {
			g.components[name] = map[string]any{} // Placeholder against recursion.
			g.components[name] = g.object(t)
		}
		return map[string]any{"$ref": ref}
	default:
		panic(fmt.Sprintf("apiserver: no JSON schema for %s", t))
	}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []any
	g.fields(t, props, &required)
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			g.fields(f.Type, props, required) // Embedded: flattened, as encoding/json does.
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		if doc := f.Tag.Get("doc"); doc != "" {
			s = withKey(s, "description", doc)
		}
		if enum := f.Tag.Get("enum"); enum != "" {
			var values []any
			for v := range strings.SplitSeq(enum, "|") {
				values = append(values, v)
			}
			s = withKey(s, "enum", values)
		}
		props[name] = s
		if f.Tag.Get("required") == "true" {
			*required = append(*required, name)
		}
	}
}

// withKey adds a keyword to a schema; a $ref cannot carry siblings in OpenAPI 3.0, so it is wrapped in allOf.
func withKey(s map[string]any, k string, v any) map[string]any {
	if ref, ok := s["$ref"]; ok {
		s = map[string]any{"allOf": []any{map[string]any{"$ref": ref}}}
	}
	out := map[string]any{k: v}
	for key, val := range s {
		out[key] = val
	}
	return out
}
