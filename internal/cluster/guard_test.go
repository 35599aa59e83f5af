package cluster

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// hangingServer answers nothing until the test ends, as a paused API server.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

func get(t *testing.T, cfg *rest.Config, path string) (time.Duration, error) {
	t.Helper()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, cfg.Host+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err == nil {
		_ = resp.Body.Close()
	}
	return time.Since(start), err
}

func TestGuard_CallsEndWhenMemberTurnsUnreachable(t *testing.T) {
	srv := hangingServer(t)
	r := NewRegistry(&Target{Name: Local})
	r.Register("member-1", "k", &rest.Config{Host: srv.URL})
	cfg := r.Guard("member-1", &rest.Config{Host: srv.URL}, time.Minute)

	done := make(chan error, 1)
	go func() { _, err := get(t, cfg, "/api/v1/nodes"); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("the call ended before the member was marked unreachable: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	r.Observe("member-1", errors.New("GET /readyz: timeout"), time.Now(), 1)
	select {
	case err := <-done:
		var unavailable *UnavailableError
		if !errors.As(err, &unavailable) || !unavailable.Unreachable {
			t.Errorf("the call in flight ended with %v, want an *UnavailableError (unreachable)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight did not end when the member was marked unreachable")
	}

	// While unreachable, a call fails at once.
	took, err := get(t, cfg, "/api/v1/nodes")
	var unavailable *UnavailableError
	if !errors.As(err, &unavailable) || took > 5*time.Second {
		t.Errorf("a call to an unreachable member: %v after %s, want an *UnavailableError at once", err, took)
	}

	// Reachable again: calls go through again (and wait for the server, here until the deadline).
	r.Observe("member-1", nil, time.Now(), 1)
	short := r.Guard("member-1", &rest.Config{Host: srv.URL}, 300*time.Millisecond)
	took, err = get(t, short, "/api/v1/nodes")
	if !errors.Is(err, context.DeadlineExceeded) || took > 10*time.Second {
		t.Errorf("a call to a reachable member that does not answer: %v after %s, want the deadline", err, took)
	}
}

func TestGuard_WatchesAreLeftAlone(t *testing.T) {
	srv := hangingServer(t)
	r := NewRegistry(&Target{Name: Local})
	r.Register("member-1", "k", &rest.Config{Host: srv.URL})
	cfg := r.Guard("member-1", &rest.Config{Host: srv.URL}, 100*time.Millisecond)
	r.Observe("member-1", errors.New("down"), time.Now(), 1)
	done := make(chan error, 1)
	go func() { _, err := get(t, cfg, "/api/v1/namespaces?watch=true"); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("a watch ended by the guard: %v", err)
	case <-time.After(time.Second):
	}
}
