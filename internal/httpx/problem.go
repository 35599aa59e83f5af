package httpx

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ProblemContentType is the media type of a problem document (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem type URIs every naas endpoint shares. A client can switch on them; the detail says what to change.
// Packages with problems of their own (the REST API's validation, say) add types under ProblemTypeBase.
const (
	ProblemTypeBase        = "https://naas.dev/problems/"
	ProblemMalformed       = ProblemTypeBase + "malformed-request"
	ProblemUnauthenticated = ProblemTypeBase + "unauthenticated"
	ProblemForbidden       = ProblemTypeBase + "forbidden"
	ProblemCSRF            = ProblemTypeBase + "csrf-token-required"
	ProblemNotFound        = ProblemTypeBase + "not-found"
	ProblemRateLimited     = ProblemTypeBase + "rate-limited"
	ProblemUnavailable     = ProblemTypeBase + "unavailable"
	ProblemInternal        = ProblemTypeBase + "internal"
)

// TypeForStatus is the problem type of a problem that names none: the shared type of its status, or
// "about:blank" (RFC 9457: no more specific than the status) for a status without one.
func TypeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return ProblemMalformed
	case http.StatusUnauthorized:
		return ProblemUnauthenticated
	case http.StatusForbidden:
		return ProblemForbidden
	case http.StatusNotFound:
		return ProblemNotFound
	case http.StatusTooManyRequests:
		return ProblemRateLimited
	case http.StatusServiceUnavailable:
		return ProblemUnavailable
	case http.StatusInternalServerError:
		return ProblemInternal
	default:
		return "about:blank"
	}
}

// Problem is an RFC 9457 problem document with two naas extensions: Errors lists what is wrong with individual
// fields of the request, and RequestID ties the response to server logs and audit records. The `required` tags
// say, for the REST API's OpenAPI document, which fields every problem WriteProblem writes has.
type Problem struct {
	// Type is a URI reference that identifies the problem type. WriteProblem defaults it to TypeForStatus.
	Type string `json:"type,omitempty" required:"true"`
	// Title is a short, human-readable summary of the problem type. WriteProblem defaults it to the status text.
	Title string `json:"title,omitempty" required:"true"`
	// Status is the HTTP status code. WriteProblem defaults it to 500.
	Status int `json:"status" required:"true"`
	// Detail explains this occurrence of the problem, ideally saying what the client should change.
	Detail string `json:"detail,omitempty"`
	// Instance is a URI reference that identifies this occurrence, usually the request path.
	Instance string `json:"instance,omitempty"`
	// Errors lists the invalid fields of the request, if any.
	Errors []FieldError `json:"errors,omitempty"`
	// RequestID is the id of the request that failed.
	RequestID string `json:"requestId,omitempty"`
}

// FieldError says what is wrong with one field of a request.
type FieldError struct {
	// Field is the path of the field, e.g. "spec.quota.cpu".
	Field string `json:"field" required:"true"`
	// Rule names the rule the value broke, e.g. "required", "maxLength", "pattern".
	Rule string `json:"rule,omitempty"`
	// Message says what to change.
	Message string `json:"message" required:"true"`
}

// WriteProblem writes p as the response, with content type application/problem+json and p.Status as the
// status code. Status defaults to 500, Type to TypeForStatus and Title to the status text. Headers the caller
// has already set (for example Retry-After or WWW-Authenticate) are kept.
func WriteProblem(w http.ResponseWriter, p Problem) {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if p.Type == "" {
		p.Type = TypeForStatus(p.Status)
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	body, err := json.Marshal(p)
	if err != nil {
		// A Problem holds only strings and ints, so this cannot happen; fall back to a bare status.
		http.Error(w, http.StatusText(p.Status), p.Status)
		return
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body) // The client hung up; there is no one left to tell.
}

// NewProblem returns the problem for status on request r: Instance is the request path and RequestID the id
// carried in r's context (see WithRequestID).
func NewProblem(r *http.Request, status int, detail string) Problem {
	return Problem{
		Status:    status,
		Title:     http.StatusText(status),
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: RequestIDFrom(r.Context()),
	}
}
