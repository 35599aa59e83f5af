package cluster

import (
	"context"
	"io"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
)

// Guard returns a copy of cfg for naas's calls to the member cluster named name: each request ends after timeout
// (none when timeout is 0), every request in flight ends as soon as the heartbeat finds the member not Reachable
// (Observe), and while it is not, a request fails at once with an *UnavailableError. No reconcile then waits on
// a cluster that stopped answering: a paused or cut-off API server keeps its connections open and answers
// nothing, and without a deadline a call would wait for HTTP/2's health check, a minute or more, holding its
// controller's worker (and the Cluster's status, which says the member is not Reachable) all that time.
//
// Watches are left alone: they are meant to last, and the inventory's reflectors time them out and start them
// again by themselves. The heartbeat's probes do not go through a guard: they are what finds the member back.
func (r *Registry) Guard(name string, cfg *rest.Config, timeout time.Duration) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return &guard{next: next, registry: r, name: name, timeout: timeout}
	})
	return out
}

type guard struct {
	next     http.RoundTripper
	registry *Registry
	name     string
	timeout  time.Duration
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Query().Get("watch") == "true" {
		return g.next.RoundTrip(req)
	}
	reach := g.registry.reachContext(g.name)
	if reach.Err() != nil {
		return nil, g.registry.unreachable(g.name)
	}
	var ctx context.Context
	var cancel context.CancelFunc
	if g.timeout > 0 {
		ctx, cancel = context.WithTimeout(req.Context(), g.timeout)
	} else {
		ctx, cancel = context.WithCancel(req.Context())
	}
	stop := context.AfterFunc(reach, cancel)
	resp, err := g.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		stop()
		cancel()
		if reach.Err() != nil {
			return nil, g.registry.unreachable(g.name)
		}
		return nil, err
	}
	// The deadline covers the body too: it is read after RoundTrip returns.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { stop(); cancel() }}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// reachContext is the context of the member's reachability: it ends when the heartbeat marks the member not
// Reachable, or the member is removed. For a cluster not registered (or the management cluster, which naas
// reaches without a guard), it never ends.
func (r *Registry) reachContext(name string) context.Context {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if m, ok := r.members[name]; ok && m.reach != nil {
		return m.reach
	}
	return context.Background()
}

// unreachable is the error of a call to a member the heartbeat found not Reachable.
func (r *Registry) unreachable(name string) error {
	msg := "its API server stopped answering naas's heartbeats"
	if m, ok := r.Member(name); ok && m.LastError != "" {
		msg += ": " + m.LastError
	}
	return &UnavailableError{Cluster: name, Unreachable: true, Message: msg}
}
