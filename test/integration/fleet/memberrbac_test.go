package fleet

import (
	"context"
	"errors"
	"fmt"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

// TestMemberRBAC_LeastPrivilegeIsEnough registers a member with a token of the ServiceAccount `naas member-rbac`
// makes, with exactly platform.MemberRules and no more: the member becomes Ready, and a claim provisions there.
func TestMemberRBAC_LeastPrivilegeIsEnough(t *testing.T) {
	ctx := context.Background()
	member3, err := testenv.StartMember(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(member3.Stop)
	for _, obj := range platform.MemberRBAC("naas-system", "naas") {
		u, err := apply.ToUnstructured(obj)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := apply.Apply(ctx, member3.Client, member3.Client, u); err != nil {
			t.Fatalf("apply %s %s on member-3: %v", u.GetKind(), u.GetName(), err)
		}
	}
	kubeconfig, err := cluster.Kubeconfig(tokenConfig(t, member3, "naas-system", "naas"))
	if err != nil {
		t.Fatal(err)
	}
	const name = "member-3"
	if _, err := cluster.Register(ctx, env.Client, cluster.Registration{Name: name, Namespace: testenv.SystemNamespace,
		Kubeconfig: kubeconfig, Labels: map[string]string{"environment": "test"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.DeleteClaim("least-app")
		testenv.Eventually(t, 2*testenv.WaitTimeout, "claim least-app gone", func() error {
			if env.ClaimExists(t, "least-app") {
				return errors.New("still there")
			}
			return nil
		})
		// The removal policy refuses the deletion until the Cluster counts no namespace any more.
		testenv.Eventually(t, 2*testenv.WaitTimeout, "cluster member-3 gone", func() error {
			err := env.Client.Delete(ctx, &naasv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("refused: %w", err)
			}
			return errors.New("deleting")
		})
	})
	waitCluster(t, name, naasv1alpha1.ClusterReady, metav1.ConditionTrue)

	testenv.Tenant("least").Admin("alice").Create(t, env)
	claimOn("least-app", "least", name).Create(t, env)
	env.WaitReady(t, "least-app")
	onMember(t, member3, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "least-app", Name: bundle.QuotaName}})
	// As naas's identity there is a ServiceAccount, its own writes are held to what it manages.
	onMember(t, member3, &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: platform.PolicyControllerScope}})
}
