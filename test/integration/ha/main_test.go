// Package ha tests naas with several replicas serving one cluster, as `naas serve` runs them: two processes of
// the built bin/naas against one local control plane, the API server calling their webhooks through one
// address (a load balancer in the test, as a Service), the REST API called on both. It checks what must hold
// however requests are spread: the ledgers stay exact, portal sessions work on any replica, and when the
// leader dies the other takes over with nothing lost, duplicated or orphaned.
package ha

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

// naasUser is the user the replicas act as.
const naasUser = "naas-controller"

var env *testenv.Environment

func TestMain(m *testing.M) {
	testenv.Main(m, &env, testenv.Options{AsServiceAccount: true, Users: []testenv.User{{Name: naasUser, Groups: []string{"system:masters"}}}})
}

// naasBinary is the built bin/naas.
func naasBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(env.RepoRoot, "bin", "naas")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run `make build` (make test does it for you)", bin)
	}
	return bin
}

// cluster is what the replicas of one test share: a kubeconfig, a token file for the REST API, and the load
// balancer the API server calls their webhooks through.
type cluster struct {
	dir        string
	kubeconfig string
	tokens     string
	lb         *testenv.WebhookBalancer
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{dir: dir, kubeconfig: filepath.Join(dir, "kubeconfig"), tokens: filepath.Join(dir, "tokens.csv")}
	cfg := env.NaasConfig // the replicas run as naas's ServiceAccount, with the chart's rights
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["naas"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "naas"}
	kc.CurrentContext = "test"
	if err := clientcmd.WriteToFile(*kc, c.kubeconfig); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, u := range testenv.DefaultUsers {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%q", env.Token(u.Name), u.Name, u.Name, strings.Join(u.Groups, ",")))
	}
	if err := os.WriteFile(c.tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lb, err := testenv.StartWebhookBalancer(env.Client, types.NamespacedName{Namespace: setup.DefaultSystemNamespace, Name: setup.WebhookCertSecretName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lb.Close() })
	c.lb = lb
	return c
}

// replica is one running `naas serve`.
type replica struct {
	name        string
	addr        string
	webhookAddr string
	args        []string
	logPath     string
	cmd         *exec.Cmd
	out         *os.File
	exited      chan struct{}
}

// start starts a replica named name; its webhook server joins the load balancer.
func (c *cluster) start(t *testing.T, name string) *replica {
	t.Helper()
	r := &replica{name: name, addr: testenv.FreeAddr(t), webhookAddr: testenv.FreeAddr(t), logPath: filepath.Join(c.dir, name+".log")}
	r.args = []string{"serve",
		"--kubeconfig", c.kubeconfig,
		"--addr", r.addr,
		"--webhook-addr", r.webhookAddr,
		"--webhook-url", "https://" + c.lb.Addr(),
		"--data-dir", filepath.Join(c.dir, name),
		"--token-file", c.tokens,
		"--seed-defaults",
		"--rate-limit-per-user", "0",
		"--rate-limit-per-tenant", "0",
	}
	c.lb.Add(r.webhookAddr)
	r.run(t)
	return r
}

// run starts the process and waits until it is ready.
func (r *replica) run(t *testing.T) {
	t.Helper()
	out, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	r.out = out
	r.cmd = exec.Command(naasBinary(t), r.args...)
	r.cmd.Stdout, r.cmd.Stderr = out, out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.exited = make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() { r.stop(t) })
	testenv.Eventually(t, 3*time.Minute, "replica "+r.name+" ready", func() error {
		select {
		case <-r.exited:
			t.Fatalf("replica %s exited before it was ready:\n%s", r.name, r.logs())
		default:
		}
		resp, err := http.Get("http://" + r.addr + "/readyz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("%d %s", resp.StatusCode, b)
		}
		return nil
	})
}

// stop stops the replica as Kubernetes stops a pod: SIGTERM, then waits for it to exit.
func (r *replica) stop(t *testing.T) {
	select {
	case <-r.exited:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(60 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
		t.Errorf("replica %s did not stop within 60 s of SIGTERM", r.name)
	}
	_ = r.out.Close()
}

// kill kills the replica with SIGKILL: it gets no chance to hand anything over.
func (r *replica) kill() {
	_ = r.cmd.Process.Kill()
	<-r.exited
}

// restart stops the replica and starts it again with the same flags and addresses.
func (r *replica) restart(t *testing.T) {
	t.Helper()
	r.stop(t)
	r.run(t)
}

func (r *replica) logs() string {
	b, _ := os.ReadFile(r.logPath)
	return string(b)
}

func (r *replica) url(path string) string { return "http://" + r.addr + path }

// leads reports whether the replica holds the Lease, as its metrics say.
func (r *replica) leads() (bool, error) {
	resp, err := http.Get(r.url("/metrics"))
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "leader_election_master_status{") && strings.Contains(line, `name="`+setup.LeaderElectionID+`"`) {
			return strings.HasSuffix(line, " 1"), nil
		}
	}
	return false, sc.Err()
}

// leader waits until exactly one of replicas leads and returns it.
func leader(t *testing.T, replicas ...*replica) *replica {
	t.Helper()
	var found *replica
	testenv.Eventually(t, 2*time.Minute, "one leader", func() error {
		found = nil
		n := 0
		for _, r := range replicas {
			ok, err := r.leads()
			if err != nil {
				return err
			}
			if ok {
				found, n = r, n+1
			}
		}
		if n != 1 {
			return fmt.Errorf("%d replicas lead", n)
		}
		return nil
	})
	return found
}

// lease is the controllers' Lease.
func lease(ctx context.Context) (*coordinationv1.Lease, error) {
	l := &coordinationv1.Lease{}
	err := env.Client.Get(ctx, client.ObjectKey{Namespace: setup.DefaultSystemNamespace, Name: setup.LeaderElectionID}, l)
	return l, err
}

// reply is an HTTP answer, read in full.
type reply struct {
	status     int
	retryAfter string
	body       []byte
}

// call sends a REST API request to a replica as user.
func call(ctx context.Context, r *replica, user, method, path string, body any) (*reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.url(path), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+env.Token(user))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &reply{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: b}, nil
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
