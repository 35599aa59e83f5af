package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/quota/tenantledger"
)

// ReadKubeconfig reads the kubeconfig Secret of the Cluster c from namespace (naas's namespace; read directly, so
// that no cache holds Secrets), and returns the client configuration and a key identifying the credentials.
func ReadKubeconfig(ctx context.Context, secrets client.Reader, namespace string, c *naasv1alpha1.Cluster) (*rest.Config, string, error) {
	if c.Spec.KubeconfigSecretRef == nil {
		return nil, "", errors.New("spec.kubeconfigSecretRef is required for a member cluster")
	}
	secret := &corev1.Secret{}
	key := client.ObjectKey{Namespace: namespace, Name: c.Spec.KubeconfigSecretRef.Name}
	if err := secrets.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", fmt.Errorf("the kubeconfig Secret %s/%s does not exist", key.Namespace, key.Name)
		}
		return nil, "", fmt.Errorf("read the kubeconfig Secret %s/%s: %w", key.Namespace, key.Name, err)
	}
	data := secret.Data[naasv1alpha1.KubeconfigSecretKey]
	cfg, err := RESTConfig(data)
	if err != nil {
		return nil, "", fmt.Errorf("the kubeconfig Secret %s/%s: %w", key.Namespace, key.Name, err)
	}
	sum := sha256.Sum256(data)
	return cfg, hex.EncodeToString(sum[:]), nil
}

// Readers reads the member clusters of the fleet directly, for counting a tenant's usage across the fleet
// (tenantledger.Fleet). The admission webhooks run on every replica of naas while the Registry's targets exist on
// the leader only, so Readers keeps clients of its own: one per member, built from its kubeconfig Secret and
// rebuilt when the Secret changes.
type Readers struct {
	// Cache reads Clusters and claims (the manager's cache, with the claim indexes of package cacheindex).
	Cache client.Reader
	// Secrets reads the kubeconfig Secrets in Namespace directly.
	Secrets   client.Reader
	Namespace string
	// Scheme of the clients.
	Scheme *runtime.Scheme

	mu      sync.Mutex
	clients map[string]keyedClient
}

type keyedClient struct {
	key string
	c   client.Client
}

var _ tenantledger.Fleet = (*Readers)(nil)

// Members implements tenantledger.Fleet: every registered member (see MembersToCount), with a reader of each.
func (r *Readers) Members(ctx context.Context, tenant string) ([]tenantledger.Member, error) {
	clusters := &naasv1alpha1.ClusterList{}
	if err := r.Cache.List(ctx, clusters); err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := r.Cache.List(ctx, claims, client.MatchingFields{cacheindex.ClaimTenant: tenant}); err != nil {
		return nil, fmt.Errorf("list the claims of tenant %s: %w", tenant, err)
	}
	holds := map[string]bool{}
	for i := range claims.Items {
		if c := claims.Items[i].Status.Cluster; c != "" {
			holds[c] = true
		}
	}
	byName := map[string]*naasv1alpha1.Cluster{}
	for i := range clusters.Items {
		byName[clusters.Items[i].Name] = &clusters.Items[i]
	}
	plan := MembersToCount(clusters.Items, holds)
	out := make([]tenantledger.Member, 0, len(plan))
	for _, p := range plan {
		m := tenantledger.Member{Cluster: p.Name, Holds: p.Holds}
		switch c := byName[p.Name]; {
		case c == nil:
			m.Err = fmt.Errorf("cluster %s is not registered", p.Name)
		case p.Skip:
			continue
		default:
			m.Reader, m.Err = r.reader(ctx, c)
		}
		out = append(out, m)
	}
	return out, nil
}

// reader returns the client of member c, built anew when its kubeconfig changed.
func (r *Readers) reader(ctx context.Context, c *naasv1alpha1.Cluster) (client.Reader, error) {
	cfg, key, err := ReadKubeconfig(ctx, r.Secrets, r.Namespace, c)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if kc, ok := r.clients[c.Name]; ok && kc.key == key {
		return kc.c, nil
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	cl, err := client.New(cfg, client.Options{Scheme: r.Scheme})
	if err != nil {
		return nil, fmt.Errorf("client of cluster %s: %w", c.Name, err)
	}
	if r.clients == nil {
		r.clients = map[string]keyedClient{}
	}
	r.clients[c.Name] = keyedClient{key: key, c: cl}
	return cl, nil
}

// PlannedMember is a member cluster a count of a tenant's usage considers.
type PlannedMember struct {
	Name string
	// Holds: the tenant has namespaces there (claims placed there): the count must read it.
	Holds bool
	// Skip: the cluster is known not to answer and holds none of the tenant's namespaces; it is not read.
	Skip bool
}

// MembersToCount decides which member clusters a count of a tenant's usage reads: every registered member other
// than the management cluster, since a claim placed a moment ago may not show in the cache yet; those that hold
// the tenant's namespaces (holds, from its claims' status.cluster) must be read, including any no longer
// registered; a member known not to answer (Reachable=False) that holds none is skipped rather than waited for.
// The result is in name order.
func MembersToCount(clusters []naasv1alpha1.Cluster, holds map[string]bool) []PlannedMember {
	seen := map[string]bool{}
	var out []PlannedMember
	for i := range clusters {
		c := &clusters[i]
		if c.Name == naasv1alpha1.LocalClusterName || seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		unreachable := apimeta.IsStatusConditionPresentAndEqual(c.Status.Conditions, naasv1alpha1.ClusterReachable, metav1.ConditionFalse)
		out = append(out, PlannedMember{Name: c.Name, Holds: holds[c.Name], Skip: unreachable && !holds[c.Name]})
	}
	for name, h := range holds {
		if h && !seen[name] && name != naasv1alpha1.LocalClusterName {
			out = append(out, PlannedMember{Name: name, Holds: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
