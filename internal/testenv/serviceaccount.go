package testenv

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/platform"
)

// The identity naas runs as under Options.AsServiceAccount: what the Helm chart makes.
const (
	// SystemNamespace is naas's namespace, as the chart installs it.
	SystemNamespace = "naas-system"
	// ServiceAccountName is naas's ServiceAccount.
	ServiceAccountName = "naas"
	// OperatorRoleName names naas's ClusterRole, its binding, and its Role and RoleBinding in SystemNamespace.
	OperatorRoleName = "naas"
)

// ServiceAccountUser is the user name naas authenticates as under Options.AsServiceAccount.
var ServiceAccountUser = "system:serviceaccount:" + SystemNamespace + ":" + ServiceAccountName

// installServiceAccount makes naas's ServiceAccount with exactly the rights the chart gives it (platform's
// OperatorClusterRole and SystemNamespaceRole, plus extra), and returns a configuration that authenticates as it
// with a TokenRequest token, the way a pod's projected token does.
func installServiceAccount(ctx context.Context, admin *rest.Config, c client.Client, extra []rbacv1.PolicyRule) (*rest.Config, error) {
	ref := func(kind string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: OperatorRoleName}
	}
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: SystemNamespace, Name: ServiceAccountName}}
	typed := func(apiVersion, kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
	}
	objs := []client.Object{
		&corev1.Namespace{TypeMeta: typed("v1", "Namespace"), ObjectMeta: metav1.ObjectMeta{Name: SystemNamespace}},
		&corev1.ServiceAccount{TypeMeta: typed("v1", "ServiceAccount"), ObjectMeta: metav1.ObjectMeta{Namespace: SystemNamespace, Name: ServiceAccountName}},
		platform.OperatorClusterRole(OperatorRoleName, extra...),
		&rbacv1.ClusterRoleBinding{TypeMeta: typed("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
			ObjectMeta: metav1.ObjectMeta{Name: OperatorRoleName}, RoleRef: ref("ClusterRole"), Subjects: subjects},
		platform.SystemNamespaceRole(SystemNamespace, OperatorRoleName),
		&rbacv1.RoleBinding{TypeMeta: typed("rbac.authorization.k8s.io/v1", "RoleBinding"),
			ObjectMeta: metav1.ObjectMeta{Namespace: SystemNamespace, Name: OperatorRoleName}, RoleRef: ref("Role"), Subjects: subjects},
		// As the chart: bound to the Role that registration (cluster.Register) names the kubeconfig Secrets in.
		&rbacv1.RoleBinding{TypeMeta: typed("rbac.authorization.k8s.io/v1", "RoleBinding"),
			ObjectMeta: metav1.ObjectMeta{Namespace: SystemNamespace, Name: platform.KubeconfigReaderRoleName},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: platform.KubeconfigReaderRoleName}, Subjects: subjects},
	}
	for _, obj := range objs {
		u, err := apply.ToUnstructured(obj)
		if err != nil {
			return nil, err
		}
		if _, err := apply.Apply(ctx, c, c, u); err != nil {
			return nil, fmt.Errorf("install naas's service account: %w", err)
		}
	}
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	tr, err := cs.CoreV1().ServiceAccounts(SystemNamespace).CreateToken(ctx, ServiceAccountName, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 60 * 60)},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("request a token for naas's service account: %w", err)
	}
	cfg := rest.AnonymousClientConfig(admin)
	cfg.BearerToken = tr.Status.Token
	return cfg, nil
}
