package restart

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/config"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/kubeaudit"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

// asNaasUp starts naas as naasUser and installs everything `naas up` installs at start: the CRDs, the
// add-ons' CRDs, the cluster-wide objects, the default catalog and tiers, the system namespace, the webhook
// certificates and configurations. The webhook server listens on webhookAddr at every start, as naas behind a
// Service does: on a new port the webhook configurations would rightly be updated to point at it.
func asNaasUp(webhookAddr string) func(*setup.Options) {
	return func(o *setup.Options) {
		o.Config = env.UserConfig(naasUser)
		o.InstallCRDs = true
		o.InstallThirdPartyCRDs = true
		o.Webhook.Addr = webhookAddr
	}
}

// freeAddr returns a local address nothing listens on.
func TestRestart_MakesNoMutatingCallWhenEverythingIsInPlace(t *testing.T) {
	ctx := testenv.Context(t)

	// First start, on a cluster that has none of naas's objects but its CRDs: naas creates them.
	webhookAddr := testenv.FreeAddr(t)
	firstMark := audit.mark(t)
	_, stop, err := env.StartPlatform(asNaasUp(webhookAddr))
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	tn := &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "restart"},
		Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{
			{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
		}},
	}
	if err := env.Client.Create(ctx, tn); err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	claim := &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "restart-web"},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tn.Name, Template: "standard", Tier: "dev"},
	}
	if err := env.Client.Create(ctx, claim); err != nil {
		t.Fatalf("create claim: %v", err)
	}
	waitClaimReady(t, claim.Name)
	testenv.WaitControllersIdle(t, testenv.Reconciles(t), map[string]float64{})
	stop()
	stopped = true

	firstWrites := kubeaudit.Writes(audit.since(t, firstMark), naasUser)
	for _, want := range startupObjects(t) {
		if !containsAccepted(firstWrites, "create", want) {
			t.Errorf("first start on a cluster without them: no accepted create of %s; naas's writes: %v", want, firstWrites)
		}
	}

	// Second start, everything in place: naas reads and writes nothing, not even a create the API server
	// refuses as AlreadyExists.
	var tiers naasv1alpha1.TierList
	if err := env.Client.List(ctx, &tiers); err != nil {
		t.Fatal(err)
	}
	before := testenv.Reconciles(t)
	mark := audit.mark(t)
	_, stop2, err := env.StartPlatform(asNaasUp(webhookAddr))
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	defer stop2()
	// The start is done when each controller has had its first pass over what exists and is idle.
	testenv.WaitControllersIdle(t, before, map[string]float64{
		"namespaceclaim":       1,
		"tenant":               1,
		"tenant-access":        1,
		"workload-policy-tier": float64(len(tiers.Items)),
	})
	events := audit.since(t, mark)
	reads := 0
	for _, e := range events {
		if e.User.Username == naasUser && !e.IsWrite() {
			reads++
		}
	}
	if reads == 0 {
		t.Fatalf("the audit log holds no request of %s during the second start: the window measured nothing", naasUser)
	}
	if writes := kubeaudit.Writes(events, naasUser); len(writes) > 0 {
		t.Errorf("second start against a cluster where everything is in place made %d mutating calls (want none; %d reads): %v",
			len(writes), reads, writes)
	}
}

func TestSeedDefaults_ObjectCreatedByAnotherReplicaMeanwhileIsNotAnError(t *testing.T) {
	ctx := testenv.Context(t)
	c := env.UserClient(naasUser)
	if _, err := setup.SeedDefaults(ctx, c, config.Defaults, "samples"); err != nil {
		t.Fatalf("seed the defaults: %v", err)
	}
	// Every read says the object is missing, as it was when another replica had not created it yet: the
	// create then races with that replica's and kube-apiserver refuses it as AlreadyExists.
	mark := audit.mark(t)
	created, err := setup.SeedDefaults(ctx, missingOnRead{c}, config.Defaults, "samples")
	if err != nil {
		t.Fatalf("seed the defaults when another replica created them first: %v, want no error", err)
	}
	if created != 0 {
		t.Errorf("seed the defaults when another replica created them first: created %d, want 0", created)
	}
	refused := 0
	for _, e := range kubeaudit.Writes(audit.since(t, mark), naasUser) {
		if e.Verb == "create" && e.ResponseStatus != nil && e.ResponseStatus.Code == 409 {
			refused++
		}
	}
	if want := len(defaults(t)); refused != want {
		t.Errorf("kube-apiserver refused %d creates as AlreadyExists, want %d (one per default object): the race was not exercised",
			refused, want)
	}
}

func TestStart_SystemNamespaceBeingDeletedSaysWhatToDo(t *testing.T) {
	ctx := testenv.Context(t)
	const name = "naas-system-leaving"
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Finalizers: []string{"naas.dev/test-hold"}}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ns := &corev1.Namespace{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, ns); err == nil {
			ns.Finalizers = nil
			_ = env.Client.Update(context.Background(), ns)
		}
	})
	if err := env.Client.Delete(ctx, ns); err != nil {
		t.Fatal(err)
	}
	_, err := setup.New(ctx, setup.Options{
		Config: env.UserConfig(naasUser), Addr: "127.0.0.1:0",
		Webhook: setup.WebhookOptions{SystemNamespace: name},
	})
	if err == nil || !strings.Contains(err.Error(), "is being deleted") || !strings.Contains(err.Error(), "--system-namespace") {
		t.Fatalf("start with system namespace %s being deleted: error %v, want one saying it is being deleted and naming --system-namespace", name, err)
	}
}

// missingOnRead is a client whose reads find nothing: what a replica reads before another creates the object.
type missingOnRead struct{ client.Client }

func (m missingOnRead) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	gvk := obj.GetObjectKind().GroupVersionKind()
	return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, key.Name)
}

// startupObject names an object naas creates at start: resource and name, as the audit log has them.
type startupObject struct{ resource, name string }

func (o startupObject) String() string { return o.resource + " " + o.name }

// startupObjects are the objects a first start creates that the old code created blindly at every start.
func startupObjects(t *testing.T) []startupObject {
	t.Helper()
	out := []startupObject{{"namespaces", setup.DefaultSystemNamespace}}
	for _, o := range defaults(t) {
		gvk := o.GroupVersionKind()
		m, err := env.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, startupObject{m.Resource.Resource, o.GetName()})
	}
	return out
}

func defaults(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	files, err := fs.Glob(config.Defaults, "samples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		data, err := fs.ReadFile(config.Defaults, f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := apply.ParseYAML(data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, objs...)
	}
	return out
}

func containsAccepted(events []kubeaudit.Event, verb string, o startupObject) bool {
	for _, e := range events {
		if e.Verb == verb && e.ObjectRef != nil && e.ObjectRef.Resource == o.resource && e.ObjectRef.Name == o.name &&
			e.ResponseStatus != nil && e.ResponseStatus.Code < 300 {
			return true
		}
	}
	return false
}

func waitClaimReady(t *testing.T, name string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, "claim "+name+" Ready", func() error {
		c := &naasv1alpha1.NamespaceClaim{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		if !meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionReady) {
			return testenv.Errorf("not Ready: %v", c.Status.Conditions)
		}
		return nil
	})
}
