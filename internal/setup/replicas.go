package setup

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/portal"
)

// Several replicas of naas serve one cluster: every replica serves the REST API, the portal and the admission
// webhooks, and one of them, the leader, runs the controllers. The leader holds the Lease LeaderElectionID in
// the system namespace.
const (
	// LeaderElectionID names the Lease of the leader.
	LeaderElectionID = platform.LeaderElectionLeaseName
	// The leader renews its Lease every leaseRetryPeriod and gives it up when it cannot renew within
	// leaseRenewDeadline. The other replicas look at the Lease every leaseRetryPeriod (with up to 20% jitter)
	// and take it leaseDuration after they last saw it renewed: a leader that died is replaced within
	// leaseDuration plus two looks, about 15 s at most (issue 17 asks for 20). A leader that stops cleanly
	// releases the Lease, and another takes over at its next look.
	leaseDuration      = 10 * time.Second
	leaseRenewDeadline = 8 * time.Second
	leaseRetryPeriod   = 2 * time.Second
)

// PortalSessionKeySecretName is the Secret in the system namespace that holds the key every replica seals the
// portal's sessions with (portal.Sessions). Deleting it, and restarting naas, ends every session.
const PortalSessionKeySecretName = platform.PortalSessionKeySecretName

// portalSessionKeyKey is the Secret's key of the session key.
const portalSessionKeyKey = "key"

// everyReplica is a runnable every replica runs, leader or not: the HTTP server and what it needs.
type everyReplica func(ctx context.Context) error

var _ manager.LeaderElectionRunnable = everyReplica(nil)

func (f everyReplica) Start(ctx context.Context) error { return f(ctx) }

// NeedLeaderElection is false: the replica runs it whether it leads or not.
func (everyReplica) NeedLeaderElection() bool { return false }

// portalSessionKey returns the key of the portal's sessions, from the Secret every replica shares. The first
// replica to find none makes it; replicas starting together race to create it, and the ones that lose read the
// winner's, so that all end with the same key.
func portalSessionKey(ctx context.Context, c client.Client, namespace string) ([]byte, error) {
	key := types.NamespacedName{Namespace: namespace, Name: PortalSessionKeySecretName}
	for attempt := 0; attempt < 3; attempt++ {
		secret := &corev1.Secret{}
		err := c.Get(ctx, key, secret)
		if err == nil {
			k := secret.Data[portalSessionKeyKey]
			if len(k) != portal.SessionKeySize {
				return nil, fmt.Errorf("secret %s holds a portal session key of %d bytes, want %d: delete the secret to have naas make a new key (this signs every portal user out)", key, len(k), portal.SessionKeySize)
			}
			return k, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("read the portal session key from secret %s: %w", key, err)
		}
		k := make([]byte, portal.SessionKeySize)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		secret = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: key.Name, Labels: map[string]string{
				naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, "app.kubernetes.io/component": "portal",
			}},
			Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{portalSessionKeyKey: k},
		}
		err = c.Create(ctx, secret)
		if err == nil {
			return k, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("store the portal session key in secret %s: %w", key, err)
		}
		// Another replica made it first: read theirs.
	}
	return nil, fmt.Errorf("the portal session key in secret %s kept changing while naas read it", key)
}
