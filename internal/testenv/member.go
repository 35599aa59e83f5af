package testenv

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cluster"
)

// StartMember starts another local control plane to serve as a member cluster of a fleet: etcd, kube-apiserver
// and kube-controller-manager (namespaces are deleted there as on any cluster), on its own ports and data
// directory, with the same roster of users (tokens of its own). naas's CRDs are not installed on it: naas
// installs what a member needs when the member is registered. Call Stop when done.
func StartMember(opts Options) (*Environment, error) {
	opts.NoNaasCRDs = true
	opts.AsServiceAccount = false
	env, err := Start(opts)
	if err != nil {
		return nil, fmt.Errorf("start a member control plane: %w", err)
	}
	return env, nil
}

// RegisterMember registers member with the management environment e as the Cluster named name, with labels:
// the kubeconfig Secret (cluster-admin on the member) in SystemNamespace, then the Cluster. It does not wait for
// naas to find the member reachable.
func (e *Environment) RegisterMember(ctx context.Context, name string, member *Environment, labels map[string]string) (*naasv1alpha1.Cluster, error) {
	kubeconfig, err := cluster.Kubeconfig(member.Config)
	if err != nil {
		return nil, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: SystemNamespace}}
	if err := e.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create namespace %s: %w", SystemNamespace, err)
	}
	return cluster.Register(ctx, e.Client, cluster.Registration{Name: name, Namespace: SystemNamespace, Kubeconfig: kubeconfig, Labels: labels})
}
