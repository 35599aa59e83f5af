package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/httpx"
)

// apiClient calls the REST API in process, as the signed-in user: every read and write of the portal goes
// through the API's handlers, so the portal gets the API's authentication, authorization (tenancy.Authorize),
// validation, rate limits (a page costs its user one request, see ratelimit.WithErrand) and audit log, and
// its writes impersonate the user so that admission decides.
type apiClient struct {
	h http.Handler
}

// apiError is a non-2xx answer of the API.
type apiError struct {
	Status int
	// RetryAfter is the Retry-After header, in seconds, of a 429 or 409.
	RetryAfter int
	Problem    httpx.Problem
}

func (e *apiError) Error() string {
	if e.Problem.Detail != "" {
		return e.Problem.Detail
	}
	return http.StatusText(e.Status)
}

// asAPIError returns err as an *apiError, if it is one.
func asAPIError(err error) (*apiError, bool) {
	var ae *apiError
	ok := errors.As(err, &ae)
	return ae, ok
}

// hasStatus reports whether err is an API answer with status.
func hasStatus(err error, status int) bool {
	ae, ok := asAPIError(err)
	return ok && ae.Status == status
}

// call sends method path (relative to restv1.Prefix, with its query) with body as JSON, as the user of
// sess, and decodes a 2xx answer into out (when not nil). orig is the portal request being served: its request
// id, remote address and user agent go along, so that the API's access log and audit records tie to it.
func (c apiClient) call(ctx context.Context, orig *http.Request, sess *Session, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode the API request body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, restv1.Prefix+path, rd)
	if err != nil {
		return fmt.Errorf("build API request %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if sess != nil {
		req.Header.Set("Authorization", "Bearer "+sess.Token)
	}
	if orig != nil {
		req.RemoteAddr = orig.RemoteAddr
		req.Header.Set("User-Agent", "naas-portal ("+orig.UserAgent()+")")
		if id := httpx.RequestIDFrom(orig.Context()); id != "" {
			req.Header.Set(restv1.RequestIDHeader, id)
		}
	}
	rec := newResponseBuffer()
	c.h.ServeHTTP(rec, req)
	if rec.status >= 200 && rec.status < 300 {
		if out == nil || rec.body.Len() == 0 {
			return nil
		}
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return fmt.Errorf("decode the API answer to %s %s: %w", method, path, err)
		}
		return nil
	}
	ae := &apiError{Status: rec.status}
	ae.RetryAfter, _ = strconv.Atoi(rec.header.Get("Retry-After"))
	if err := json.Unmarshal(rec.body.Bytes(), &ae.Problem); err != nil || ae.Problem.Status == 0 {
		ae.Problem = httpx.Problem{Status: rec.status, Title: http.StatusText(rec.status), Detail: rec.body.String()}
	}
	return ae
}

// get is call with GET and no body.
func (c apiClient) get(ctx context.Context, orig *http.Request, sess *Session, path string, out any) error {
	return c.call(ctx, orig, sess, http.MethodGet, path, nil, out)
}

// responseBuffer is the ResponseWriter of an in-process API call.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func newResponseBuffer() *responseBuffer {
	return &responseBuffer{header: http.Header{}, status: http.StatusOK}
}

func (b *responseBuffer) Header() http.Header { return b.header }

func (b *responseBuffer) WriteHeader(code int) {
	if b.wrote {
		return
	}
	b.wrote = true
	b.status = code
}

func (b *responseBuffer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// pathf builds an API path with its elements escaped.
func pathf(format string, elems ...string) string {
	args := make([]any, len(elems))
	for i, e := range elems {
		args[i] = url.PathEscape(e)
	}
	return fmt.Sprintf(format, args...)
}
