package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	"github.com/naas-dev/naas/internal/testenv"
	"github.com/naas-dev/naas/test/e2e/apiclient"
)

// TestUp_AGeneratedClientRequestsFollowsAndDeletesANamespace drives `naas up` with the Go client oapi-codegen
// generated from the API's OpenAPI document (test/e2e/apiclient), the way a team scripting against the API
// would: the document naas serves is the one the client was generated from, and every call decodes into the
// generated types, errors included. The README's sample of what naas up prints is checked against the real
// output on the way.
func TestUp_AGeneratedClientRequestsFollowsAndDeletesANamespace(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	p := startUp(t, dataDir)
	defer p.stop(t)
	base := "http://" + p.addr

	t.Run("the README shows what naas up prints", func(t *testing.T) {
		checkREADMEBanner(t, p.out.String())
	})

	// The server serves the document the client was generated from.
	resp, err := http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	generatedFrom, err := os.ReadFile(filepath.Join(root, "test", "e2e", "apiclient", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(served, &a); err != nil {
		t.Fatalf("/api/v1/openapi.json: %v", err)
	}
	if err := json.Unmarshal(generatedFrom, &b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("naas serves another document than the client was generated from; run `make generate` (-served +generated from):\n%s", diff)
	}

	token, err := os.ReadFile(filepath.Join(dataDir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := apiclient.NewClientWithResponses(base, apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}

	tenant, err := c.CreateTenantWithResponse(ctx, apiclient.TenantInput{
		Name:    ptr.To("gen"),
		Members: &[]apiclient.Member{{Kind: apiclient.User, Name: "alice", Role: apiclient.MemberRoleAdmin}},
	})
	if err != nil || tenant.JSON201 == nil || tenant.JSON201.Name == nil || *tenant.JSON201.Name != "gen" {
		t.Fatalf("create tenant: %v %s", err, body(tenant))
	}

	// A bad request's problem decodes into the generated Problem, naming the field.
	bad, err := c.RequestNamespaceWithResponse(ctx, apiclient.NamespaceRequest{Name: "gen-web", Tenant: "gen", Template: "standard", Tier: ptr.To("platinum")})
	if err != nil || bad.ApplicationproblemJSON422 == nil || bad.ApplicationproblemJSON422.Errors == nil {
		t.Fatalf("request with an unknown tier: %v %s, want a 422 problem", err, body(bad))
	}
	if errs := *bad.ApplicationproblemJSON422.Errors; len(errs) != 1 || errs[0].Field != "tier" {
		t.Errorf("problem errors %+v, want the tier", errs)
	}

	req, err := c.RequestNamespaceWithResponse(ctx, apiclient.NamespaceRequest{Name: "gen-web", Tenant: "gen", Template: "standard"})
	if err != nil || req.JSON202 == nil {
		t.Fatalf("request namespace: %v %s", err, body(req))
	}
	if loc := req.HTTPResponse.Header.Get("Location"); loc != "/api/v1/namespaces/gen-web/status" {
		t.Errorf("Location %q", loc)
	}
	pollAPI(t, 2*time.Minute, "namespace gen-web Ready through the generated client", func() error {
		st, err := c.GetNamespaceStatusWithResponse(ctx, "gen-web")
		switch {
		case err != nil:
			return err
		case st.JSON200 == nil:
			return fmt.Errorf("status: %s", body(st))
		case st.JSON200.Phase == apiclient.NamespacePhaseFailed:
			t.Fatalf("provisioning failed: %+v", st.JSON200.Conditions)
		case !st.JSON200.Ready || st.JSON200.Phase != apiclient.NamespacePhaseReady:
			return testenv.Errorf("phase %s", st.JSON200.Phase)
		}
		return nil
	})

	del, err := c.DeleteNamespaceWithResponse(ctx, "gen-web")
	if err != nil || del.JSON202 == nil || del.JSON202.DeletionRequestedAt == nil {
		t.Fatalf("delete namespace: %v %s", err, body(del))
	}
	pollAPI(t, 2*time.Minute, "namespace gen-web gone", func() error {
		st, err := c.GetNamespaceStatusWithResponse(ctx, "gen-web")
		switch {
		case err != nil:
			return err
		case st.ApplicationproblemJSON404 != nil:
			return nil
		default:
			return testenv.Errorf("status: %s", body(st))
		}
	})
}

// pollAPI calls f until it returns nil, failing the test with f's last error after timeout. It polls at a
// client's pace, 4 requests a second, within the API's rate limits.
func pollAPI(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	testenv.EventuallyEvery(t, timeout, 250*time.Millisecond, what, f)
}

// body is a generated response's status and body, for failure messages.
func body(r interface {
	StatusCode() int
}) string {
	return fmt.Sprintf("%d %s", r.StatusCode(), bodyOf(r))
}

func bodyOf(r any) string {
	switch v := r.(type) {
	case *apiclient.CreateTenantResponse:
		return string(v.Body)
	case *apiclient.RequestNamespaceResponse:
		return string(v.Body)
	case *apiclient.GetNamespaceStatusResponse:
		return string(v.Body)
	case *apiclient.DeleteNamespaceResponse:
		return string(v.Body)
	default:
		return ""
	}
}

// bannerShapes reduce a line of naas up's banner to its shape: durations, addresses, URLs, paths and numbers,
// which differ from run to run, become placeholders.
var bannerShapes = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`https?://\S+`), "<url>"},
	{regexp.MustCompile(`sqlite://[^\s;]+`), "sqlite://<path>"},
	{regexp.MustCompile(`\d+\.\d+\.\d+\.\d+:\d+`), "<addr>"},
	{regexp.MustCompile(`\((\d+m)?\d+(\.\d+)?(ms|µs|s)\)`), "(<duration>)"},
	{regexp.MustCompile(`(^|[\s=])(/|\.naas)[^\s;]*`), "$1<path>"},
	{regexp.MustCompile(`\d+`), "<n>"},
}

func bannerShape(line string) string {
	line = strings.TrimRight(line, " ")
	for _, s := range bannerShapes {
		line = s.re.ReplaceAllString(line, s.with)
	}
	return line
}

// checkREADMEBanner compares, line by line and shape by shape, the README's sample of what `make run` prints
// with what naas up printed, from its first line to "Press Ctrl-C".
func checkREADMEBanner(t *testing.T, out string) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## What `make run` prints")
	if !ok {
		t.Fatal("README.md has no section \"What `make run` prints\"")
	}
	_, block, _ := strings.Cut(section, "```\n")
	sample, _, _ := strings.Cut(block, "```")
	shapes := func(text string) []string {
		var lines []string
		for l := range strings.SplitSeq(text, "\n") {
			lines = append(lines, bannerShape(l))
			if strings.HasPrefix(l, "Press Ctrl-C") {
				break
			}
		}
		return lines
	}
	if diff := cmp.Diff(shapes(sample), shapes(out)); diff != "" {
		t.Errorf("the README's sample of what naas up prints is not what it prints; update README.md (-README +naas up):\n%s\nnaas up printed:\n%s", diff, out)
	}
}
