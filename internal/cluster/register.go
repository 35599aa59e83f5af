package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/clusterconfig"
	"github.com/naas-dev/naas/internal/platform"
)

// KubeconfigSecretName is the name Register gives the kubeconfig Secret of the Cluster named cluster.
func KubeconfigSecretName(cluster string) string { return cluster + "-kubeconfig" }

// Kubeconfig returns a kubeconfig that reaches the API server of cfg as cfg authenticates: the form a Cluster's
// kubeconfig Secret holds. Only in-memory credentials (bearer token, client certificate and key, CA data) are
// carried over; files named by cfg are read.
func Kubeconfig(cfg *rest.Config) ([]byte, error) {
	if cfg == nil || cfg.Host == "" {
		return nil, errors.New("kubeconfig: no API server address")
	}
	loaded := rest.CopyConfig(cfg)
	if err := rest.LoadTLSFiles(loaded); err != nil {
		return nil, err
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["cluster"] = &clientcmdapi.Cluster{Server: loaded.Host, CertificateAuthorityData: loaded.CAData,
		InsecureSkipTLSVerify: loaded.Insecure, TLSServerName: loaded.ServerName}
	kc.AuthInfos["naas"] = &clientcmdapi.AuthInfo{Token: loaded.BearerToken,
		ClientCertificateData: loaded.CertData, ClientKeyData: loaded.KeyData}
	kc.Contexts["cluster"] = &clientcmdapi.Context{Cluster: "cluster", AuthInfo: "naas"}
	kc.CurrentContext = "cluster"
	return clientcmd.Write(*kc)
}

// RESTConfig parses a Cluster's kubeconfig (the value of its Secret) into a client configuration, with the same
// rules as the REST API and the CLI apply on registration (clusterconfig.ParseKubeconfig): a Secret written
// directly, with kubectl or GitOps, must not make naas run a credential plugin or read its own files either.
func RESTConfig(kubeconfig []byte) (*rest.Config, error) {
	if len(kubeconfig) == 0 {
		return nil, fmt.Errorf("the kubeconfig is empty (key %q of the Secret)", naasv1alpha1.KubeconfigSecretKey)
	}
	cfg, err := clusterconfig.ParseKubeconfig(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("key %q of the Secret: %w", naasv1alpha1.KubeconfigSecretKey, err)
	}
	return cfg, nil
}

// Registration is a member cluster to register.
type Registration struct {
	// Name of the Cluster.
	Name string
	// Namespace is naas's namespace, which holds the kubeconfig Secret.
	Namespace string
	// Kubeconfig reaches the member as naas should.
	Kubeconfig []byte
	// Labels of the Cluster (region, environment, ...).
	Labels map[string]string
	// DisplayName of the Cluster.
	DisplayName string
}

// Register writes the kubeconfig Secret of a member cluster and its Cluster on the management cluster: the Secret
// first, so that the Cluster never names a Secret that is not there. Registering again replaces the kubeconfig
// and the labels. It does not wait for the member to be reachable: the Cluster's conditions say when it is.
func Register(ctx context.Context, c client.Client, r Registration) (*naasv1alpha1.Cluster, error) {
	if r.Name == "" || r.Name == naasv1alpha1.LocalClusterName {
		return nil, fmt.Errorf("register: %q cannot be registered as a member", r.Name)
	}
	if _, err := RESTConfig(r.Kubeconfig); err != nil {
		return nil, fmt.Errorf("register %s: %w", r.Name, err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: KubeconfigSecretName(r.Name)}}
	if err := createOrUpdate(ctx, c, secret, func() {
		secret.Labels = map[string]string{naasv1alpha1.LabelClusterKubeconfig: r.Name}
		secret.Type = corev1.SecretTypeOpaque
		secret.Data = map[string][]byte{naasv1alpha1.KubeconfigSecretKey: r.Kubeconfig}
	}); err != nil {
		return nil, fmt.Errorf("write the kubeconfig Secret of cluster %s: %w", r.Name, err)
	}
	if err := allowWatch(ctx, c, r.Namespace, secret.Name); err != nil {
		return nil, fmt.Errorf("let naas watch the kubeconfig Secret of cluster %s (Role %s/%s): %w", r.Name, r.Namespace, platform.KubeconfigReaderRoleName, err)
	}
	cl := &naasv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: r.Name}}
	if err := createOrUpdate(ctx, c, cl, func() {
		if cl.Labels == nil {
			cl.Labels = map[string]string{}
		}
		maps.Copy(cl.Labels, r.Labels)
		if r.DisplayName != "" {
			cl.Spec.DisplayName = r.DisplayName
		}
		cl.Spec.KubeconfigSecretRef = &naasv1alpha1.SecretReference{Name: secret.Name}
	}); err != nil {
		return nil, fmt.Errorf("write cluster %s: %w", r.Name, err)
	}
	return cl, nil
}

// allowWatch names the Secret in naas's Role platform.KubeconfigReaderRoleName, so that naas watches it and uses
// new credentials within seconds. Whoever registers a cluster grants this: RBAC lets them grant only what they
// hold on the Secret, which they have just written.
func allowWatch(ctx context.Context, c client.Client, namespace, secret string) error {
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: platform.KubeconfigReaderRoleName}}
	return createOrUpdate(ctx, c, role, func() {
		var names []string
		for _, rule := range role.Rules {
			names = append(names, rule.ResourceNames...)
		}
		if role.Labels == nil {
			role.Labels = map[string]string{}
		}
		role.Labels["app.kubernetes.io/part-of"] = "naas"
		role.Rules = platform.KubeconfigReaderRules(append(names, secret))
	})
}

func createOrUpdate(ctx context.Context, c client.Client, obj client.Object, mutate func()) error {
	err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	switch {
	case apierrors.IsNotFound(err):
		mutate()
		return c.Create(ctx, obj)
	case err != nil:
		return err
	}
	mutate()
	return c.Update(ctx, obj)
}

// LabelCluster labels the kubeconfig Secret of a Cluster with the Cluster's name: naasv1alpha1.LabelClusterKubeconfig.
const LabelCluster = naasv1alpha1.LabelClusterKubeconfig
