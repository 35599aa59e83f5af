package testenv

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/kubeaudit"
)

// MemberIdentity is the user naas acts as on the members StartMember starts: their audit log records its
// requests, and RegisterMember registers them with its credentials. It is a cluster admin through a
// ClusterRoleBinding to cluster-admin, as a member's registration credentials would be, not through the group
// system:masters, whose requests API Priority and Fairness exempts before naas's own FlowSchema could match.
const MemberIdentity = "naas-member"

// StartMember starts another local control plane to serve as a member cluster of a fleet: etcd, kube-apiserver
// and kube-controller-manager (namespaces are deleted there as on any cluster), on its own ports and data
// directory, with the same roster of users (tokens of its own) and MemberIdentity, whose every request its
// audit log (Environment.AuditLog) records. naas's CRDs are not installed on it: naas installs what a member
// needs when the member is registered. Call Stop when done.
func StartMember(opts Options) (*Environment, error) {
	opts.NoNaasCRDs = true
	opts.AsServiceAccount = false
	dir, err := os.MkdirTemp("", "naas-member-audit-")
	if err != nil {
		return nil, err
	}
	args, logPath, err := auditUser(dir, MemberIdentity)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	opts.Users = append(opts.Users, User{Name: MemberIdentity})
	opts.APIServerArgs = append(opts.APIServerArgs, args...)
	env, err := Start(opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start a member control plane: %w", err)
	}
	admin := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: MemberIdentity + "-cluster-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: MemberIdentity}}}
	if err := env.Client.Create(context.Background(), admin); err != nil {
		env.Stop()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("make %s a cluster admin of the member: %w", MemberIdentity, err)
	}
	env.AuditLog = &kubeaudit.Log{Path: logPath}
	env.memberIdentity = MemberIdentity
	env.cleanup = append(env.cleanup, func() { _ = os.RemoveAll(dir) })
	return env, nil
}

// PauseAPIServer stops the environment's kube-apiserver process (SIGSTOP) without ending it: its port stays open
// and nothing answers, as a cluster that stops answering. ResumeAPIServer lets it go on (SIGCONT).
func (e *Environment) PauseAPIServer() error {
	return e.ControlPlane.Signal("kube-apiserver", syscall.SIGSTOP)
}

// ResumeAPIServer resumes a paused kube-apiserver.
func (e *Environment) ResumeAPIServer() error {
	return e.ControlPlane.Signal("kube-apiserver", syscall.SIGCONT)
}

// RegisterMember registers member with the management environment e as the Cluster named name, with labels:
// the kubeconfig Secret (cluster-admin on the member) in SystemNamespace, then the Cluster. It does not wait for
// naas to find the member reachable.
func (e *Environment) RegisterMember(ctx context.Context, name string, member *Environment, labels map[string]string) (*naasv1alpha1.Cluster, error) {
	cfg := member.Config
	if member.memberIdentity != "" {
		cfg = member.UserConfig(member.memberIdentity)
	}
	kubeconfig, err := cluster.Kubeconfig(cfg)
	if err != nil {
		return nil, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: SystemNamespace}}
	if err := e.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create namespace %s: %w", SystemNamespace, err)
	}
	return cluster.Register(ctx, e.Client, cluster.Registration{Name: name, Namespace: SystemNamespace, Kubeconfig: kubeconfig, Labels: labels})
}

// WaitCluster waits until the Cluster name (a member, or the management cluster's own) has condition typ with
// status, and returns it.
func (e *Environment) WaitCluster(t testing.TB, name, typ string, status metav1.ConditionStatus) *naasv1alpha1.Cluster {
	t.Helper()
	var c *naasv1alpha1.Cluster
	Eventually(t, 2*WaitTimeout, fmt.Sprintf("cluster %s %s=%s", name, typ, status), func() error {
		c = &naasv1alpha1.Cluster{}
		if err := e.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		if cond := meta.FindStatusCondition(c.Status.Conditions, typ); cond == nil || cond.Status != status {
			return fmt.Errorf("conditions: %v", c.Status.Conditions)
		}
		return nil
	})
	return c
}
