package testenv

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
)

// WaitTimeout bounds the waits of the kit: long, because a busy machine is slow, and a passing test never
// waits it out.
const WaitTimeout = 60 * time.Second

// as is a client acting as the static token user, or the cluster admin's when user is empty.
func (e *Environment) as(user string) client.Client {
	if user == "" {
		return e.Client
	}
	return e.UserClient(user)
}

func userName(user string) string {
	if user == "" {
		return "the cluster admin"
	}
	return user
}

// Create creates obj as the cluster admin, failing the test on an error, and deletes it when the test ends.
func (e *Environment) Create(t testing.TB, obj client.Object) {
	t.Helper()
	e.CreateAs(t, "", obj)
}

// CreateAs creates obj as the static token user (the cluster admin when empty), failing the test on an error,
// and deletes it as the cluster admin when the test ends (a claim with DeleteClaim). A claim a user creates is
// returned once the user may read it: naas names a new claim in its tenant's role a moment after it is created
// (see docs/security.md), and until then RBAC refuses its members' reads and writes of it.
func (e *Environment) CreateAs(t testing.TB, user string, obj client.Object) {
	t.Helper()
	if err := e.as(user).Create(context.Background(), obj); err != nil {
		t.Fatalf("%s creates %T %s: %v", userName(user), obj, obj.GetName(), err)
	}
	c, ok := obj.(*naasv1alpha1.NamespaceClaim)
	if !ok {
		t.Cleanup(func() { _ = e.Client.Delete(context.Background(), obj) })
		return
	}
	t.Cleanup(func() { e.DeleteClaim(c.Name) })
	if user != "" {
		e.WaitReadable(t, user, c.Name)
	}
}

// WaitReadable waits until the static token user may read the claim through the API server.
func (e *Environment) WaitReadable(t testing.TB, user, name string) {
	t.Helper()
	Eventually(t, WaitTimeout, user+" reads claim "+name, func() error {
		return e.UserClient(user).Get(context.Background(), client.ObjectKey{Name: name}, &naasv1alpha1.NamespaceClaim{})
	})
}

// GetClaim reads the claim, failing the test if it cannot.
func (e *Environment) GetClaim(t testing.TB, name string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	c := &naasv1alpha1.NamespaceClaim{}
	if err := e.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
		t.Fatalf("get claim %s: %v", name, err)
	}
	return c
}

// ClaimExists tells whether the claim exists.
func (e *Environment) ClaimExists(t testing.TB, name string) bool {
	t.Helper()
	err := e.Client.Get(context.Background(), client.ObjectKey{Name: name}, &naasv1alpha1.NamespaceClaim{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("get claim %s: %v", name, err)
	}
	return err == nil
}

// DeleteClaim deletes the claim, lifting its deletion protection first; a claim that is gone is no error. It does
// not wait for the namespace to go.
func (e *Environment) DeleteClaim(name string) {
	ctx := context.Background()
	c := &naasv1alpha1.NamespaceClaim{}
	if err := e.Client.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
		return
	}
	if c.Spec.DeletionProtection {
		c.Spec.DeletionProtection = false
		_ = e.Client.Update(ctx, c)
	}
	_ = e.Client.Delete(ctx, c)
}

// UpdateClaim changes the claim as the cluster admin, retrying on conflicts with the controller's writes, and
// fails the test on any other error.
func (e *Environment) UpdateClaim(t testing.TB, name string, change func(*naasv1alpha1.NamespaceClaim)) {
	t.Helper()
	if err := e.UpdateClaimAs(t, "", name, change); err != nil {
		t.Fatalf("update claim %s: %v", name, err)
	}
}

// UpdateClaimAs changes the claim as the static token user (the cluster admin when empty), retrying on conflicts
// with the controller's writes; it returns the error of the first attempt that did not conflict.
func (e *Environment) UpdateClaimAs(t testing.TB, user, name string, change func(*naasv1alpha1.NamespaceClaim)) error {
	t.Helper()
	return retryOnConflict(t, "update claim "+name, func() error {
		c := e.GetClaim(t, name)
		change(c)
		return e.as(user).Update(context.Background(), c)
	})
}

// UpdateTenant changes the tenant as the cluster admin, retrying on conflicts with the controllers' writes, and
// fails the test on any other error.
func (e *Environment) UpdateTenant(t testing.TB, name string, change func(*naasv1alpha1.Tenant)) {
	t.Helper()
	err := retryOnConflict(t, "update tenant "+name, func() error {
		tn := &naasv1alpha1.Tenant{}
		if err := e.Client.Get(context.Background(), client.ObjectKey{Name: name}, tn); err != nil {
			return err
		}
		change(tn)
		return e.Client.Update(context.Background(), tn)
	})
	if err != nil {
		t.Fatalf("update tenant %s: %v", name, err)
	}
}

// retryOnConflict calls write until it returns anything but a conflict, within WaitTimeout.
func retryOnConflict(t testing.TB, what string, write func() error) error {
	t.Helper()
	var err error
	Eventually(t, WaitTimeout, what, func() error {
		if err = write(); apierrors.IsConflict(err) {
			return err
		}
		return nil
	})
	return err
}

// WaitCondition waits until the claim's condition has the status and the reason (any reason when empty), and
// returns the claim as it was then.
func (e *Environment) WaitCondition(t testing.TB, name, typ string, status metav1.ConditionStatus, reason string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	var c *naasv1alpha1.NamespaceClaim
	Eventually(t, WaitTimeout, fmt.Sprintf("claim %s %s=%s (%s)", name, typ, status, reason), func() (err error) {
		c, err = e.ClaimCondition(name, typ, status, reason)
		return err
	})
	return c
}

// ClaimCondition reads the claim and returns it if its condition has the status and the reason (any reason when
// empty), else an error that says what the condition is.
func (e *Environment) ClaimCondition(name, typ string, status metav1.ConditionStatus, reason string) (*naasv1alpha1.NamespaceClaim, error) {
	c := &naasv1alpha1.NamespaceClaim{}
	if err := e.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
		return nil, err
	}
	cond := meta.FindStatusCondition(c.Status.Conditions, typ)
	if cond == nil {
		return nil, Errorf("no %s condition yet; conditions: %v", typ, c.Status.Conditions)
	}
	if cond.Status != status || (reason != "" && cond.Reason != reason) {
		return nil, Errorf("%s is %s/%s: %s", typ, cond.Status, cond.Reason, cond.Message)
	}
	return c, nil
}

// WaitReady waits until the claim is Ready and returns it.
func (e *Environment) WaitReady(t testing.TB, name string) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	return e.WaitCondition(t, name, naasv1alpha1.ConditionReady, metav1.ConditionTrue, "")
}

// WaitUsable waits until kube-controller-manager has done its part in a Ready claim's namespace: the quota's
// status is filled in and the default service account made. Before that, a pod is refused for want of either,
// and an object naas made may still change.
func (e *Environment) WaitUsable(t testing.TB, namespace string) {
	t.Helper()
	ctx := context.Background()
	Eventually(t, WaitTimeout, "namespace "+namespace+" usable", func() error {
		if err := e.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "default"}, &corev1.ServiceAccount{}); err != nil {
			return err
		}
		rq := &corev1.ResourceQuota{}
		if err := e.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: bundle.QuotaName}, rq); err != nil {
			return err
		}
		if rq.Status.Hard == nil {
			return errors.New("quota status not filled in yet")
		}
		return nil
	})
}

// Provision creates the claim as the cluster admin, deletes it when the test ends, and waits until its namespace
// is Ready and usable.
func (e *Environment) Provision(t testing.TB, c *naasv1alpha1.NamespaceClaim) *naasv1alpha1.NamespaceClaim {
	t.Helper()
	e.Create(t, c)
	ready := e.WaitReady(t, c.Name)
	e.WaitUsable(t, c.Name)
	return ready
}

// NamespaceExists tells whether the namespace exists.
func (e *Environment) NamespaceExists(name string) (bool, error) {
	err := e.Client.Get(context.Background(), client.ObjectKey{Name: name}, &corev1.Namespace{})
	if err == nil {
		return true, nil
	}
	return false, client.IgnoreNotFound(err)
}

// TryGetObject reads an object of any kind straight from the API server; nil, without an error, when it does not
// exist.
func (e *Environment) TryGetObject(gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	o := &unstructured.Unstructured{}
	o.SetGroupVersionKind(gvk)
	err := e.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, o)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %s/%s: %w", gvk.Kind, namespace, name, err)
	}
	return o, nil
}

// GetObject is TryGetObject failing the test on an error.
func (e *Environment) GetObject(t testing.TB, gvk schema.GroupVersionKind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	o, err := e.TryGetObject(gvk, namespace, name)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// WaitObject waits until the object exists and check, unless nil, passes on it.
func (e *Environment) WaitObject(t testing.TB, gvk schema.GroupVersionKind, namespace, name string, check func(*unstructured.Unstructured) error) {
	t.Helper()
	Eventually(t, WaitTimeout, fmt.Sprintf("%s %s/%s", gvk.Kind, namespace, name), func() error {
		o, err := e.TryGetObject(gvk, namespace, name)
		switch {
		case err != nil:
			return err
		case o == nil:
			return Errorf("not found")
		case check != nil:
			return check(o)
		}
		return nil
	})
}

// WaitGone waits until the object does not exist.
func (e *Environment) WaitGone(t testing.TB, gvk schema.GroupVersionKind, namespace, name string) {
	t.Helper()
	Eventually(t, WaitTimeout, fmt.Sprintf("%s %s/%s removed", gvk.Kind, namespace, name), func() error {
		o, err := e.TryGetObject(gvk, namespace, name)
		if err != nil {
			return err
		}
		if o != nil {
			return Errorf("still exists")
		}
		return nil
	})
}

// EventuallyAs calls write with a client acting as the static token user until RBAC lets the user make the
// request (a new tenant member's roles are bound, and role aggregation is asynchronous), and returns the first
// answer that is not an RBAC refusal: nil, or what admission said.
func (e *Environment) EventuallyAs(t testing.TB, user string, write func(c client.Client) error) error {
	t.Helper()
	c := e.as(user)
	var err error
	Eventually(t, WaitTimeout, user+" may write", func() error {
		if err = write(c); isRBACRefusal(err) {
			return err
		}
		return nil
	})
	return err
}

// rbacRefusal is how the API server words an RBAC refusal: User "bob" cannot create resource "pods" ...
var rbacRefusal = regexp.MustCompile(`cannot [a-z]+ resource "`)

// isRBACRefusal tells an RBAC refusal from admission's.
func isRBACRefusal(err error) bool {
	return apierrors.IsForbidden(err) && rbacRefusal.MatchString(err.Error())
}

// UpdateTemplate changes the catalog template as the cluster admin, retrying on conflicts, and fails the test on
// any other error.
func (e *Environment) UpdateTemplate(t testing.TB, name string, change func(*naasv1alpha1.NamespaceTemplate)) {
	t.Helper()
	err := retryOnConflict(t, "update template "+name, func() error {
		tpl := &naasv1alpha1.NamespaceTemplate{}
		if err := e.Client.Get(context.Background(), client.ObjectKey{Name: name}, tpl); err != nil {
			return err
		}
		change(tpl)
		return e.Client.Update(context.Background(), tpl)
	})
	if err != nil {
		t.Fatalf("update template %s: %v", name, err)
	}
}

// GrantClusterRole gives the static token user the rules cluster-wide, through a ClusterRole and its binding both
// named name, for the rest of the test: a user with powers outside naas (an operator of namespaces, say).
func (e *Environment) GrantClusterRole(t testing.TB, name, user string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	e.Create(t, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules})
	e.Create(t, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	})
}
