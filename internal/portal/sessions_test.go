package portal

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
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

func TestSessions_WorkOnEveryStoreWithTheSameKeyAndNoOther(t *testing.T) {
	key := bytes.Repeat([]byte{7}, SessionKeySize)
	a, _ := NewSessions(SessionOptions{Key: key})
	b, _ := NewSessions(SessionOptions{Key: key})
	other, _ := NewSessions(SessionOptions{Key: bytes.Repeat([]byte{8}, SessionKeySize)})
	u := authn.User{Name: "alice", UID: "1", Groups: []string{"dev"}}
	sess := a.Create(u, "secret-token", "oidc", time.Time{})
	if strings.Contains(sess.ID, "secret-token") || strings.Contains(sess.ID, "alice") {
		t.Errorf("the cookie shows what it holds: %s", sess.ID)
	}
	got := b.Get(sess.ID)
	if got == nil || got.Token != "secret-token" || got.Method != "oidc" || !reflect.DeepEqual(got.User, u) || !got.Expires.Equal(sess.Expires) {
		t.Fatalf("another store with the same key opened %+v, want %+v", got, sess)
	}
	if b.CSRFToken(bindSession(sess.ID)) != a.CSRFToken(bindSession(sess.ID)) {
		t.Error("stores with the same key made different CSRF tokens")
	}
	if other.Get(sess.ID) != nil {
		t.Error("a store with another key opened the session")
	}
	// Any change to the cookie makes it worthless.
	raw := []byte(sess.ID)
	for _, i := range []int{len(sessionCookieVersion), len(raw) / 2, len(raw) - 1} {
		tampered := append([]byte(nil), raw...)
		tampered[i] ^= 1
		if a.Get(string(tampered)) != nil {
			t.Errorf("a cookie changed at byte %d opened", i)
		}
	}
	if a.Get(strings.TrimPrefix(sess.ID, sessionCookieVersion)) != nil {
		t.Error("a cookie without its version opened")
	}
	if _, err := NewSessions(SessionOptions{Key: []byte("short")}); err == nil {
		t.Error("a short key was accepted")
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
	if _, err := opts.SessionToken(context.Background(), sess.ID+"x"); !errors.Is(err, authn.ErrUnauthenticated) {
		t.Errorf("a changed session cookie gave %v, want ErrUnauthenticated (401, not 503)", err)
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

// An OIDC sign-in started on one replica finishes on another: what it needs travels sealed in the state cookie.
// A value sealed for one use never opens for another.
func TestSeal_OpensOnAnyStoreWithTheKeyAndOnlyForItsUse(t *testing.T) {
	key := bytes.Repeat([]byte{3}, SessionKeySize)
	a, _ := NewSessions(SessionOptions{Key: key})
	b, _ := NewSessions(SessionOptions{Key: key})
	pl := pendingLogin{State: "s", Verifier: "v", Nonce: "n", Next: "/catalog", Expires: 42}
	sealed := a.seal(oidcStateAAD, pl)
	var got pendingLogin
	if !b.open(oidcStateAAD, sealed, &got) || got != pl {
		t.Errorf("another store opened %+v, want %+v", got, pl)
	}
	if b.Get(sealed) != nil {
		t.Error("a sealed sign-in in flight opened as a session")
	}
	sess := a.Create(authn.User{Name: "alice"}, "tok", "token", time.Time{})
	if b.open(oidcStateAAD, sess.ID, &got) {
		t.Error("a session cookie opened as a sign-in in flight")
	}
}
