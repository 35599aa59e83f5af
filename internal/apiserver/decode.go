package apiserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

// DefaultMaxBodyBytes bounds request bodies unless Config.MaxBodyBytes says otherwise. The largest body the API
// takes, a tenant with hundreds of members, fits many times over.
const DefaultMaxBodyBytes = 1 << 20

// decodeJSON reads r's body into dst: a JSON object of exactly dst's shape. It answers 415 for a body that is
// not declared as JSON, 413 for one over limit bytes, and 400 naming the field for malformed JSON, unknown
// fields, values of the wrong type and data after the object. With optional, an empty body leaves dst alone.
func decodeJSON(r *http.Request, limit int64, dst any, optional bool) error {
	body, err := readBody(r, limit)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return malformed("", "", "the request body is empty; send a JSON object (Content-Type: application/json)")
	}
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	return unmarshalStrict(body, dst)
}

// readBody reads at most limit bytes of r's body.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, malformed("", "", "cannot read the request body: %v", err)
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return body, nil
}

func tooLarge(limit int64) *apiError {
	return errorf(http.StatusRequestEntityTooLarge, restv1.ProblemTooLarge,
		"the request body is larger than the limit of %d bytes", limit)
}

// checkJSONContentType accepts application/json and the +json media types, with any parameters.
func checkJSONContentType(ct string) error {
	if ct == "" {
		return errorf(http.StatusUnsupportedMediaType, restv1.ProblemMediaType,
			"the request has a body but no Content-Type; send it as JSON with Content-Type: application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return errorf(http.StatusUnsupportedMediaType, restv1.ProblemMediaType,
		"Content-Type %q is not supported; send the body as JSON with Content-Type: application/json", ct)
}

// unmarshalStrict decodes one JSON object into dst, refusing anything but an object (null included), unknown
// fields, trailing data and strings with control characters.
func unmarshalStrict(body []byte, dst any) error {
	if err := requireObject(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, reflect.TypeOf(dst))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return malformed("", "", "the request body has data after the JSON object; send exactly one object")
	}
	if errs := controlCharacters(reflect.ValueOf(dst), nil); len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

// requireObject refuses a body whose JSON value is not an object: encoding/json would decode null into an
// untouched struct, and the caller would hear of missing fields rather than of a body that is not an object.
func requireObject(body []byte) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] == '{' {
		return nil
	}
	var what string
	switch c := trimmed[0]; {
	case bytes.HasPrefix(trimmed, []byte("null")):
		what = "null"
	case c == '[':
		what = "an array"
	case c == '"':
		what = "a string"
	case c == 't' || c == 'f':
		what = "a boolean"
	case c == '-' || (c >= '0' && c <= '9'):
		what = "a number"
	default:
		return nil // Not JSON at all: the decoder says where.
	}
	return malformed("", "", "the request body must be a JSON object, got %s; send the fields as {\"name\": ...}", what)
}

// jsonError explains an error decoding into a value of type dst, naming the field where encoding/json knows it.
func jsonError(err error, dst reflect.Type) *apiError {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return malformed("", "", "the request body is not valid JSON (at byte %d): %v", syntax.Offset, err)
	case errors.As(err, &typeErr):
		name := typeErr.Field
		if name == "" {
			return malformed("", "", "the request body must be a JSON object, got a JSON %s", typeErr.Value)
		}
		if f := fieldType(dst, name); f != nil && f.Kind() == reflect.Map && f.Elem() == typeErr.Type {
			// encoding/json names the map, not the key whose value is wrong.
			return malformed(name, "type", "the values of field %q must all be %s, got a JSON %s", name, describeType(typeErr), typeErr.Value)
		}
		return malformed(name, "type", "field %q must be %s, got a JSON %s", name, describeType(typeErr), typeErr.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("", "", "the request body ends in the middle of the JSON object")
	}
	// encoding/json reports unknown fields only as text: `json: unknown field "x"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return malformed(name, "unknownField", "field %q is not part of this request; check its spelling against the API document (/api/v1/openapi.json)", name)
	}
	return malformed("", "", "the request body cannot be decoded: %v", err)
}

// fieldType is the type of the field at the dotted JSON path in struct type t, nil if there is none.
func fieldType(t reflect.Type, path string) reflect.Type {
	for name := range strings.SplitSeq(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		var next reflect.Type
		for i := range t.NumField() {
			f := t.Field(i)
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
				next = f.Type
			}
		}
		if next == nil {
			return nil
		}
		t = next
	}
	return t
}

// describeType names the JSON type a Go type is decoded from.
func describeType(e *json.UnmarshalTypeError) string {
	switch k := e.Type.Kind(); k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map:
		if e.Type.Elem().Kind() == reflect.String {
			return "an object of strings"
		}
		return "an object"
	case reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return fmt.Sprintf("a %s", e.Type)
	}
}
