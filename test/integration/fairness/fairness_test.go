package fairness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

// The flood: floodWorkers list at once, for at most floodFor or floodMax requests, whichever ends first.
const (
	floodWorkers = 32
	floodFor     = 20 * time.Second
	floodMax     = int64(50000)
	// samples is how many requests of the calm tenant one measurement times.
	samples = 100
)

var flood = testenv.Flood{Workers: floodWorkers, For: floodFor, Max: floodMax}

func configMaps(ns string) string { return "/api/v1/namespaces/" + ns + "/configmaps" }

func newCaller(t *testing.T, cfg *rest.Config) *testenv.Caller {
	t.Helper()
	c, err := testenv.NewCaller(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// latencies times samples sequential requests of c.
func latencies(t *testing.T, ctx context.Context, c *testenv.Caller, path string) []time.Duration {
	t.Helper()
	d, err := c.Latencies(ctx, path, samples)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// underFlood times calm's requests while flooder floods, and returns them with what kube-apiserver's priority
// and fairness did in level with the FlowSchemas schemas meanwhile.
func underFlood(t *testing.T, ctx context.Context, calm, flooder *testenv.Caller, calmPath, floodPath, level string, schemas ...string) ([]time.Duration, testenv.APFLevel) {
	t.Helper()
	before, err := testenv.APIServerMetrics(ctx, env.Config)
	if err != nil {
		t.Fatal(err)
	}
	d, r, err := flood.LatenciesUnder(ctx, calm, calmPath, samples, flooder, floodPath)
	if err != nil {
		t.Fatal(err)
	}
	after, err := testenv.APIServerMetrics(ctx, env.Config)
	if err != nil {
		t.Fatal(err)
	}
	apf := testenv.APFWaits(before, after, level, schemas...)
	t.Logf("flood: %d lists answered, %d of them 429; %s", r.Answered, r.Throttled, apf)
	return d, apf
}

// median is the 50th percentile of d.
func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func waitReady(t *testing.T, name string) {
	t.Helper()
	testenv.Eventually(t, 90*time.Second, "claim "+name+" ready", func() error {
		c := &naasv1alpha1.NamespaceClaim{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		if !meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady) {
			return fmt.Errorf("not ready: %v", c.Status.Conditions)
		}
		return nil
	})
}

func schemaUID(t *testing.T, name string) types.UID {
	t.Helper()
	var uid types.UID
	testenv.Eventually(t, 30*time.Second, "FlowSchema "+name, func() error {
		fs := &flowcontrolv1.FlowSchema{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, fs); err != nil {
			return err
		}
		uid = fs.UID
		return nil
	})
	return uid
}

// classifiedAs waits until a GET of path by c is classified by the FlowSchema with the given UID (the API
// server's APF configuration follows the FlowSchemas within moments).
func classifiedAs(t *testing.T, ctx context.Context, c *testenv.Caller, path string, uid types.UID, what string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, what, func() error {
		_, got, err := c.Get(ctx, path)
		if err != nil {
			return err
		}
		if got != uid {
			return fmt.Errorf("classified by FlowSchema %s, want %s", got, uid)
		}
		return nil
	})
}

func TestFairness_TenantsRequestsLandInTheirTiersLevelsAndAFloodSparesOtherTenants(t *testing.T) {
	ctx := testenv.Context(t)
	_, stop, err := env.StartPlatform()
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	// Tenant "flood" (alice) has a dev namespace full of ConfigMaps; tenant "calm" (bob) a namespace of the same
	// tier: their requests share the dev tier's level and differ by flow (namespace).
	for _, tn := range []struct{ name, owner, tier string }{{"flood", "alice", "dev"}, {"calm", "bob", "dev"}} {
		tenant := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: tn.name}, Spec: naasv1alpha1.TenantSpec{
			Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: tn.owner, Role: naasv1alpha1.RoleAdmin}},
		}}
		if err := env.Client.Create(ctx, tenant); err != nil {
			t.Fatal(err)
		}
		claim := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: tn.name + "-web"},
			Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: tn.name, Template: "standard", Tier: tn.tier}}
		if err := env.Client.Create(ctx, claim); err != nil {
			t.Fatal(err)
		}
	}
	waitReady(t, "flood-web")
	waitReady(t, "calm-web")
	data := strings.Repeat("x", 4096)
	for i := range 90 {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "flood-web", Name: fmt.Sprintf("cm-%02d", i)},
			Data: map[string]string{"data": data}}
		if err := env.Client.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}

	alice, bob := newCaller(t, env.UserConfig("alice")), newCaller(t, env.UserConfig("bob"))
	mallory := newCaller(t, env.UserConfig("mallory"))
	saCfg := rest.CopyConfig(env.Config)
	saCfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:calm-web:default"}
	calmSA := newCaller(t, saCfg)

	calmDev := schemaUID(t, platform.TenantSchemaName("calm", "dev"))
	floodDev := schemaUID(t, platform.TenantSchemaName("flood", "dev"))
	floodElsewhere := schemaUID(t, platform.TenantSchemaName("flood", ""))
	globalDefault := schemaUID(t, "global-default")

	t.Run("classification", func(t *testing.T) {
		classifiedAs(t, ctx, bob, configMaps("calm-web"), calmDev, "bob in his dev namespace: calm's dev schema")
		classifiedAs(t, ctx, calmSA, configMaps("calm-web"), calmDev, "calm-web's service account in its namespace: calm's dev schema")
		classifiedAs(t, ctx, alice, configMaps("flood-web"), floodDev, "alice in her dev namespace: flood's dev schema")
		// Another tenant's user sending requests at calm's namespace (refused by RBAC, but counted by APF first)
		// stays in her own flow: she cannot fill calm's queues.
		classifiedAs(t, ctx, alice, configMaps("calm-web"), floodElsewhere, "alice at calm's namespace: flood's own schema, not calm's")
		// A user in no tenant stays where Kubernetes puts everyone.
		classifiedAs(t, ctx, mallory, configMaps("calm-web"), globalDefault, "mallory (no tenant) at calm's namespace: global-default")
	})

	// With naas's objects: the calm tenant's requests without and with the flood.
	level := platform.TierLevelName("dev")
	floodSchema, calmSchema := platform.TenantSchemaName("flood", "dev"), platform.TenantSchemaName("calm", "dev")
	quiet := latencies(t, ctx, bob, configMaps("calm-web"))
	flooded, apf := underFlood(t, ctx, bob, alice, configMaps("calm-web"), configMaps("flood-web"), level, floodSchema, calmSchema)
	t.Logf("with naas's priority levels: calm median %v, p99 %v quiet; median %v, p99 %v under the flood: p99 %.1fx",
		median(quiet), testenv.P99(quiet), median(flooded), testenv.P99(flooded), float64(testenv.P99(flooded))/float64(testenv.P99(quiet)))

	// The flood was held in its own flow of the dev tier's level: the level does not borrow, and the flood's
	// lists waited in their queues (or were rejected), while calm's, in the same level, were served at the next
	// turn. Generous factors: the flood's lists wait about 30 times as long as calm's (32 workers, one or two
	// seats), and without the cap they never wait at all.
	if apf.UpperSeats != apf.NominalSeats || apf.NominalSeats < 1 {
		t.Errorf("level %s: %v nominal seats, up to %v with borrowing; want a hard cap", level, apf.NominalSeats, apf.UpperSeats)
	}
	f, c := apf.Schemas[floodSchema], apf.Schemas[calmSchema]
	if c.Dispatched < samples {
		t.Errorf("calm's requests dispatched in %s by %s: %v, want at least %d", level, calmSchema, c.Dispatched, samples)
	}
	if f.Dispatched+f.Rejected < floodWorkers {
		t.Errorf("the flood's requests in %s by %s: %v dispatched, %v rejected; want at least %d", level, floodSchema, f.Dispatched, f.Rejected, floodWorkers)
	}
	if f.Rejected == 0 && (f.MeanWait < 0.005 || f.MeanWait < 5*c.MeanWait) {
		t.Errorf("the flood was neither rejected nor held in its queues: mean wait %.1f ms, calm's %.1f ms", 1000*f.MeanWait, 1000*c.MeanWait)
	}

	// Without them: naas stopped, its FlowSchemas deleted, so both tenants' requests go to global-default.
	stop()
	stopped = true
	if err := env.Client.DeleteAllOf(ctx, &flowcontrolv1.FlowSchema{},
		client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}); err != nil {
		t.Fatal(err)
	}
	classifiedAs(t, ctx, bob, configMaps("calm-web"), globalDefault, "bob in global-default once naas's FlowSchemas are gone")
	quietWithout := latencies(t, ctx, bob, configMaps("calm-web"))
	floodedWithout, _ := underFlood(t, ctx, bob, alice, configMaps("calm-web"), configMaps("flood-web"), "global-default", "global-default")
	t.Logf("without naas's priority levels: calm median %v, p99 %v quiet; median %v, p99 %v under the flood: p99 %.1fx",
		median(quietWithout), testenv.P99(quietWithout), median(floodedWithout), testenv.P99(floodedWithout),
		float64(testenv.P99(floodedWithout))/float64(testenv.P99(quietWithout)))

	// Generous bounds: a busy test machine adds noise the figure in bench does not pretend to remove. The median
	// under the flood was 4-6 times the quiet one on two busy cores, and 40-60 times without the cap (kube-
	// apiserver's default seats and a borrowing level); the absolute floors keep a quiet median under a
	// millisecond from turning scheduling noise into a failure. The p99 is mostly that noise with 100 samples:
	// it is bounded only against a pathological wait (bench figure 7 reports it).
	if bound := max(15*median(quiet), 15*time.Millisecond); median(flooded) > bound {
		t.Errorf("calm tenant's median under another tenant's flood is %v (quiet %v), over %v", median(flooded), median(quiet), bound)
	}
	if bound := max(20*testenv.P99(quiet), 250*time.Millisecond); testenv.P99(flooded) > bound {
		t.Errorf("calm tenant's p99 under another tenant's flood is %v (quiet %v), over %v", testenv.P99(flooded), testenv.P99(quiet), bound)
	}
}
