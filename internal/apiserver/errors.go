package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/httpx"
)

// apiError is an error a handler answers with: a status, a problem type, a detail that says what to change and,
// for validation errors, the fields at fault.
type apiError struct {
	status int
	typ    string
	detail string
	fields []httpx.FieldError
	// retryAfter, in seconds, is sent as Retry-After when set.
	retryAfter int
}

func (e *apiError) Error() string { return e.detail }

func errorf(status int, typ, format string, args ...any) *apiError {
	return &apiError{status: status, typ: typ, detail: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, restv1.ProblemNotFound, format, args...)
}

func forbidden(format string, args ...any) *apiError {
	return errorf(http.StatusForbidden, restv1.ProblemForbidden, format, args...)
}

func conflict(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, restv1.ProblemConflict, format, args...)
}

// unavailableRetryAfter is the Retry-After, in seconds, of a 503: what failed is expected back shortly.
const unavailableRetryAfter = 1

// unavailable is a 503 for a request that may succeed when retried; Retry-After says when.
func unavailable(format string, args ...any) *apiError {
	e := errorf(http.StatusServiceUnavailable, restv1.ProblemUnavailable, format, args...)
	e.retryAfter = unavailableRetryAfter
	return e
}

// retryLater is a 409 for a request that will succeed once naas has caught up; Retry-After says when to retry.
func retryLater(format string, args ...any) *apiError {
	e := conflict(format, args...)
	e.retryAfter = 1
	return e
}

// invalid is a 422 naming the fields at fault. errs use the API's field names (see apiFieldPath).
func invalid(errs field.ErrorList) *apiError {
	return &apiError{
		status: http.StatusUnprocessableEntity,
		typ:    restv1.ProblemValidation,
		detail: summarize(errs),
		fields: fieldErrors(errs),
	}
}

// malformed is a 400 for a body that is not the JSON the endpoint takes.
func malformed(fieldName, rule, format string, args ...any) *apiError {
	e := errorf(http.StatusBadRequest, restv1.ProblemMalformed, format, args...)
	if fieldName != "" {
		e.fields = []httpx.FieldError{{Field: fieldName, Rule: rule, Message: e.detail}}
	}
	return e
}

// summarize is the detail of a validation problem: every field and what to change about it, on one line.
func summarize(errs field.ErrorList) string {
	return summarizeFields(fieldErrors(errs))
}

// summarizeFields is the detail of a problem with field errors fields.
func summarizeFields(fields []httpx.FieldError) string {
	msgs := make([]string, 0, len(fields))
	for _, f := range fields {
		msgs = append(msgs, f.Field+": "+f.Message)
	}
	if len(msgs) == 1 {
		return msgs[0]
	}
	return fmt.Sprintf("%d fields are invalid: %s", len(msgs), strings.Join(msgs, "; "))
}

// fieldErrors maps validation errors to the problem document's field errors. The message is the error's detail,
// which says what to change, or when it has none a sentence made of its type and value.
func fieldErrors(errs field.ErrorList) []httpx.FieldError {
	out := make([]httpx.FieldError, 0, len(errs))
	for _, e := range errs {
		msg := e.Detail
		if msg == "" {
			msg = readableBody(e.Type, e.ErrorBody())
		}
		out = append(out, httpx.FieldError{Field: e.Field, Rule: ruleOf(e), Message: msg})
	}
	return out
}

// readableBody turns the body of a Kubernetes field error ("Not found: \"platinum\"", "Forbidden: a reason",
// "Invalid value: \"x\": a reason") into a sentence: a Forbidden or Required error's reason alone, otherwise
// the type in lower case followed by the rest.
func readableBody(t field.ErrorType, body string) string {
	prefix := t.String()
	rest, ok := strings.CutPrefix(body, prefix)
	if !ok {
		return body
	}
	rest = strings.TrimPrefix(rest, ": ")
	switch {
	case rest == "":
		return strings.ToLower(prefix)
	case t == field.ErrorTypeForbidden || t == field.ErrorTypeRequired:
		return rest
	default:
		return strings.ToLower(prefix) + " " + rest
	}
}

// ruleOf names the rule a field error broke: its origin where the validation set one (tenancy does, e.g.
// "namingPrefix" or "allowedTiers"), otherwise its type.
func ruleOf(e *field.Error) string {
	if e.Origin != "" {
		return e.Origin
	}
	switch e.Type {
	case field.ErrorTypeRequired:
		return "required"
	case field.ErrorTypeNotFound:
		return "notFound"
	case field.ErrorTypeForbidden:
		return "forbidden"
	case field.ErrorTypeNotSupported:
		return "enum"
	case field.ErrorTypeTooLong:
		return "maxLength"
	case field.ErrorTypeTooMany:
		return "maxItems"
	case field.ErrorTypeDuplicate:
		return "unique"
	case field.ErrorTypeTypeInvalid:
		return "type"
	default:
		return "invalid"
	}
}

// indexOrKey matches one [key] or [0] of a field path.
var indexOrKey = regexp.MustCompile(`\[([^\]]*)\]`)

// apiFieldPath maps a field path of a naas object (as tenancy or the API server reports it) to the field of the
// API's request body: metadata.name is "name", spec.tenant is "tenant", spec.owners[0].role is
// "members[0].role", and map keys become path elements (spec.parameters[size] is "parameters.size").
func apiFieldPath(path string) string {
	p := strings.TrimPrefix(path, "metadata.")
	p = strings.TrimPrefix(p, "spec.")
	if strings.HasPrefix(p, "owners") {
		p = "members" + strings.TrimPrefix(p, "owners")
	}
	return indexOrKey.ReplaceAllStringFunc(p, func(m string) string {
		inner := m[1 : len(m)-1]
		if inner != "" && strings.Trim(inner, "0123456789") == "" {
			return m // A list index stays an index.
		}
		return "." + inner
	})
}

// toAPIFields rewrites the paths of errs with apiFieldPath.
func toAPIFields(errs field.ErrorList) field.ErrorList {
	out := make(field.ErrorList, 0, len(errs))
	for _, e := range errs {
		c := *e
		c.Field = apiFieldPath(e.Field)
		out = append(out, &c)
	}
	return out
}

// fromAPIStatus maps an error of the Kubernetes API server, met while writing on the caller's behalf, to the
// problem the caller gets: admission and RBAC refusals keep what they say to change, without the API server's
// framing (which webhook denied, which object), and field causes become field errors, named as the API names
// its fields.
func fromAPIStatus(err error) *apiError {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return nil
	}
	s := status.Status()
	detail := admissionMessage(s.Message)
	switch {
	case apierrors.IsInvalid(err):
		e := &apiError{status: http.StatusUnprocessableEntity, typ: restv1.ProblemValidation, detail: detail}
		var whole []string
		if s.Details != nil {
			for _, c := range s.Details.Causes {
				msg := readableBody(field.ErrorType(c.Type), c.Message)
				if c.Field == "" {
					whole = append(whole, msg) // A cause of the whole object (an admission policy's denial).
					continue
				}
				e.fields = append(e.fields, httpx.FieldError{Field: apiFieldPath(c.Field), Rule: causeRule(c.Type), Message: msg})
			}
		}
		if len(e.fields) > 0 {
			e.detail = strings.Join(append(whole, summarizeFields(e.fields)), "; ")
		}
		return e
	case apierrors.IsForbidden(err):
		return forbidden("the cluster refused the request: %s", detail)
	case apierrors.IsNotFound(err):
		return notFound("%s", detail)
	case apierrors.IsAlreadyExists(err), apierrors.IsConflict(err):
		return conflict("%s", detail)
	case apierrors.IsBadRequest(err):
		return errorf(http.StatusUnprocessableEntity, restv1.ProblemValidation, "%s", detail)
	case apierrors.IsTooManyRequests(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsServiceUnavailable(err):
		return unavailable("the Kubernetes API server is busy or unavailable; retry later")
	case apierrors.IsInternalError(err):
		// The API server could not complete the request: an admission webhook it could not call (a replica of
		// naas that just went away, say) or its storage failed. Nothing the caller sent was wrong.
		return unavailable("the Kubernetes API server could not complete the request (%s); retry later", detail)
	default:
		return nil
	}
}

var (
	// webhookDenial is how kube-apiserver frames a webhook's denial: `admission webhook "name" denied the
	// request: `.
	webhookDenial = regexp.MustCompile(`^admission webhook "[^"]*" denied the request: `)
	// objectRefused is how a Status message names the object refused: `namespaceclaims.naas.dev "x" is
	// forbidden: `, `NamespaceClaim.naas.dev "x" is invalid: `.
	objectRefused = regexp.MustCompile(`^[A-Za-z0-9.-]+( "[^"]*")? is (forbidden|invalid): `)
	// policyDenial is how a ValidatingAdmissionPolicy's denial is framed: `ValidatingAdmissionPolicy 'p' with
	// binding 'b' denied request: `.
	policyDenial = regexp.MustCompile(`^ValidatingAdmissionPolicy '[^']*' with binding '[^']*' denied request: `)
)

// admissionMessage is what an admission denial says, without the framing the API server puts around it.
func admissionMessage(msg string) string {
	msg = webhookDenial.ReplaceAllString(msg, "")
	msg = objectRefused.ReplaceAllString(msg, "")
	return policyDenial.ReplaceAllString(msg, "")
}

func causeRule(t metav1.CauseType) string {
	switch t {
	case metav1.CauseTypeFieldValueRequired:
		return "required"
	case metav1.CauseTypeFieldValueNotFound:
		return "notFound"
	case metav1.CauseTypeFieldValueNotSupported:
		return "enum"
	case metav1.CauseTypeFieldValueDuplicate:
		return "unique"
	case metav1.CauseTypeTooLong:
		return "maxLength"
	case metav1.CauseTypeTooMany:
		return "maxItems"
	case metav1.CauseTypeForbidden:
		return "forbidden"
	default:
		return "invalid"
	}
}

// problemFor turns any error a handler returns into the problem the client gets. Errors the API does not
// expect are logged by the caller and answered with a detail that leaks nothing internal.
func problemFor(r *http.Request, err error) (httpx.Problem, bool) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = fromAPIStatus(err)
	}
	expected := ae != nil
	switch {
	case ae != nil:
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		ae = unavailable("the request timed out or was cancelled; retry")
		expected = true
	default:
		ae = errorf(http.StatusInternalServerError, restv1.ProblemInternal,
			"internal error; report the request id to the platform team")
	}
	p := httpx.NewProblem(r, ae.status, ae.detail)
	p.Type = ae.typ
	p.Errors = ae.fields
	return p, expected
}
