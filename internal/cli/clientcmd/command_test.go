package clientcmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/naas-dev/naas/internal/apiclient"
)

func TestParseSubject_ReadsUsersGroupsAndServiceAccounts(t *testing.T) {
	for in, want := range map[string]apiclient.Member{
		"user:alice":                 {Kind: "User", Name: "alice"},
		"User:alice@example.com":     {Kind: "User", Name: "alice@example.com"},
		"group:team-payments":        {Kind: "Group", Name: "team-payments"},
		"group:oidc:admins":          {Kind: "Group", Name: "oidc:admins"},
		"serviceaccount:ci:deployer": {Kind: "ServiceAccount", Namespace: "ci", Name: "deployer"},
		"sa:ci:deployer":             {Kind: "ServiceAccount", Namespace: "ci", Name: "deployer"},
		"alice":                      {},
		"user:":                      {},
		"robot:r2d2":                 {},
		"serviceaccount:deployer":    {},
		"serviceaccount::deployer":   {},
		"serviceaccount:ci:":         {},
	} {
		got, err := parseSubject(in)
		if want == (apiclient.Member{}) {
			if err == nil || !strings.Contains(err.Error(), "want user:NAME, group:NAME") {
				t.Errorf("parseSubject(%q) = %+v, %v; want an error that shows the forms", in, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("parseSubject(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if back, _ := parseSubject(subjectOf(got)); back != got {
			t.Errorf("subjectOf(%+v) = %q does not read back", got, subjectOf(got))
		}
	}
}

func TestParseSets_KeyValuePairsWithClearErrors(t *testing.T) {
	got, err := parseSets([]string{"service_name=api", "url=http://x/?a=b", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"service_name": "api", "url": "http://x/?a=b", "empty": ""}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range [][]string{{"novalue"}, {"=x"}, {"a=1", "a=2"}} {
		if _, err := parseSets(bad); err == nil {
			t.Errorf("parseSets(%q) accepted", bad)
		}
	}
}

func TestParseSince_DurationsDatesAndTimes(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"90m":                  now.Add(-90 * time.Minute),
		"2h":                   now.Add(-2 * time.Hour),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"2026-03-01":           time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		"2026-03-01T08:00:00Z": time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-2h", "2026-13-01"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) accepted", bad)
		}
	}
}

// ns builds a namespace status with conditions "Type=Status/Reason: message".
func ns(name, phase string, conds ...string) *apiclient.Namespace {
	n := &apiclient.Namespace{Name: name, Phase: phase}
	for _, c := range conds {
		head, msg, _ := strings.Cut(c, ": ")
		typ, rest, _ := strings.Cut(head, "=")
		status, reason, _ := strings.Cut(rest, "/")
		n.Conditions = append(n.Conditions, apiclient.Condition{Type: typ, Status: status, Reason: reason, Message: msg})
	}
	return n
}

func TestStepsOf_OrdersStepsAndTellsTheirState(t *testing.T) {
	got := stepsOf(ns("a", "Provisioning",
		"Ready=False/Progressing: waiting",
		"QuotaReady=False/Progressing: applying",
		"Custom=True/Reconciled: ok",
		"Valid=True/Valid: fine",
		"MonitoringReady=True/NotApplicable: no CRDs",
		"NamespaceReady=True/Reconciled: in place",
		"Approved=False/PendingApproval: waiting for an admin",
		"ManifestsReady=False/TemplateError: bad template",
	))
	want := []step{
		{Type: "Valid", Label: "Request validated", State: stepDone, Message: "fine"},
		{Type: "Approved", Label: "Approval", State: stepWaiting, Message: "waiting for an admin"},
		{Type: "NamespaceReady", Label: "Namespace", State: stepDone, Message: "in place"},
		{Type: "QuotaReady", Label: "Resource quota", State: stepRunning, Message: "applying"},
		{Type: "ManifestsReady", Label: "Template objects", State: stepFailed, Message: "bad template"},
		{Type: "MonitoringReady", Label: "Monitoring", State: stepSkipped, Message: "no CRDs"},
		{Type: "Custom", Label: "Custom", State: stepDone, Message: "ok"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

func TestProgress_PlainOutputPrintsOneLinePerChange(t *testing.T) {
	var out bytes.Buffer
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &waitProgress{w: &out, start: start}
	p.update(ns("web", "Pending"), start)
	p.update(ns("web", "Provisioning", "Valid=True/Valid: fine", "NamespaceReady=False/Progressing: creating"), start.Add(time.Second))
	p.update(ns("web", "Provisioning", "Valid=True/Valid: fine", "NamespaceReady=False/Progressing: creating"), start.Add(2*time.Second))
	p.update(ns("web", "Ready", "Valid=True/Valid: fine", "NamespaceReady=True/Reconciled: in place"), start.Add(3*time.Second))
	want := `[   0s] web: phase Pending
[   1s] web: Request validated: done (fine)
[   1s] web: Namespace: in progress (creating)
[   1s] web: phase Provisioning
[   3s] web: Namespace: done (in place)
[   3s] web: phase Ready
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Error("plain output holds terminal escapes")
	}
}

func TestProgress_TerminalRedrawsTheStepListInPlace(t *testing.T) {
	var out bytes.Buffer
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &waitProgress{w: &out, tty: true, start: start}
	p.update(ns("web", "Provisioning", "Valid=True/Valid: fine", "NamespaceReady=False/Progressing: creating"), start)
	first := out.String()
	if strings.Contains(first, "\x1b[3A") || !strings.Contains(first, "web: Provisioning (0s)") {
		t.Errorf("first draw moves up or lacks the header: %q", first)
	}
	out.Reset()
	p.update(ns("web", "Ready", "Valid=True/Valid: fine", "NamespaceReady=True/Reconciled: in place"), start.Add(2*time.Second))
	second := out.String()
	if !strings.HasPrefix(second, "\x1b[3A") {
		t.Errorf("second draw does not go back up the 3 lines it drew: %q", second)
	}
	if got := strings.Count(second, "\x1b[2K"); got != 3 {
		t.Errorf("second draw clears %d lines, want 3", got)
	}
	if !strings.Contains(second, "✓ Namespace") || !strings.Contains(second, "web: Ready (2s)") {
		t.Errorf("second draw = %q", second)
	}
}

func TestExitCode_UsageFailureAndTimeoutAreDistinct(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), ExitError},
		{&apiclient.Error{Status: 403}, ExitError},
		{&exitError{code: ExitUsage, err: errors.New("x")}, ExitUsage},
		{fmt.Errorf("wrapped: %w", &exitError{code: ExitFailed, err: errors.New("x")}), ExitFailed},
		{&exitError{code: ExitTimeout, err: errors.New("x")}, ExitTimeout},
		{errors.New(`unknown command "frob" for "naas"`), ExitUsage},
		{errors.New("unknown flag: --frob"), ExitUsage},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestReportError_OneLineAndTheFix(t *testing.T) {
	var out bytes.Buffer
	code := ReportError(&out, &exitError{code: ExitFailed, err: errors.New("namespace a failed:\n  Rejected"), fix: "request a new one"})
	if code != ExitFailed {
		t.Errorf("code = %d", code)
	}
	if want := "error: namespace a failed: Rejected\nfix:   request a new one\n"; out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
}

func TestMergeKubeconfig_KeepsOtherEntriesAndReplacesItsOwn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kube", "config")
	other := clientcmdapi.NewConfig()
	other.Clusters["prod"] = &clientcmdapi.Cluster{Server: "https://prod"}
	other.AuthInfos["me"] = &clientcmdapi.AuthInfo{Token: "mine"}
	other.Contexts["prod"] = &clientcmdapi.Context{Cluster: "prod", AuthInfo: "me"}
	other.CurrentContext = "prod"
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*other, path); err != nil {
		t.Fatal(err)
	}
	fresh := func(token string) *clientcmdapi.Config {
		c := clientcmdapi.NewConfig()
		c.Clusters["naas"] = &clientcmdapi.Cluster{Server: "https://local"}
		c.AuthInfos["naas-bob"] = &clientcmdapi.AuthInfo{Token: token}
		c.Contexts["naas-web"] = &clientcmdapi.Context{Cluster: "naas", AuthInfo: "naas-bob", Namespace: "web"}
		c.CurrentContext = "naas-web"
		return c
	}
	if err := mergeKubeconfig(path, fresh("old"), false); err != nil {
		t.Fatal(err)
	}
	if err := mergeKubeconfig(path, fresh("new"), true); err != nil {
		t.Fatal(err)
	}
	got, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != "naas-web" || got.AuthInfos["naas-bob"].Token != "new" || got.AuthInfos["me"].Token != "mine" ||
		got.Contexts["prod"] == nil || got.Contexts["naas-web"].Namespace != "web" {
		t.Errorf("merged kubeconfig: current %q, contexts %v, users %v", got.CurrentContext, got.Contexts, got.AuthInfos)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode = %v, %v; want 0600: it holds credentials", info.Mode().Perm(), err)
	}

	// A fresh file is created, with the context current.
	path2 := filepath.Join(t.TempDir(), "new-config")
	if err := mergeKubeconfig(path2, fresh("t"), false); err != nil {
		t.Fatal(err)
	}
	if got, err := clientcmd.LoadFromFile(path2); err != nil || got.CurrentContext != "naas-web" {
		t.Errorf("new kubeconfig: %v, %v", got, err)
	}
}

func TestClientConfig_SavedForItsOwnerOnlyAndReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "naas", "config.yaml")
	cfg := &clientConfig{Server: "https://naas.example.com", Token: "secret",
		OIDC: &oidcLogin{IssuerURL: "https://idp", ClientID: "naas", IDToken: "id", Expiry: time.Unix(1700000000, 0).UTC()}}
	if err := cfg.save(path); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("config mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
	got, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cfg, got); diff != "" {
		t.Errorf("read back (-saved +read):\n%s", diff)
	}
	if missing, err := loadConfig(filepath.Join(t.TempDir(), "none.yaml")); err != nil || missing.Server != "" {
		t.Errorf("missing file = %+v, %v; want an empty configuration", missing, err)
	}
	if err := os.WriteFile(path, []byte("server: x\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(path); err == nil || !strings.Contains(err.Error(), "naas login") {
		t.Errorf("a config with an unknown field = %v, want an error that says how to recover", err)
	}
}

func TestConfigPath_FollowsXDGAndNAASCONFIG(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/xdg")
	t.Setenv(EnvConfig, "")
	if p, err := configPath(); err != nil || p != "/tmp/xdg/naas/config.yaml" {
		t.Errorf("configPath = %q, %v", p, err)
	}
	t.Setenv(EnvConfig, "/etc/naas.yaml")
	if p, _ := configPath(); p != "/etc/naas.yaml" {
		t.Errorf("with %s: configPath = %q", EnvConfig, p)
	}
}
