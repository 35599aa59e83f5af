package fleet

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cluster"
	clustercontroller "github.com/naas-dev/naas/internal/controller/cluster"
	"github.com/naas-dev/naas/internal/testenv"
)

// TestCredentials_RotationSeenInSecondsAndRejectedOnesSaySo runs naas with a periodic pass far longer than the
// test's bounds: only the watch of the kubeconfig Secret can tell naas of new credentials in time. Credentials the
// member refuses make the cluster not Ready with a message that says so and names the Secret; new valid ones make
// it Ready again.
func TestCredentials_RotationSeenInSecondsAndRejectedOnesSaySo(t *testing.T) {
	waitCluster(t, memberOne, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	stopIdle(t)
	before, _ := testenv.ControllerMetrics(t)
	if err := startNaasWith(time.Hour); err != nil {
		t.Fatal(err)
	}
	original := readKubeconfig(t, memberOne)
	t.Cleanup(func() {
		rotate(t, memberOne, original)
		waitCluster(t, memberOne, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
		stopIdle(t)
		if err := startNaas(); err != nil {
			t.Fatalf("restart naas: %v", err)
		}
	})
	waitCluster(t, memberOne, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	// naas has read the Secrets at start (a pass over each Cluster): what it does next, the Secret's change made
	// it do. (The queue gauges are no guide here: the stopped naas left its own.)
	testenv.Eventually(t, testenv.WaitTimeout, "a pass over every Cluster after the start", func() error {
		now, _ := testenv.ControllerMetrics(t)
		if n := now[clustercontroller.ControllerName] - before[clustercontroller.ControllerName]; n < 3 {
			return fmt.Errorf("%v passes", n)
		}
		return nil
	})

	// A token the member does not know.
	bad := rest.AnonymousClientConfig(member1.Config)
	bad.BearerToken = "not-a-token-of-member-1"
	rotate(t, memberOne, kubeconfigOf(t, bad))
	c := waitCredentials(t, metav1.ConditionFalse)
	reachable := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ClusterReachable)
	if reachable.Reason != naasv1alpha1.ReasonClusterCredentialsRejected {
		t.Errorf("Reachable reason = %s, want %s", reachable.Reason, naasv1alpha1.ReasonClusterCredentialsRejected)
	}
	for _, want := range []string{"refused naas's credentials", "401", cluster.KubeconfigSecretName(memberOne)} {
		if !strings.Contains(reachable.Message, want) {
			t.Errorf("Reachable message %q does not mention %q", reachable.Message, want)
		}
	}
	if ready := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ClusterReady); ready.Status != metav1.ConditionFalse {
		t.Errorf("Ready = %s with rejected credentials", ready.Status)
	}

	// New valid credentials: another identity with the rights naas needs there.
	rotate(t, memberOne, kubeconfigOf(t, serviceAccountConfig(t, member1, "naas-rotated")))
	waitCredentials(t, metav1.ConditionTrue)
	waitCluster(t, memberOne, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
}

// credentialsWithin bounds how long naas takes to use new credentials: generous for a busy machine, and far
// below the periodic pass the test runs naas with.
const credentialsWithin = 90 * time.Second

// waitCredentials waits, within credentialsWithin, until member-1's Reachable condition has the status.
func waitCredentials(t *testing.T, status metav1.ConditionStatus) *naasv1alpha1.Cluster {
	t.Helper()
	var c *naasv1alpha1.Cluster
	testenv.Eventually(t, credentialsWithin, fmt.Sprintf("member-1 Reachable=%s after new credentials", status), func() error {
		c = &naasv1alpha1.Cluster{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: memberOne}, c); err != nil {
			return err
		}
		if cond := meta.FindStatusCondition(c.Status.Conditions, naasv1alpha1.ClusterReachable); cond == nil || cond.Status != status {
			return fmt.Errorf("conditions: %v", c.Status.Conditions)
		}
		return nil
	})
	return c
}

func readKubeconfig(t *testing.T, name string) []byte {
	t.Helper()
	s := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: testenv.SystemNamespace, Name: cluster.KubeconfigSecretName(name)}, s); err != nil {
		t.Fatal(err)
	}
	return s.Data[naasv1alpha1.KubeconfigSecretKey]
}

// rotate writes the kubeconfig into the cluster's Secret, and only there, as a secrets operator rotating
// credentials does: the Cluster does not change.
func rotate(t *testing.T, name string, kubeconfig []byte) {
	t.Helper()
	ctx := context.Background()
	s := &corev1.Secret{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: testenv.SystemNamespace, Name: cluster.KubeconfigSecretName(name)}, s); err != nil {
		t.Fatal(err)
	}
	s.Data[naasv1alpha1.KubeconfigSecretKey] = kubeconfig
	if err := env.Client.Update(ctx, s); err != nil {
		t.Fatal(err)
	}
}

func kubeconfigOf(t *testing.T, cfg *rest.Config) []byte {
	t.Helper()
	b, err := cluster.Kubeconfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serviceAccountConfig makes a ServiceAccount on the member bound to cluster-admin, and returns a configuration
// that authenticates as it.
func serviceAccountConfig(t *testing.T, member *testenv.Environment, name string) *rest.Config {
	t.Helper()
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	if err := member.Client.Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "default", Name: name}}}
	if err := member.Client.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = member.Client.Delete(ctx, binding); _ = member.Client.Delete(ctx, sa) })
	return tokenConfig(t, member, "default", name)
}

// tokenConfig returns a configuration that authenticates to the member as the ServiceAccount, with a
// TokenRequest token.
func tokenConfig(t *testing.T, member *testenv.Environment, namespace, name string) *rest.Config {
	t.Helper()
	cs, err := kubernetes.NewForConfig(member.Config)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(context.Background(), name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(member.Config)
	cfg.BearerToken = tr.Status.Token
	return cfg
}

// stopIdle stops the tests' naas once it has nothing to do: the work queues' gauges are the process's, and a naas
// stopped with work queued would leave them above zero for the naas started next (testenv.WaitControllersIdle).
func stopIdle(t *testing.T) {
	t.Helper()
	testenv.WaitControllersIdle(t, testenv.Reconciles(t), nil)
	naas.Stop()
}
