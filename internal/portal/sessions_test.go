package portal

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/naas-dev/naas/internal/authn"
)

// clock is a settable clock for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestSessions_EndAtTheirLifetimeOrTheTokensExpiry(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	s, err := NewSessions(SessionOptions{TTL: time.Hour, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	u := authn.User{Name: "alice"}
	long := s.Create(u, "t1", "token", time.Time{})
	short := s.Create(u, "t2", "oidc", c.t.Add(10*time.Minute))
	if long.ID == short.ID || len(long.ID) < 40 {
		t.Fatalf("session ids must be long and distinct: %q, %q", long.ID, short.ID)
	}
	c.t = c.t.Add(11 * time.Minute)
	if s.Get(short.ID) != nil {
		t.Error("a session outlived its ID token")
	}
	if got := s.Get(long.ID); got == nil || got.Token != "t1" {
		t.Errorf("session = %+v, want the live one", got)
	}
	c.t = c.t.Add(time.Hour)
	if s.Get(long.ID) != nil {
		t.Error("a session outlived its lifetime")
	}
	if s.Get("") != nil || s.Get("made-up") != nil {
		t.Error("an unknown id found a session")
	}
}

func TestSessions_DropTheSoonestToExpireWhenFull(t *testing.T) {
	c := &clock{t: time.Now()}
	s, _ := NewSessions(SessionOptions{TTL: time.Hour, MaxSessions: 2, Now: c.now})
	first := s.Create(authn.User{Name: "a"}, "a", "token", time.Time{})
	c.t = c.t.Add(time.Minute)
	second := s.Create(authn.User{Name: "b"}, "b", "token", time.Time{})
	third := s.Create(authn.User{Name: "c"}, "c", "token", time.Time{})
	if s.Len() != 2 || s.Get(first.ID) != nil || s.Get(second.ID) == nil || s.Get(third.ID) == nil {
		t.Errorf("sessions = %d; want the first dropped and the others kept", s.Len())
	}
}

func TestSessions_SessionTokenOfTheCookieOrUnauthenticated(t *testing.T) {
	s, _ := NewSessions(SessionOptions{})
	sess := s.Create(authn.User{Name: "a"}, "the-token", "token", time.Time{})
	opts := s.AuthOptions()
	if opts.CookieName != SessionCookie {
		t.Errorf("cookie name = %q", opts.CookieName)
	}
	tok, err := opts.SessionToken(context.Background(), sess.ID)
	if err != nil || tok != "the-token" {
		t.Errorf("token = %q, %v", tok, err)
	}
	s.Delete(sess.ID)
	if _, err := opts.SessionToken(context.Background(), sess.ID); !errors.Is(err, authn.ErrUnauthenticated) {
		t.Errorf("a deleted session gave %v, want ErrUnauthenticated (401, not 503)", err)
	}
}

func TestCSRFToken_IsTiedToItsSession(t *testing.T) {
	s, _ := NewSessions(SessionOptions{})
	other, _ := NewSessions(SessionOptions{})
	tok := s.CSRFToken(bindSession("one"))
	switch {
	case !s.ValidCSRF(bindSession("one"), tok):
		t.Error("the session's own token was refused")
	case s.ValidCSRF(bindSession("two"), tok):
		t.Error("a token was accepted for another session")
	case s.ValidCSRF(bindPreSession("one"), tok):
		t.Error("a session's token was accepted for a pre-session of the same value")
	case other.ValidCSRF(bindSession("one"), tok):
		t.Error("a token made under another key was accepted")
	case s.ValidCSRF(bindSession("one"), ""):
		t.Error("an empty token was accepted")
	}
}

func TestGuardAPI_RefusesCookieWritesWithoutTheCSRFHeader(t *testing.T) {
	s, _ := NewSessions(SessionOptions{})
	sess := s.Create(authn.User{Name: "a"}, "tok", "token", time.Time{})
	reached := false
	h := s.GuardAPI(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reached = true; w.WriteHeader(http.StatusNoContent) }))
	tests := []struct {
		name, method, auth, csrf string
		cookie                   bool
		wantReached              bool
	}{
		{name: "cookie write without the header", method: http.MethodPost, cookie: true},
		{name: "cookie write with another token", method: http.MethodDelete, cookie: true, csrf: s.CSRFToken(bindSession("other"))},
		{name: "cookie write with the session's token", method: http.MethodPost, cookie: true, csrf: s.CSRFToken(bindSession(sess.ID)), wantReached: true},
		{name: "cookie read", method: http.MethodGet, cookie: true, wantReached: true},
		{name: "bearer write", method: http.MethodPost, auth: "Bearer x", cookie: true, wantReached: true},
		{name: "write without credentials (the API answers 401)", method: http.MethodPost, wantReached: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached = false
			r := httptest.NewRequest(tt.method, "/api/v1/namespaces/x", nil)
			if tt.cookie {
				r.AddCookie(&http.Cookie{Name: SessionCookie, Value: sess.ID})
			}
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if tt.csrf != "" {
				r.Header.Set(CSRFHeader, tt.csrf)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if reached != tt.wantReached {
				t.Errorf("reached the API = %v, want %v (status %d)", reached, tt.wantReached, w.Code)
			}
			if !tt.wantReached && w.Code != http.StatusForbidden {
				t.Errorf("status = %d, want 403", w.Code)
			}
		})
	}
}
