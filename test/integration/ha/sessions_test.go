package ha

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/portal"
	"github.com/naas-dev/naas/internal/testenv"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches url with c and returns the status and body.
func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", body)
	}
	return m[1]
}

// A portal session is no replica's: signed in on one, the browser is signed in on the other, its CSRF tokens
// are good on both, and it outlives a restart of the replica that signed it in. No sticky sessions needed.
func TestReplicas_PortalSessionWorksOnEitherReplicaAndAfterRestart(t *testing.T) {
	c := newCluster(t)
	a, b := c.start(t, "a"), c.start(t, "b")
	ctx := testenv.Context(t)
	tn := &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "sessions"},
		Spec:       naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin}}},
	}
	if err := env.Client.Create(ctx, tn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, tn) })

	// Sign in on A: the sign-in form's CSRF token comes from B, the browser's pre-session from B too.
	br := browser(t)
	_, page := get(t, br, b.url("/signin"))
	pre, _ := url.Parse(b.url("/"))
	aURL, _ := url.Parse(a.url("/"))
	br.Jar.SetCookies(aURL, br.Jar.Cookies(pre)) // One site behind one name, as a Service makes it.
	resp, err := br.PostForm(a.url("/signin"), url.Values{"csrf": {csrfOf(t, page)}, "token": {env.Token("alice")}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in on A with B's form: %d, want 303", resp.StatusCode)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == portal.SessionCookie {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("sign-in on A set no session cookie")
	}
	bURL, _ := url.Parse(b.url("/"))
	br.Jar.SetCookies(bURL, []*http.Cookie{session})

	// B knows the session, and its page's CSRF token authorises a write on A.
	status, page := get(t, br, b.url("/"))
	if status != http.StatusOK || !strings.Contains(page, "alice") {
		t.Fatalf("portal on B with A's session: %d, want 200 for alice:\n%s", status, page)
	}
	token := csrfOf(t, page)
	write := func(r *replica, csrf string) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.url("/api/v1/namespaces/request"),
			strings.NewReader(`{"name":"sessions-web","tenant":"sessions","template":"standard","parameters":{"owner_email":"alice@example.com"}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(portal.CSRFHeader, csrf)
		req.AddCookie(session)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := write(a, "forged"); got != http.StatusForbidden {
		t.Errorf("cookie write on A with a forged CSRF token: %d, want 403", got)
	}
	if got := write(a, token); got != http.StatusAccepted {
		t.Errorf("cookie write on A with B's CSRF token: %d, want 202", got)
	}
	t.Cleanup(func() {
		_ = env.Client.Delete(ctx, &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "sessions-web"}})
	})

	// A restarts; the session lives on.
	a.restart(t)
	if status, page := get(t, br, a.url("/")); status != http.StatusOK || !strings.Contains(page, "alice") {
		t.Errorf("portal on A after its restart: %d, want 200 for alice", status)
	}
}
