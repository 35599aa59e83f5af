// Package ledger tests internal/ledger, the compare-and-swap store behind naas's admission ledgers, on the real
// local control plane: exact under concurrency within a process and across processes (two writers as two naas
// replicas would be), its corrupt-data policies, owner references, deletion when empty and no write when nothing
// changes.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/ledger"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

// Set in a writer process (see TestWriterProcess): the kubeconfig, namespace and key it writes, how many
// increments it tries and with how many goroutines.
const (
	envKubeconfig = "NAAS_LEDGER_WRITER_KUBECONFIG"
	envNamespace  = "NAAS_LEDGER_WRITER_NAMESPACE"
	envKey        = "NAAS_LEDGER_WRITER_KEY"
	envTries      = "NAAS_LEDGER_WRITER_TRIES"
)

func TestMain(m *testing.M) {
	if os.Getenv(envKubeconfig) != "" {
		// A writer process: it talks to the parent's control plane.
		os.Exit(m.Run())
	}
	testenv.Main(m, &env, testenv.Options{NoControllerManager: true})
}

// slots is a document that grants at most Cap slots.
type slots struct {
	Cap     int `json:"cap"`
	Granted int `json:"granted"`
}

func newStore(c client.Client, namespace string) *ledger.Store[slots] {
	return ledger.New(c, namespace, ledger.Options[slots]{
		What: "test ledger", DataKey: "slots.json", Labels: map[string]string{"app.kubernetes.io/managed-by": "naas"}, Remember: true,
	})
}

// take grants a slot if one is left, and reports whether it did.
func take(ctx context.Context, s *ledger.Store[slots], key string, capacity int) (bool, error) {
	granted := false
	err := s.Change(ctx, ledger.Key{Name: key}, false, func(d *slots) (bool, error) {
		granted = false
		if d.Cap == 0 {
			d.Cap = capacity
		}
		if d.Granted >= d.Cap {
			return false, nil
		}
		d.Granted++
		granted = true
		return true, nil
	})
	return granted && err == nil, err
}

// takeMany tries tries times from 8 goroutines and returns how many slots it got.
func takeMany(ctx context.Context, s *ledger.Store[slots], key string, capacity, tries int) (int, error) {
	var mu sync.Mutex
	got := 0
	var errs []error
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < tries; i += 8 {
				ok, err := take(ctx, s, key, capacity)
				mu.Lock()
				if ok {
					got++
				}
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return got, errors.Join(errs...)
}

// TestWriterProcess is the body of a writer process started by the tests below; it is skipped otherwise.
func TestWriterProcess(t *testing.T) {
	kubeconfig := os.Getenv(envKubeconfig)
	if kubeconfig == "" {
		t.Skip("runs only as a writer process")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: testenv.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	tries, _ := strconv.Atoi(os.Getenv(envTries))
	got, err := takeMany(context.Background(), newStore(c, os.Getenv(envNamespace)), os.Getenv(envKey), 1<<30, tries)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("GRANTED %d\n", got)
}

func namespace(t *testing.T, name string) string {
	t.Helper()
	if err := env.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestStore_ExactAcrossTwoWriterProcessesAndGoroutines(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "two-writers")
	const key, tries, capacity = "slots", 60, 100
	// The cap is set by the first writer; the processes pass a huge one, so it is set here first.
	s := newStore(env.Client, ns)
	if err := s.Change(ctx, ledger.Key{Name: key}, false, func(d *slots) (bool, error) { d.Cap = capacity; return true, nil }); err != nil {
		t.Fatal(err)
	}

	type result struct {
		out []byte
		err error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestWriterProcess$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), envKubeconfig+"="+env.ControlPlane.KubeconfigPath, envNamespace+"="+ns,
				envKey+"="+key, envTries+"="+strconv.Itoa(tries))
			out, err := cmd.CombinedOutput()
			results <- result{out, err}
		}()
	}
	// This process writes too, at the same time.
	mine, err := takeMany(ctx, s, key, capacity, tries)
	if err != nil {
		t.Fatal(err)
	}
	total := mine
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Fatalf("writer process: %v\n%s", r.err, r.out)
		}
		var got int
		for _, line := range strings.Split(string(r.out), "\n") {
			if n, ok := strings.CutPrefix(line, "GRANTED "); ok {
				got, _ = strconv.Atoi(strings.TrimSpace(n))
			}
		}
		t.Logf("a writer process got %d slots", got)
		total += got
	}
	d, err := s.Read(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if total != capacity || d.Granted != capacity {
		t.Errorf("3 writers tried %d times for %d slots: %d granted to them, %d recorded; want exactly %d", 3*tries, capacity, total, d.Granted, capacity)
	}
}

func TestStore_CorruptDocumentPolicies(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "corrupt")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "broken"}, Data: map[string]string{"slots.json": "{not json"}}
	if err := env.Client.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	refuse := ledger.New(env.Client, ns, ledger.Options[slots]{What: "test ledger", DataKey: "slots.json"})
	err := refuse.Change(ctx, ledger.Key{Name: "broken"}, false, func(d *slots) (bool, error) { d.Granted++; return true, nil })
	if err == nil || !strings.Contains(err.Error(), "the test ledger corrupt/broken cannot be read") || !strings.Contains(err.Error(), "repair or delete it") {
		t.Errorf("a corrupt document under the refuse policy: %v, want an error naming it", err)
	}
	reset := ledger.New(env.Client, ns, ledger.Options[slots]{What: "test ledger", DataKey: "slots.json", ResetCorrupt: true})
	if err := reset.Change(ctx, ledger.Key{Name: "broken"}, false, func(d *slots) (bool, error) { d.Granted++; return true, nil }); err != nil {
		t.Fatalf("a corrupt document under the reset policy: %v", err)
	}
	if d, err := reset.Read(ctx, "broken"); err != nil || d.Granted != 1 {
		t.Errorf("after a reset: %+v, %v; want granted 1", d, err)
	}
}

func TestStore_OwnerLabelsDeletionWhenEmptyAndNoWriteWhenUnchanged(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, "lifecycle")
	owner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "owner"}}
	if err := env.Client.Create(ctx, owner); err != nil {
		t.Fatal(err)
	}
	s := ledger.New(env.Client, ns, ledger.Options[slots]{
		What: "test ledger", DataKey: "slots.json", Labels: map[string]string{"kind": "test"},
		Empty: func(d *slots) bool { return d.Granted == 0 },
	})
	key := ledger.Key{Name: "doc", Labels: map[string]string{"key": "doc"}, Annotations: map[string]string{"note": "x"},
		Owner: &metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}}
	if err := s.Change(ctx, key, false, func(d *slots) (bool, error) { d.Granted = 2; return true, nil }); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "doc"}, cm); err != nil {
		t.Fatal(err)
	}
	if cm.Labels["kind"] != "test" || cm.Labels["key"] != "doc" || cm.Annotations["note"] != "x" ||
		len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != owner.UID || cm.Data["slots.json"] != `{"cap":0,"granted":2}` {
		t.Errorf("created %+v", cm)
	}
	rv := cm.ResourceVersion

	// A change that changes nothing, and a dry run, write nothing.
	if err := s.Change(ctx, key, false, func(*slots) (bool, error) { return false, nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Change(ctx, key, true, func(d *slots) (bool, error) { d.Granted = 0; return true, nil }); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm); err != nil || cm.ResourceVersion != rv {
		t.Errorf("a change of nothing or a dry run wrote the document: resourceVersion %s -> %s (%v)", rv, cm.ResourceVersion, err)
	}

	// An error from the change is returned, and stores nothing.
	boom := errors.New("boom")
	if err := s.Change(ctx, key, false, func(d *slots) (bool, error) { d.Granted = 9; return true, boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the change's", err)
	}

	// A document left empty is deleted.
	if err := s.Change(ctx, key, false, func(d *slots) (bool, error) { d.Granted = 0; return true, nil }); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm); !apierrors.IsNotFound(err) {
		t.Errorf("an empty document is kept: %v", err)
	}
}
