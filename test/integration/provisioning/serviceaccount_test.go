package provisioning

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/testenv"
)

// TestServiceAccount_CannotReachBeyondWhatNaasManages: naas's ServiceAccount, with the chart's rights, cannot read
// Secrets outside its namespace (nor other Secrets in it), delete or change a namespace it does not manage, change a
// ClusterRole or webhook configuration it does not install, bind or escalate to cluster-admin, or impersonate service accounts. Each is asked of the API server (SubjectAccessReview) and tried for real;
// namespaces, which RBAC cannot tell apart by label, are kept apart by naas's admission policy.
func TestServiceAccount_CannotReachBeyondWhatNaasManages(t *testing.T) {
	ctx := context.Background()
	naas, err := client.New(env.NaasConfig, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	other := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "not-naas"}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: other.Name, Name: "db"}, StringData: map[string]string{"password": "x"}}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "someone-elses"}}
	for _, obj := range []client.Object{other, secret, role} {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = env.Client.Delete(ctx, role)
		_ = env.Client.Delete(ctx, other)
	})

	for _, tc := range []struct {
		what string
		attr authorizationv1.ResourceAttributes
	}{
		{"get a Secret in another namespace", authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets", Namespace: other.Name, Name: "db"}},
		{"list Secrets in all namespaces", authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"}},
		// It reads its Clusters' kubeconfig Secrets in its own namespace by name (their names are the platform
		// admin's choice, so RBAC cannot list them), but never lists or watches Secrets there.
		{"list Secrets in its own namespace", authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets", Namespace: testenv.SystemNamespace}},
		{"watch Secrets in its own namespace", authorizationv1.ResourceAttributes{Verb: "watch", Resource: "secrets", Namespace: testenv.SystemNamespace}},
		{"escalate a ClusterRole it does not install", authorizationv1.ResourceAttributes{Verb: "escalate", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "cluster-admin"}},
		{"bind cluster-admin", authorizationv1.ResourceAttributes{Verb: "bind", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", Name: "cluster-admin"}},
		{"impersonate a service account", authorizationv1.ResourceAttributes{Verb: "impersonate", Resource: "serviceaccounts", Namespace: "kube-system", Name: "default"}},
		{"patch another webhook configuration", authorizationv1.ResourceAttributes{Verb: "patch", Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations", Name: "someone-elses"}},
		{"create pods", authorizationv1.ResourceAttributes{Verb: "create", Resource: "pods", Namespace: other.Name}},
	} {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: testenv.ServiceAccountUser, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + testenv.SystemNamespace, "system:authenticated"},
			ResourceAttributes: &tc.attr,
		}}
		if err := env.Client.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		if sar.Status.Allowed {
			t.Errorf("naas's ServiceAccount may %s", tc.what)
		}
	}

	// And for real.
	if err := naas.Get(ctx, client.ObjectKeyFromObject(secret), &corev1.Secret{}); !apierrors.IsForbidden(err) {
		t.Errorf("reading a Secret in another namespace: %v, want Forbidden", err)
	}
	if err := naas.List(ctx, &corev1.SecretList{}); !apierrors.IsForbidden(err) {
		t.Errorf("listing Secrets: %v, want Forbidden", err)
	}
	// RBAC cannot limit naas's rights on namespaces, ClusterRoles and ClusterRoleBindings to its own (their names
	// are per tenant); the admission policy naas-controller-scope does.
	if err := naas.Delete(ctx, other); !apierrors.IsForbidden(err) {
		t.Errorf("deleting a namespace naas does not manage: %v, want Forbidden", err)
	}
	relabel := []byte(`{"metadata":{"labels":{"owner":"naas"}}}`)
	if err := naas.Patch(ctx, other, client.RawPatch(types.MergePatchType, relabel)); !apierrors.IsForbidden(err) {
		t.Errorf("changing a namespace naas does not manage: %v, want Forbidden", err)
	}
	// Rules naas holds itself, so that RBAC's escalation check would let the change through: impersonation.
	patch := []byte(`{"rules":[{"apiGroups":[""],"resources":["users"],"verbs":["impersonate"]}]}`)
	if err := naas.Patch(ctx, role, client.RawPatch(types.MergePatchType, patch)); !apierrors.IsForbidden(err) {
		t.Errorf("changing a ClusterRole naas does not install: %v, want Forbidden", err)
	}
	if err := naas.Delete(ctx, role); !apierrors.IsForbidden(err) {
		t.Errorf("deleting a ClusterRole naas does not install: %v, want Forbidden", err)
	}
	grant := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "naas-grants-itself"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: testenv.SystemNamespace, Name: testenv.ServiceAccountName}},
	}
	if err := naas.Create(ctx, grant); !apierrors.IsForbidden(err) {
		t.Errorf("binding itself to cluster-admin: %v, want Forbidden", err)
		_ = env.Client.Delete(ctx, grant)
	}
}
