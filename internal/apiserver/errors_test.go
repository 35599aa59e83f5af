package apiserver

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A replica of naas that goes away mid-request makes kube-apiserver fail the admission webhook call it was
// making; the REST API must tell its caller to retry (503 with Retry-After), not report a fault of its own.
func TestFail_ErrorsOfTheClusterAreUnavailableWithRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"webhook call failed", apierrors.NewInternalError(errors.New(`failed calling webhook "vnamespaceclaim.naas.dev": connection refused`)), http.StatusServiceUnavailable},
		{"API server busy", apierrors.NewTooManyRequests("busy", 0), http.StatusServiceUnavailable},
		{"API server unavailable", apierrors.NewServiceUnavailable("down"), http.StatusServiceUnavailable},
		{"conflict stays a conflict", apierrors.NewAlreadyExists(schema.GroupResource{Group: "naas.dev", Resource: "namespaceclaims"}, "a"), http.StatusConflict},
	}
	s := &Server{cfg: Config{Log: logr.Discard()}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/api/v1/namespaces/request", nil)
			r = r.WithContext(withState(r.Context(), &requestState{}))
			s.fail(w, r, tt.err)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if got := w.Header().Get("Retry-After"); (tt.want == http.StatusServiceUnavailable) != (got != "") {
				t.Errorf("Retry-After = %q for %d", got, w.Code)
			}
		})
	}
}
