// Package provisioning tests namespace provisioning end to end on the real local
// control plane: claim to Ready, tenant access, drift healing, idle resyncs,
// deletion and network policy meaning.
package provisioning

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

var (
	env          *testenv.Environment
	platformAddr string
)

func TestMain(m *testing.M) {
	e, err := testenv.Start(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env = e
	p, stop, err := env.StartPlatform()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		env.Stop()
		os.Exit(1)
	}
	platformAddr = p.Addr()
	code := m.Run()
	stop()
	env.Stop()
	os.Exit(code)
}

type tenantBuilder struct{ t *naasv1alpha1.Tenant }

func tenant(name string) *tenantBuilder {
	return &tenantBuilder{t: &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}}}
}

func (b *tenantBuilder) owner(kind naasv1alpha1.SubjectKind, name string, role naasv1alpha1.Role) *tenantBuilder {
	b.t.Spec.Owners = append(b.t.Spec.Owners, naasv1alpha1.Owner{Kind: kind, Name: name, Role: role})
	return b
}

func (b *tenantBuilder) create(t *testing.T) *naasv1alpha1.Tenant {
	t.Helper()
	if err := env.Client.Create(context.Background(), b.t); err != nil {
		t.Fatalf("create tenant %s: %v", b.t.Name, err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), b.t) })
	return b.t
}

func claim(name, tenantName, template, tier string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenantName, Template: template, Tier: tier},
	}
}

func createClaim(t *testing.T, c *naasv1alpha1.NamespaceClaim) {
	t.Helper()
	if err := env.Client.Create(context.Background(), c); err != nil {
		t.Fatalf("create claim %s: %v", c.Name, err)
	}
}

func getClaim(t *testing.T, name string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	c := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
		t.Fatalf("get claim %s: %v", name, err)
	}
	return c
}

// waitCondition waits until the claim's condition has the status and reason.
func waitCondition(t *testing.T, name, typ string, status metav1.ConditionStatus, reason string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	var c *naasv1alpha1.NamespaceClaim
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("claim %s %s=%s (%s)", name, typ, status, reason), func() error {
		c = &naasv1alpha1.NamespaceClaim{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		cond := meta.FindStatusCondition(c.Status.Conditions, typ)
		if cond == nil {
			return testenv.Errorf("no %s condition yet; conditions: %v", typ, c.Status.Conditions)
		}
		if cond.Status != status || (reason != "" && cond.Reason != reason) {
			return testenv.Errorf("%s is %s/%s: %s", typ, cond.Status, cond.Reason, cond.Message)
		}
		return nil
	})
	return c
}

func waitReady(t *testing.T, name string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	return waitCondition(t, name, naasv1alpha1.ConditionReady, metav1.ConditionTrue, "")
}

func namespaceExists(name string) (bool, error) {
	err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, &corev1.Namespace{})
	if err == nil {
		return true, nil
	}
	return false, client.IgnoreNotFound(err)
}
