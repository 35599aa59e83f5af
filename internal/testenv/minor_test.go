package testenv

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"
)

func TestCheckServerMinor_RefusesAnotherMinorThanAskedFor(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(version.Info{Major: "1", Minor: "36", GitVersion: "v1.36.3"})
	}))
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL}

	if err := checkServerMinor(cfg, "1.36"); err != nil {
		t.Errorf("asked for the server's own minor: %v", err)
	}
	err := checkServerMinor(cfg, "1.37")
	if err == nil || !strings.Contains(err.Error(), "v1.36.3") || !strings.Contains(err.Error(), "make controlplane K8S=1.37") {
		t.Errorf("asked for 1.37 of a 1.36 server: got %v, want an error naming v1.36.3 and how to build 1.37", err)
	}
}
