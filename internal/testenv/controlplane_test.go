package testenv_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) { testenv.Main(m, &env, testenv.Options{}) }

func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, err)
}

func pod(ns, name, cpu string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/app:1",
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)},
			},
		}}},
	}
}

func createNamespace(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	// The ServiceAccount admission plugin needs the default service account, which
	// kube-controller-manager creates.
	eventually(t, 30*time.Second, "default service account", func() error {
		return env.Client.Get(ctx, client.ObjectKey{Namespace: name, Name: "default"}, &corev1.ServiceAccount{})
	})
}

func TestControlPlane_QuotaRejectsPodOverQuota(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "quota-test")
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Namespace: "quota-test", Name: "q"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse("1")}},
	}
	if err := env.Client.Create(ctx, quota); err != nil {
		t.Fatal(err)
	}
	// kube-controller-manager fills in the quota status; until then quota admission refuses pods.
	eventually(t, 30*time.Second, "quota status", func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(quota), quota); err != nil {
			return err
		}
		if _, ok := quota.Status.Hard[corev1.ResourceLimitsCPU]; !ok {
			return apierrors.NewNotFound(corev1.Resource("status"), "hard")
		}
		return nil
	})
	if err := env.Client.Create(ctx, pod("quota-test", "fits", "600m")); err != nil {
		t.Fatalf("pod within quota: %v", err)
	}
	err := env.Client.Create(ctx, pod("quota-test", "over", "600m"))
	if !apierrors.IsForbidden(err) {
		t.Fatalf("pod over quota: want Forbidden, got %v", err)
	}
	t.Logf("over-quota pod rejected: %v", err)
}

func TestControlPlane_NamespaceDeletionRemovesContents(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "delete-test")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "delete-test", Name: "data"}}
	if err := env.Client.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "delete-test"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "namespace deleted", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Name: "delete-test"}, &corev1.Namespace{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return apierrors.NewConflict(corev1.Resource("namespaces"), "delete-test", err)
	})
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(cm), &corev1.ConfigMap{}); !apierrors.IsNotFound(err) {
		t.Fatalf("config map after namespace deletion: want NotFound, got %v", err)
	}
}

func TestControlPlane_RBACForTokenUsers(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "rbac-test")
	alice := env.UserClient("alice")
	if err := alice.List(ctx, &corev1.ConfigMapList{}, client.InNamespace("rbac-test")); !apierrors.IsForbidden(err) {
		t.Fatalf("alice without a binding: want Forbidden, got %v", err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "rbac-test", Name: "team-alice-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "team-alice"}},
	}
	if err := env.Client.Create(ctx, rb); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice may list via her group", func() error {
		return alice.List(ctx, &corev1.ConfigMapList{}, client.InNamespace("rbac-test"))
	})
	err := alice.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "rbac-test", Name: "x"}})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("alice creating with view: want Forbidden, got %v", err)
	}
	if err := env.UserClient("bob").List(ctx, &corev1.ConfigMapList{}, client.InNamespace("rbac-test")); !apierrors.IsForbidden(err) {
		t.Fatalf("bob: want Forbidden, got %v", err)
	}
}
