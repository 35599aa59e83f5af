package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/kubeaudit"
	"github.com/naas-dev/naas/internal/localcp"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/tenancy"
	"github.com/naas-dev/naas/internal/testenv"
)

// QuotaSyncPeriod is kube-controller-manager's full quota recount period in the benchmark's cluster:
// Kubernetes' default.
const QuotaSyncPeriod = 5 * time.Minute

// Identities of the run. naas and the floor act as users of their own, so that kube-apiserver's
// audit log tells their requests apart from each other and from the harness's (the admin).
const (
	naasUser  = "naas-controller"
	floorUser = "bench-floor"
)

// Client settings of `naas serve`. The floor uses the same, as the issue asks: a baseline with a
// faster client would measure the client, not naas.
const (
	naasQPS   = setup.ClientQPS
	naasBurst = setup.ClientBurst
)

// floorManagedBy replaces app.kubernetes.io/managed-by on the floor's objects. Otherwise they are
// byte for byte what naas makes; with naas's own label naas would cache them, reconcile claims
// that do not exist for each of their events and count them in its memory, and the floor would
// not be a floor.
const floorManagedBy = "naas-bench-floor"

// The catalog entries every benchmark claim uses: the default template and tier that
// `naas serve --seed-defaults` creates.
const (
	benchTemplate = "standard"
	benchTier     = "dev"
)

// auditPolicy records every request of naas and of the floor, and nothing else, at the Metadata
// level: enough to count requests by verb, resource and user.
var auditPolicy = fmt.Sprintf(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
  users: [%q, %q]
- level: None
`, naasUser, floorUser)

// Cluster is the local control plane of a run, with the clients the harness needs.
type Cluster struct {
	Env *testenv.Environment
	// Admin drives the run (tenants, claims, reads); it is not audited and not rate limited.
	Admin client.Client
	// Floor writes the baselines with naas's client settings, as floorUser.
	Floor client.Client
	// Audit reads kube-apiserver's audit log.
	Audit *kubeaudit.Log
	// Dir holds the run's files: the audit log, naas's kubeconfig, data and log.
	Dir string

	mu          sync.Mutex
	catalog     map[string]client.Object // template and tier, read once
	webhookPort int
	stop        sync.Once
}

// StartCluster starts the local control plane with the audit log on and naasUser and floorUser
// as cluster admins.
func StartCluster(dir string) (*Cluster, error) {
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, err
	}
	auditPath := filepath.Join(dir, "audit.log")
	env, err := testenv.Start(testenv.Options{
		Users: []testenv.User{
			{Name: naasUser, Groups: []string{"system:masters"}},
			{Name: floorUser, Groups: []string{"system:masters"}},
		},
		APIServerArgs: []string{
			"--audit-policy-file=" + policy,
			"--audit-log-path=" + auditPath,
			"--audit-log-format=json",
			"--audit-log-mode=blocking",
			"--audit-log-maxsize=0",
			// Profiles at /debug/pprof/ (-profile-dir); serving them costs nothing until asked.
			"--profiling=true",
		},
		// kube-controller-manager recounts every quota at Kubernetes' default period, as on a real cluster.
		// The test clusters recount every 10 s so that tests see usage at once; at 10,000 namespaces that
		// recount kept kube-apiserver and etcd busy all the time and was most of the latency the admission
		// figure measured.
		ControllerManagerArgs: []string{"--resource-quota-sync-period=" + QuotaSyncPeriod.String()},
	})
	if err != nil {
		return nil, err
	}
	c := &Cluster{Env: env, Dir: dir, Audit: &kubeaudit.Log{Path: auditPath}, catalog: map[string]client.Object{}}
	if c.webhookPort, err = localcp.FreePort(); err != nil {
		env.Stop()
		return nil, err
	}
	admin := rest.CopyConfig(env.Config)
	admin.QPS, admin.Burst = -1, 0 // the harness must never be the bottleneck
	if c.Admin, err = client.New(admin, client.Options{Scheme: env.Scheme}); err != nil {
		env.Stop()
		return nil, err
	}
	if c.Floor, err = client.New(c.FloorConfig(), client.Options{Scheme: env.Scheme}); err != nil {
		env.Stop()
		return nil, err
	}
	return c, nil
}

// FloorConfig is the client configuration of the floor: floorUser with naas's client settings.
func (c *Cluster) FloorConfig() *rest.Config {
	cfg := c.Env.UserConfig(floorUser)
	cfg.QPS, cfg.Burst = naasQPS, naasBurst
	return cfg
}

// Stop stops the control plane; a second call does nothing.
func (c *Cluster) Stop() { c.stop.Do(c.Env.Stop) }

// NaasKubeconfig writes a kubeconfig that authenticates as naasUser.
func (c *Cluster) NaasKubeconfig() (string, error) {
	path := filepath.Join(c.Dir, "naas.kubeconfig")
	return path, c.Env.ControlPlane.WriteKubeconfig(path, naasUser, c.Env.Token(naasUser), "")
}

// APITokenFile writes the token file naas's REST API authenticates with: the environment's users
// with the same tokens as in kube-apiserver.
func (c *Cluster) APITokenFile() (string, error) {
	var users []localcp.TokenUser
	for _, u := range testenv.DefaultUsers {
		users = append(users, localcp.TokenUser{Token: c.Env.Token(u.Name), Name: u.Name, UID: u.Name, Groups: u.Groups})
	}
	path := filepath.Join(c.Dir, "api-tokens.csv")
	return path, localcp.WriteTokenFile(path, users)
}

// tenantObject is a benchmark tenant: an admin, a developer group and a viewer, as a real team
// has, so that its namespaces get all three role bindings.
func tenantObject(name, admin string) *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: naasv1alpha1.TenantSpec{
			DisplayName: "Benchmark tenant " + name,
			Owners: []naasv1alpha1.Owner{
				{Kind: naasv1alpha1.SubjectUser, Name: admin, Role: naasv1alpha1.RoleAdmin},
				{Kind: naasv1alpha1.SubjectGroup, Name: "team-" + name, Role: naasv1alpha1.RoleDeveloper},
				{Kind: naasv1alpha1.SubjectUser, Name: "carol", Role: naasv1alpha1.RoleViewer},
			},
		},
	}
}

// CreateTenant creates a tenant whose admin is the user admin, and returns it.
func (c *Cluster) CreateTenant(ctx context.Context, name, admin string) (*naasv1alpha1.Tenant, error) {
	t := tenantObject(name, admin)
	if err := c.Admin.Create(ctx, t); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create tenant %s: %w", name, err)
	}
	return t, nil
}

// claimObject is a benchmark claim of the standard template in the dev tier.
func claimObject(name, tenant string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: benchTemplate, Tier: benchTier},
	}
}

// CreateClaim creates a benchmark claim; naas places it (on the management cluster when it is alone).
func (c *Cluster) CreateClaim(ctx context.Context, name, tenant string) error {
	return c.CreateClaimOn(ctx, name, tenant, "")
}

// CreateClaimOn creates a benchmark claim that names the cluster its namespace goes to (spec.cluster; none when
// empty). A call the server could not complete (a webhook connection that broke,
// a timeout) is tried again: one such error must not end a run of many minutes. A claim found already there, after
// such a retry, is the one this call created.
func (c *Cluster) CreateClaimOn(ctx context.Context, name, tenant, cluster string) error {
	transient := func(err error) bool {
		return apierrors.IsInternalError(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
			apierrors.IsTooManyRequests(err) || apierrors.IsServiceUnavailable(err)
	}
	tried := false
	err := retry.OnError(retry.DefaultBackoff, transient, func() error {
		claim := claimObject(name, tenant)
		claim.Spec.Cluster = cluster
		err := c.Admin.Create(ctx, claim)
		if tried && apierrors.IsAlreadyExists(err) {
			return nil
		}
		tried = true
		return err
	})
	if err != nil {
		return fmt.Errorf("create claim %s: %w", name, err)
	}
	return nil
}

// catalogObject reads a template or tier once; the floor builds every bundle from them.
func (c *Cluster) catalogObject(ctx context.Context, name string, obj client.Object) (client.Object, error) {
	key := fmt.Sprintf("%T/%s", obj, name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.catalog[key]; ok {
		return o, nil
	}
	if err := c.Admin.Get(ctx, client.ObjectKey{Name: name}, obj); err != nil {
		return nil, fmt.Errorf("read %s %q of the default catalog (does naas seed it?): %w", obj.GetObjectKind().GroupVersionKind().Kind, name, err)
	}
	c.catalog[key] = obj
	return obj, nil
}

// FloorBundle returns the objects naas makes for a claim of the benchmark template and tier named
// name in tenant tn, built by naas's own bundle package, relabelled with floorManagedBy.
func (c *Cluster) FloorBundle(ctx context.Context, name string, tn *naasv1alpha1.Tenant) ([]*unstructured.Unstructured, error) {
	return c.Bundle(ctx, name, tn, floorManagedBy)
}

// Bundle returns the objects naas makes for a claim of the benchmark template and tier named name in
// tenant tn, built by naas's own bundle package, with app.kubernetes.io/managed-by set to managedBy,
// the Namespace first.
func (c *Cluster) Bundle(ctx context.Context, name string, tn *naasv1alpha1.Tenant, managedBy string) ([]*unstructured.Unstructured, error) {
	tmpl, err := c.catalogObject(ctx, benchTemplate, &naasv1alpha1.NamespaceTemplate{})
	if err != nil {
		return nil, err
	}
	tier, err := c.catalogObject(ctx, benchTier, &naasv1alpha1.Tier{})
	if err != nil {
		return nil, err
	}
	claim := claimObject(name, tn.Name)
	params, errs := tenancy.ResolveParameters(tmpl.(*naasv1alpha1.NamespaceTemplate), claim)
	if len(errs) > 0 {
		return nil, fmt.Errorf("parameters of the benchmark claim %s: %w", name, errs.ToAggregate())
	}
	steps, err := bundle.Build(bundle.Input{
		Claim: claim, Tenant: tn, Template: tmpl.(*naasv1alpha1.NamespaceTemplate), Tier: tier.(*naasv1alpha1.Tier),
		Parameters: params, Config: bundle.Config{PortalURL: "http://127.0.0.1"},
	})
	if err != nil {
		return nil, fmt.Errorf("build the bundle of %s: %w", name, err)
	}
	var objs []*unstructured.Unstructured
	for _, s := range steps {
		for _, o := range s.Objects {
			labels := o.GetLabels()
			labels[naasv1alpha1.LabelManagedBy] = managedBy
			o.SetLabels(labels)
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 || objs[0].GetKind() != "Namespace" {
		return nil, errors.New("the bundle does not start with its Namespace: its objects would be written in the wrong order")
	}
	return objs, nil
}

// WriteFloor creates the objects one after the other with the floor's client, as a plain
// client-go program would, and returns how long that took.
func (c *Cluster) WriteFloor(ctx context.Context, objs []*unstructured.Unstructured) (time.Duration, error) {
	start := time.Now()
	for _, o := range objs {
		if err := c.Floor.Create(ctx, o.DeepCopy()); err != nil {
			return 0, fmt.Errorf("floor: create %s %s: %w", o.GetKind(), client.ObjectKeyFromObject(o), err)
		}
	}
	return time.Since(start), nil
}

// ApplyFloor applies the objects one after the other with server-side apply, as naas does, with
// the floor's client, and returns how long that took.
func (c *Cluster) ApplyFloor(ctx context.Context, objs []*unstructured.Unstructured) (time.Duration, error) {
	return applyFloor(ctx, c.Floor, objs)
}

// applyFloor applies the objects one after the other with server-side apply as floorUser, with floor (a client of
// floorUser with naas's client settings, on any cluster of the run), and returns how long that took.
func applyFloor(ctx context.Context, floor client.Client, objs []*unstructured.Unstructured) (time.Duration, error) {
	start := time.Now()
	for _, o := range objs {
		if err := floor.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()), client.FieldOwner(floorUser), client.ForceOwnership); err != nil {
			return 0, fmt.Errorf("floor: apply %s %s: %w", o.GetKind(), client.ObjectKeyFromObject(o), err)
		}
	}
	return time.Since(start), nil
}

// CountNamespaces counts the namespaces naas manages.
func (c *Cluster) CountNamespaces(ctx context.Context) (int, error) {
	list := &corev1.NamespaceList{}
	if err := c.Admin.List(ctx, list, client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}); err != nil {
		return 0, err
	}
	return len(list.Items), nil
}
