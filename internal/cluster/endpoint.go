package cluster

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Endpoint is where users reach a member cluster's API server: the server URL and certificate authorities of
// the kubeconfig in the Cluster's Secret (naas's credentials there are never handed out).
type Endpoint struct {
	Server string
	CAData []byte
}

// EndpointOf reads the endpoint of the Cluster named name; clusters reads Clusters (a cache will do), secrets
// reads the kubeconfig Secret in namespace (naas's namespace; read directly, so that no cache holds Secrets).
func EndpointOf(ctx context.Context, clusters, secrets client.Reader, namespace, name string) (Endpoint, error) {
	cl := &naasv1alpha1.Cluster{}
	if err := clusters.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
		return Endpoint{}, fmt.Errorf("read cluster %s: %w", name, err)
	}
	cfg, _, err := ReadKubeconfig(ctx, secrets, namespace, cl)
	if err != nil {
		return Endpoint{}, fmt.Errorf("cluster %s: %w", name, err)
	}
	if err := rest.LoadTLSFiles(cfg); err != nil {
		return Endpoint{}, fmt.Errorf("cluster %s: %w", name, err)
	}
	return Endpoint{Server: cfg.Host, CAData: cfg.CAData}, nil
}
