package apiserver

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/httpx"
)

// ruleControlCharacter is the rule a string with a control character breaks. No name, reason or label of naas
// needs one, and a NUL or an escape sequence in a name ends up in logs, audit records and terminals.
const ruleControlCharacter = "controlCharacter"

// firstControl returns the first control character of s (C0, DEL or C1), also allowing tab, line feed and
// carriage return when multiline; ok is false when there is none. Invalid UTF-8 counts too, as U+FFFD.
func firstControl(s string, multiline bool) (r rune, ok bool) {
	for _, c := range s {
		if multiline && (c == '\t' || c == '\n' || c == '\r') {
			continue
		}
		if unicode.IsControl(c) || c == utf8.RuneError {
			return c, true
		}
	}
	return 0, false
}

// controlMessage says what is wrong with a value whose first control character is r.
func controlMessage(r rune) string {
	if r == utf8.RuneError {
		return "is not valid UTF-8; send text only"
	}
	return fmt.Sprintf("contains the control character %U; remove it (names and values are plain text)", r)
}

// controlCharacters finds the strings with control characters in a decoded request body v, naming each by its
// JSON path. Fields tagged `multiline:"true"` (free text such as annotation values) may hold tabs and line
// breaks. Map keys never may.
func controlCharacters(v reflect.Value, path *field.Path) field.ErrorList {
	return walkControls(v, path, false)
}

func walkControls(v reflect.Value, path *field.Path, multiline bool) field.ErrorList {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkControls(v.Elem(), path, multiline)
	case reflect.String:
		if r, bad := firstControl(v.String(), multiline); bad {
			return field.ErrorList{controlError(path, r)}
		}
	case reflect.Struct:
		var errs field.ErrorList
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			p := path
			if !f.Anonymous || name != "" {
				if name == "" {
					name = f.Name
				}
				p = childOf(path, name)
			}
			errs = append(errs, walkControls(v.Field(i), p, f.Tag.Get("multiline") == "true")...)
		}
		return errs
	case reflect.Slice, reflect.Array:
		var errs field.ErrorList
		for i := range v.Len() {
			errs = append(errs, walkControls(v.Index(i), path.Index(i), multiline)...)
		}
		return errs
	case reflect.Map:
		var errs field.ErrorList
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			if k.Kind() == reflect.String {
				if r, bad := firstControl(k.String(), false); bad {
					errs = append(errs, controlError(path, r))
					continue
				}
			}
			errs = append(errs, walkControls(v.MapIndex(k), childOf(path, k.String()), multiline)...)
		}
		return errs
	}
	return nil
}

func childOf(path *field.Path, name string) *field.Path {
	if path == nil {
		return field.NewPath(name)
	}
	return path.Child(name)
}

func controlError(path *field.Path, r rune) *field.Error {
	if path == nil {
		path = field.NewPath("body")
	}
	return field.Invalid(path, field.OmitValueType{}, controlMessage(r)).WithOrigin(ruleControlCharacter)
}

// checkParameters refuses a request whose path or query parameters hold a control character (a %00 in the URL,
// say), naming the parameter: 400, since the request is malformed before any field is read.
func checkParameters(rt *route, r *http.Request) *apiError {
	var fields []httpx.FieldError
	for _, m := range wildcard.FindAllStringSubmatch(rt.pattern, -1) {
		if c, bad := firstControl(r.PathValue(m[1]), false); bad {
			fields = append(fields, httpx.FieldError{Field: m[1], Rule: ruleControlCharacter,
				Message: "the path parameter " + controlMessage(c)})
		}
	}
	query := r.URL.Query()
	names := make([]string, 0, len(query))
	for name := range query {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if c, bad := firstControl(name, false); bad {
			fields = append(fields, httpx.FieldError{Field: strings.ToValidUTF8(strings.Map(visible, name), "?"), Rule: ruleControlCharacter,
				Message: "the query parameter's name " + controlMessage(c)})
			continue
		}
		for _, v := range query[name] {
			if c, bad := firstControl(v, false); bad {
				fields = append(fields, httpx.FieldError{Field: name, Rule: ruleControlCharacter,
					Message: "the query parameter " + controlMessage(c)})
				break
			}
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &apiError{status: http.StatusBadRequest, typ: restv1.ProblemMalformed, detail: summarizeFields(fields), fields: fields}
}

// visible replaces control characters by '?', so that a name can be echoed.
func visible(r rune) rune {
	if unicode.IsControl(r) {
		return '?'
	}
	return r
}
